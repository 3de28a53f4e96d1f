/**
 * The evaluation's statistics: bootstrap confidence intervals of a mean over (seeds × tuples)
 * tables of per-tuple outcomes, and of the paired difference of two methods scored on the same
 * tuples. Percentile intervals; no normal approximation. Deterministic for a given seed.
 */
import { Rng } from "../../engine/random.ts";

/** A mean with its bootstrap standard error and percentile confidence interval. */
export interface Estimate {
  mean: number;
  /** Standard deviation of the bootstrap replicates. */
  se: number;
  lo: number;
  hi: number;
}

/** Options of {@link bootstrapMean} and {@link pairedDifference}. */
export interface BootstrapOptions {
  /** Bootstrap replicates (default 1000). */
  reps?: number;
  /** Confidence level (default 0.95). */
  level?: number;
  /** Seed of the resampling (default 1). */
  seed?: number;
}

function checkTable(table: readonly ArrayLike<number>[], what: string): number {
  if (table.length === 0) throw new RangeError(`Cannot bootstrap ${what}: no seeds`);
  const n = table[0].length;
  if (n === 0) throw new RangeError(`Cannot bootstrap ${what}: no tuples`);
  for (const [s, row] of table.entries()) {
    if (row.length !== n) {
      throw new RangeError(
        `Cannot bootstrap ${what}: every seed must score the same ${n} tuples: seed ${s} has ${row.length}`,
      );
    }
  }
  return n;
}

/**
 * The grand mean of `table[seed][tuple]` with a bootstrap CI. With one seed it resamples tuples;
 * with several it resamples seeds and tuples independently (the tuples are the same for every
 * seed: a crossed design, so both sources of variation enter the interval).
 * @example
 * ```ts
 * const e = bootstrapMean([Float64Array.from([1, 0, 1, 1])], { reps: 200 });
 * e.lo <= e.mean && e.mean <= e.hi; // true
 * ```
 */
export function bootstrapMean(
  table: readonly ArrayLike<number>[],
  opts: BootstrapOptions = {},
): Estimate {
  const n = checkTable(table, "a mean");
  const reps = opts.reps ?? 1000, level = opts.level ?? 0.95;
  if (!Number.isInteger(reps) || reps < 10) {
    throw new RangeError(
      `Cannot bootstrap: reps must be an integer >= 10: current value is ${reps}`,
    );
  }
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`Cannot bootstrap: level must be in (0, 1): current value is ${level}`);
  }
  const seeds = table.length;
  let mean = 0;
  for (const row of table) for (let t = 0; t < n; t++) mean += row[t];
  mean /= seeds * n;
  const rng = new Rng(opts.seed ?? 1);
  const reps_ = new Float64Array(reps);
  const idx = new Uint32Array(n), sIdx = new Uint32Array(seeds);
  for (let b = 0; b < reps; b++) {
    for (let t = 0; t < n; t++) idx[t] = rng.int(n);
    for (let s = 0; s < seeds; s++) sIdx[s] = seeds > 1 ? rng.int(seeds) : s;
    let sum = 0;
    for (let s = 0; s < seeds; s++) {
      const row = table[sIdx[s]];
      for (let t = 0; t < n; t++) sum += row[idx[t]];
    }
    reps_[b] = sum / (seeds * n);
  }
  reps_.sort();
  const m = reps_.reduce((a, v) => a + v, 0) / reps;
  const se = Math.sqrt(reps_.reduce((a, v) => a + (v - m) ** 2, 0) / (reps - 1));
  const q = (p: number) => reps_[Math.min(reps - 1, Math.max(0, Math.floor(p * reps)))];
  return { mean, se, lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2) };
}

/** A paired difference a − b with its CI; significant when the CI excludes 0. */
export interface PairedEstimate extends Estimate {
  significant: boolean;
}

/**
 * The mean paired difference a − b of two methods scored on the same tuples (and seeds), with a
 * bootstrap CI over tuples (and seeds when there are several): tuples are resampled together for
 * both methods, so what they share (the tuple's difficulty) cancels.
 */
export function pairedDifference(
  a: readonly ArrayLike<number>[],
  b: readonly ArrayLike<number>[],
  opts: BootstrapOptions = {},
): PairedEstimate {
  const n = checkTable(a, "a paired difference");
  if (b.length !== a.length || checkTable(b, "a paired difference") !== n) {
    throw new RangeError(
      `Cannot pair methods: both need the same seeds and tuples: got ${a.length}×${n} and ${b.length}×${
        b[0]?.length ?? 0
      }`,
    );
  }
  const d = a.map((row, s) => Float64Array.from({ length: n }, (_, t) => row[t] - b[s][t]));
  const e = bootstrapMean(d, opts);
  return { ...e, significant: e.lo > 0 || e.hi < 0 };
}
