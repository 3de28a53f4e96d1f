/**
 * Known answers for the evaluation's statistics: the paired difference of two Bernoulli vectors
 * with a known mean difference, the coverage of the 95% interval on simulated data (one seed and
 * several), and that pairing removes what two methods share.
 */
import assert from "node:assert/strict";
import { Rng } from "../../engine/random.ts";
import { bootstrapMean, pairedDifference } from "./stats.ts";

/** Bernoulli(p) outcomes, n of them. */
function bernoulli(rng: Rng, p: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0));
}

Deno.test("pairedDifference: two Bernoulli vectors with a known mean difference", () => {
  const rng = new Rng(5);
  const n = 4000;
  const a = bernoulli(rng, 0.6, n), b = bernoulli(rng, 0.4, n);
  const e = pairedDifference([a], [b], { reps: 2000 });
  // Independent a and b: Var(a − b) = 0.24 + 0.24, SE = sqrt(0.48 / n) ≈ 0.011.
  const se = Math.sqrt(0.48 / n);
  assert.ok(Math.abs(e.se - se) < 0.15 * se, `bootstrap SE ${e.se} vs ${se}`);
  assert.ok(e.lo < 0.2 && 0.2 < e.hi, `CI [${e.lo}, ${e.hi}] misses the true 0.2`);
  assert.ok(Math.abs(e.hi - e.lo - 2 * 1.96 * se) < 0.2 * 2 * 1.96 * se, "CI width");
  assert.ok(e.significant);
});

Deno.test("pairedDifference: pairing cancels what both methods share", () => {
  // b = a except on 5% of tuples, where it is flipped to 0: the true difference is about
  // 0.05 · P(a = 1) and the paired SE is far below the unpaired one.
  const rng = new Rng(9);
  const n = 2000;
  const a = bernoulli(rng, 0.5, n);
  const b = Float64Array.from(a, (v) => (rng.uniform() < 0.05 ? 0 : v));
  const truth = a.reduce((s, v, t) => s + v - b[t], 0) / n;
  const e = pairedDifference([a], [b]);
  assert.ok(Math.abs(e.mean - truth) < 1e-12);
  assert.ok(e.se < 0.5 * Math.sqrt(0.5 / n), `paired SE ${e.se} should be far below unpaired`);
  assert.ok(e.significant, `[${e.lo}, ${e.hi}] should exclude 0`);
});

Deno.test("bootstrapMean: 95% intervals cover the true mean about 95% of the time", () => {
  const rng = new Rng(11);
  const sims = 300, n = 200, p = 0.3;
  let covered = 0;
  for (let i = 0; i < sims; i++) {
    const e = bootstrapMean([bernoulli(rng, p, n)], { reps: 400, seed: i + 1 });
    if (e.lo <= p && p <= e.hi) covered++;
  }
  // Binomial(300, 0.95): SD 0.0126; percentile intervals at n = 200 run slightly narrow.
  const rate = covered / sims;
  assert.ok(rate > 0.9 && rate < 0.99, `coverage ${rate}`);
});

Deno.test("bootstrapMean: with several seeds the interval covers seed-to-seed variation", () => {
  // Each seed has its own offset (a random effect with SD 0.05) on top of per-tuple noise: an
  // interval over tuples alone would be far too narrow; resampling seeds too must cover.
  const rng = new Rng(13);
  const sims = 200, seeds = 5, n = 300, p = 0.5;
  let covered = 0, coveredTuplesOnly = 0;
  for (let i = 0; i < sims; i++) {
    const table = Array.from({ length: seeds }, () => {
      const off = 0.05 * rng.normal();
      return bernoulli(rng, p + off, n);
    });
    const e = bootstrapMean(table, { reps: 400, seed: i + 1 });
    if (e.lo <= p && p <= e.hi) covered++;
    // The same data with the seeds pooled as extra tuples (what ignoring seeds would do).
    const pooled = Float64Array.from(table.flatMap((r) => Array.from(r)));
    const f = bootstrapMean([pooled], { reps: 400, seed: i + 1 });
    if (f.lo <= p && p <= f.hi) coveredTuplesOnly++;
  }
  // Five seeds give a percentile interval with too few distinct seed draws to reach 95% exactly;
  // it must still cover far more often than the interval that ignores the seeds.
  assert.ok(covered / sims > 0.8, `coverage with seeds resampled ${covered / sims}`);
  assert.ok(
    coveredTuplesOnly / sims < covered / sims - 0.15,
    `ignoring seeds: ${coveredTuplesOnly / sims} vs ${covered / sims}`,
  );
});

Deno.test("bootstrap: clear errors for mismatched tables", () => {
  assert.throws(
    () => pairedDifference([new Float64Array(3)], [new Float64Array(4)]),
    /same seeds and tuples/,
  );
  assert.throws(() => bootstrapMean([new Float64Array(2), new Float64Array(3)]), /seed 1 has 3/);
  assert.throws(() => bootstrapMean([]), /no seeds/);
});
