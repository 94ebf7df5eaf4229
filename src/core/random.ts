/**
 * Seeded pseudo-random numbers: the same seed gives the same stream on every run and platform. Adapter initial
 * values, dropout masks, data shuffles and the fixture generator all draw from here, so changing anything in
 * this file changes exported adapters and the fixture Hub (both are checked byte for byte by tests).
 */

/** 32-bit FNV-1a hash of a string's UTF-16 code units, used to derive a seed from a name. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Box–Muller: two independent standard normals from two uniform draws, radius √(−2 ln(1 − u₁)) (1 − u₁ is in
 * (0, 1], so the log stays finite) at angle 2π·u₂; the first is the cosine side, the second the sine side.
 */
export function normalPair(uniform: () => number): [radius: number, cos: number, sin: number] {
  const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
  const angle = 2 * Math.PI * uniform();
  return [radius, Math.cos(angle), Math.sin(angle)];
}

/** Standard normal samples from a uniform source, one Box–Muller pair per sample (the cosine side). */
export function normalSource(uniform: () => number): () => number {
  return () => {
    const [radius, cos] = normalPair(uniform);
    return radius * cos;
  };
}

/** A mulberry32 generator with helpers for the draws the fixtures, shuffles and tests need. */
export class Prng {
  /** The uniform stream; advanced by every draw. */
  private readonly uniform: () => number;
  /** Sine side of the last Box–Muller pair, kept for the next `normal()` call, or null. */
  private spareNormal: number | null = null;

  constructor(seed: number | string) {
    this.uniform = seededRandom(typeof seed === 'string' ? fnv1a(seed) : seed);
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** `count` distinct elements of `items` in random order (count <= items.length). */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = items.slice();
    for (let i = 0; i < count; i++) {
      const j = i + this.int(pool.length - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, count);
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** Normal sample with the given mean and standard deviation: both sides of each Box–Muller pair in turn. */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    const [radius, cos, sin] = normalPair(this.uniform);
    this.spareNormal = radius * sin;
    return mean + std * radius * cos;
  }
}
