/**
 * Counter-based random numbers, the one algorithm every backend implements bit for bit.
 *
 * bits(seed, c) = h(h(c ⊕ k) + k) mod 2³², k = h(seed ⊕ 0x9E3779B9), with h = "lowbias32"
 * (x ^= x>>16; x *= 0x7feb352d; x ^= x>>15; x *= 0x846ca68b; x ^= x>>16, all u32), a bijective
 * integer hash with good avalanche (C. Wellons, "Prospecting for hash functions"). Counters are
 * u32 and wrap. Because each element depends only on (seed, counter), results are identical however
 * the work is split across threads or workgroups, and a run that resumes at a counter continues the
 * stream exactly.
 *
 * - uniform(seed, i) = (bits(seed, c) >>> 8) · 2⁻²⁴ ∈ [0, 1), c = offset + i.
 * - normal(seed, i) = sqrt(−2 ln u₁) · cos(2π u₂) (Box–Muller), u₁ = ((bits(2c) >>> 8) + 1) · 2⁻²⁴
 *   ∈ (0, 1], u₂ = (bits(2c + 1) >>> 8) · 2⁻²⁴.
 */

/** lowbias32 integer hash (u32 → u32). */
export function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The per-seed key k of the stream. */
export function streamKey(seed: number): number {
  return hash32((seed ^ 0x9e3779b9) >>> 0);
}

/** 32 random bits for counter c of the stream with key k. */
export function randomBits(key: number, counter: number): number {
  return hash32((hash32((counter ^ key) >>> 0) + key) >>> 0);
}

const INV_2_24 = 1 / 16777216;

/** The uniform sample [0, 1) at counter c. */
export function uniformAt(key: number, counter: number): number {
  return (randomBits(key, counter >>> 0) >>> 8) * INV_2_24;
}

/** The standard normal sample at counter c (uses counters 2c and 2c + 1 of the bit stream). */
export function normalAt(key: number, counter: number): number {
  const c2 = (counter * 2) >>> 0;
  const u1 = ((randomBits(key, c2) >>> 8) + 1) * INV_2_24;
  const u2 = (randomBits(key, (c2 + 1) >>> 0) >>> 8) * INV_2_24;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Fills `out` with samples `offset .. offset + out.length` of the stream `seed`. */
export function fillRandom(
  out: Float32Array | Float64Array,
  dist: "normal" | "uniform",
  seed: number,
  offset: number,
): void {
  const key = streamKey(seed >>> 0);
  for (let i = 0; i < out.length; i++) {
    const c = (offset + i) >>> 0;
    out[i] = dist === "normal" ? normalAt(key, c) : uniformAt(key, c);
  }
}

/**
 * A host-side seeded generator for shuffling and data generation (not for device tensors): a
 * counter over the same stream, so it is reproducible and cheap to fork.
 */
export class Rng {
  #key: number;
  #counter = 0;
  constructor(seed: number) {
    this.#key = streamKey(seed >>> 0);
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    return uniformAt(this.#key, this.#counter++);
  }
  /** Standard normal. */
  normal(): number {
    return normalAt(this.#key, this.#counter++);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(a: T[] | Uint32Array | Int32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(((randomBits(this.#key, this.#counter++) >>> 0) / 4294967296) * (i + 1));
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
  /** A permutation of 0..n−1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }
}
