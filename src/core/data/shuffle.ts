import { Prng } from '../random.ts';

/**
 * Yields the items of a stream in a seeded random order through a buffer of `size` items: each arriving item
 * replaces a randomly chosen buffered one, which is yielded. Every item comes out exactly once; a stream that
 * fits in the buffer is shuffled uniformly (Fisher-Yates). The same seed and input order give the same output.
 */
export async function* shuffleBuffer<T>(source: AsyncIterable<T>, size: number, seed: number): AsyncGenerator<T> {
  if (!(size >= 1)) throw new RangeError(`The shuffle buffer needs room for at least one item, got ${size}.`);
  const rng = new Prng(seed);
  const buffer: T[] = [];
  for await (const item of source) {
    if (buffer.length < size) {
      buffer.push(item);
      continue;
    }
    const j = rng.int(size);
    const out = buffer[j];
    buffer[j] = item;
    yield out;
  }
  yield* rng.shuffle(buffer);
}

/** A seed for epoch `epoch` of a run seeded `seed` (different epochs, different orders). */
export function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
}
