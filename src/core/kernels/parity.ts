import { Prng } from '../random.ts';

/** `count` floats uniform in [-1, 1), the same for the same seed on every platform. */
export function uniformValues(seed: string, count: number): Float32Array {
  const rng = new Prng(seed);
  return Float32Array.from({ length: count }, () => rng.next() * 2 - 1);
}

/** Largest element-wise |a − b|; NaN when either holds a NaN. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`Cannot compare results of ${a.length} and ${b.length} elements.`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i])); // Math.max propagates NaN
  return max;
}
