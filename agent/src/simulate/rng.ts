/**
 * The simulator's randomness: a small, fast, seeded PRNG (sfc32) whose state is derived by hashing a seed key with a
 * device index, a purpose and a counter. Every random draw the simulator makes comes from here, so the same seed
 * always gives the same data; nothing reads `Math.random()`.
 */

/** A seed as the user gives it (`--seed 42` or `--seed lab-7`). `42` and `'42'` are the same seed. */
export type Seed = number | string;

/** A seed hashed to two 32-bit words: what every generator is derived from. */
export type SeedKey = { readonly a: number; readonly b: number };

/** The 32-bit finaliser of MurmurHash3: a bijective avalanche mix. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes one more 32-bit word into a running hash (MurmurHash3's body step). */
function mixWord(hash: number, word: number): number {
  let k = Math.imul(word >>> 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let h = (hash ^ k) >>> 0;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

/** Mixes a non-negative integer up to 2^53 (two words) into a running hash. */
function mixNumber(hash: number, value: number): number {
  const low = value >>> 0;
  const high = Math.floor(value / 0x1_0000_0000) >>> 0;
  return mixWord(mixWord(hash, low), high);
}

/**
 * Hashes a seed to the key every generator derives from.
 *
 * @example
 * seedKey(42) // { a: …, b: … }, equal to seedKey('42')
 */
export function seedKey(seed: Seed): SeedKey {
  const text = String(seed);
  let a = 0x9e3779b9;
  let b = 0x7f4a7c15;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    a = mixWord(a, code);
    b = mixWord(b, code ^ 0x5bd1e995);
  }
  return { a: fmix32(a ^ text.length), b: fmix32(b ^ Math.imul(text.length, 0x27d4eb2d)) };
}

/**
 * A 32-bit hash of a seed key and up to three integers: for decisions that need one number, not a generator.
 *
 * @example
 * hash32(key, deviceIndex, PURPOSE.schedule, slot) / 2 ** 32 // a uniform fraction in [0, 1)
 */
export function hash32(key: SeedKey, x: number, y = 0, z = 0): number {
  return fmix32(mixNumber(mixNumber(mixNumber(key.a, x), y), z) ^ key.b);
}

/**
 * A uniform fraction in [0, 1) from {@link hash32}.
 *
 * @example
 * hashFraction(key, deviceIndex, PURPOSE.schedule) < 0.1 // true for about one device in ten
 */
export function hashFraction(key: SeedKey, x: number, y = 0, z = 0): number {
  return hash32(key, x, y, z) / 0x1_0000_0000;
}

/**
 * sfc32 (Chris Doty-Humphrey's small fast chaotic PRNG): 128 bits of state, passes PractRand, a few ns a draw.
 *
 * @example
 * const rng = createRng(seedKey(42), 7, PURPOSE.telemetry, tick)
 * rng.normal(20, 3) // a deterministic draw from N(20, 3²)
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    for (let round = 0; round < 12; round++) this.next();
  }

  /** The next 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 0x1_0000_0000;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.float();
  }

  /** Log-uniform in [low, high): as likely to fall in [1, 10) as in [10, 100). Both bounds must be positive. */
  logUniform(low: number, high: number): number {
    return Math.exp(this.uniform(Math.log(low), Math.log(high)));
  }

  /** A uniform integer in [low, high], both included. */
  int(low: number, high: number): number {
    return low + Math.floor(this.float() * (high - low + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<item>(items: readonly item[]): item {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** One element of a non-empty array, with probability proportional to its weight. */
  pickWeighted<item extends { weight: number }>(items: readonly item[]): item {
    let total = 0;
    for (const item of items) total += item.weight;
    let point = this.float() * total;
    for (const item of items) {
      point -= item.weight;
      if (point < 0) return item;
    }
    return items[items.length - 1]!;
  }

  /** Normal (Box–Muller), mean `mean` and standard deviation `sd`. */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.float(); // (0, 1]: log(u) is finite
    const v = this.float();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with mean `mean` (the gap between events of a Poisson process of rate 1/mean). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** Poisson-distributed count with mean `lambda`: exact (Knuth) below 30, the normal approximation above. */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda >= 30) return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    const limit = Math.exp(-lambda);
    let count = 0;
    let product = this.float();
    while (product > limit) {
      count++;
      product *= this.float();
    }
    return count;
  }
}

/** What a generator is for: separate streams so adding draws to one never shifts another. */
export const PURPOSE = {
  identity: 1,
  key: 2,
  baseline: 3,
  schedule: 4,
  episode: 5,
  telemetry: 6,
  snapshot: 7,
  selection: 8,
} as const;

/**
 * A generator for one (device, purpose, counter): e.g. the draws of device 7's 12th telemetry message.
 *
 * @example
 * const rng = createRng(seedKey('lab'), 7, PURPOSE.telemetry, 12)
 * rng.poisson(20)
 */
export function createRng(key: SeedKey, index: number, purpose: number, counter = 0): Rng {
  return new Rng(
    hash32(key, index, purpose, counter),
    hash32(key, counter, index ^ 0x2545f491, purpose),
    hash32(key, purpose ^ 0x68e31da4, counter, index),
    hash32(key, index + 0x1b56c4e9, counter ^ purpose, 0x3c6ef372),
  );
}
