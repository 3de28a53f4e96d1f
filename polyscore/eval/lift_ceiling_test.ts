/**
 * Known answers of the lift ceiling, with a scorer on the latents themselves (nearest class mean
 * per block) instead of decoders and classifiers: at full rank the lift returns the latents bit
 * for bit, so the ceiling equals the scorer's accuracy on the test latents exactly (the pipeline's
 * reconstruction-from-latents ceiling); at rank 0 with ξ = 0 every row lifts to the mean, so the
 * ceiling is the share of the class the mean is nearest to; at rank 0 with ξ ~ N(0, I) the rows
 * carry no class information (chance, within standard errors); equal ranks are measured once.
 * (Checked to fail with the ξ = 0 measurement fed ξ ~ N(0, I), and with every point sharing the
 * first point's measurement.)
 */
import assert from "node:assert/strict";
import { Rng } from "../../engine/random.ts";
import { fullRankSelection } from "../reduction/reduce.ts";
import { fitWhitening, whiten } from "../reduction/whitening.ts";
import { secondMoment } from "../reduction/score_ratio.ts";
import { spdInverse } from "../../wasm/linalg/mod.ts";
import { type LatentScorer, liftCeilings, liftRoundTrip } from "./lift_ceiling.ts";

const DIMS = [3, 2], D = 5, K = 3, N = 600;

/** Latents z_m = S_m (μ_{c,m} + e) + o_m with random mixing S_m and offsets o_m, as f32. */
function data() {
  const rng = new Rng(17);
  const means = Float64Array.from({ length: K * D }, () => 1.5 * rng.normal());
  const mix = Float64Array.from({ length: D * D }, (_, k) => {
    const i = Math.floor(k / D), j = k % D;
    const block = (x: number) => (x < DIMS[0] ? 0 : 1);
    return block(i) !== block(j) ? 0 : (i === j ? 1.2 : 0) + 0.4 * rng.normal();
  });
  const offset = Float64Array.from({ length: D }, () => 3 * rng.normal());
  const apply = (v: ArrayLike<number>) =>
    Float64Array.from({ length: D }, (_, i) => {
      let s = offset[i];
      for (let j = 0; j < D; j++) s += mix[i * D + j] * v[j];
      return s;
    });
  const labels = new Int32Array(N);
  const z = new Float32Array(N * D);
  for (let r = 0; r < N; r++) {
    labels[r] = rng.int(K);
    const v = Array.from({ length: D }, (_, j) => means[labels[r] * D + j] + rng.normal());
    z.set(apply(v), r * D);
  }
  const centres = Array.from({ length: K }, (_, k) => apply(means.subarray(k * D, (k + 1) * D)));
  return { z, labels, centres };
}

const { z, labels, centres } = data();

/** The class whose mapped mean is nearest to block m of row r of x. */
function nearest(x: ArrayLike<number>, r: number, m: number): number {
  const off = m === 0 ? 0 : DIMS[0];
  let best = 0, bestD = Infinity;
  for (let k = 0; k < K; k++) {
    let d2 = 0;
    for (let j = off; j < off + DIMS[m]; j++) d2 += (x[r * D + j] - centres[k][j]) ** 2;
    if (d2 < bestD) [best, bestD] = [k, d2];
  }
  return best;
}

let calls = 0;
const score: LatentScorer = (m, x, n) => {
  calls++;
  return Promise.resolve(
    Array.from({ length: n }, (_, r) => nearest(x, r, m) === labels[r] ? 1 : 0),
  );
};

const whitening = fitWhitening(z, N, DIMS);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

Deno.test("liftRoundTrip() at full rank returns the latents bit for bit", () => {
  const xi = Float64Array.from({ length: N * D }, (_, i) => Math.sin(i));
  assert.deepEqual(liftRoundTrip(whitening, fullRankSelection(DIMS), z, N, xi), z);
});

Deno.test("liftCeilings(): full rank equals the latents' own accuracy; rank 0 is the mean's class or chance", async () => {
  const own = await Promise.all(DIMS.map((_, m) => score(m, z, N)));
  const zeroRank = { ranks: [0, 0], bases: [new Float64Array(0), new Float64Array(0)] };
  calls = 0;
  const got = await liftCeilings(
    whitening,
    [
      { label: "full rank", fraction: null, ...fullRankSelection(DIMS) },
      { label: "rank 0", fraction: 0.5, ...zeroRank },
      { label: "rank 0 again", fraction: 0.9, ...zeroRank },
    ],
    z,
    N,
    score,
    3,
  );
  // Two modalities × (full rank once, no complement + rank 0 with each noise); rank 0 again: none.
  assert.equal(calls, 6);
  const full = got[0];
  assert.deepEqual(full.gaussian, own.map((s) => mean(s!)));
  assert.deepEqual(full.zero, own.map((s) => mean(s!)));
  assert.equal(full.total_rank, 5);
  // Rank 0, ξ = 0: every row is the whitening mean; the ceiling is the share of its nearest class.
  const mu = Float32Array.from(whitening.blocks.flatMap((b) => Array.from(b.mean)));
  DIMS.forEach((_, m) => {
    const k = nearest(mu, 0, m);
    const share = Array.from(labels).filter((c) => c === k).length / N;
    assert.equal(got[1].zero[m], share, `modality ${m}`);
    // ξ ~ N(0, I): the rows are independent of the labels, so about 1/K (4.5 standard errors).
    const se = Math.sqrt((1 / K) * (1 - 1 / K) / N);
    assert.ok(Math.abs(got[1].gaussian[m]! - 1 / K) < 4.5 * se, `chance: ${got[1].gaussian[m]}`);
  });
  assert.deepEqual(got[2].zero, got[1].zero);
  assert.equal(got[2].fraction, 0.9);
  // The latents themselves carry the class: far above chance.
  own.forEach((s) => assert.ok(mean(s!) > 0.6, `own accuracy ${mean(s!)}`));
});

Deno.test("liftCeilings(): the conditional complement's mean is the regression of the dropped block on the kept one", async () => {
  // Block 0 kept whole, block 1 dropped: the conditional mean fills block 1 with
  // μ̂₁ + Σ̂₁₀ Σ̂₀₀⁻¹ (z₀ − μ̂₀) (sample moments), computed here in z-space without the whitening.
  const u = whiten(whitening, z, N);
  const moment = secondMoment(u, N, D);
  const eye3 = Float64Array.from({ length: 9 }, (_, k) => (k % 4 === 0 ? 1 : 0));
  const point = {
    label: "block 0",
    fraction: null,
    ranks: [3, 0],
    bases: [eye3, new Float64Array(0)],
  };
  const [got] = await liftCeilings(whitening, [point], z, N, score, 3, moment);
  const mu = new Float64Array(D), cov = new Float64Array(D * D);
  for (let r = 0; r < N; r++) for (let j = 0; j < D; j++) mu[j] += z[r * D + j] / N;
  for (let r = 0; r < N; r++) {
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) cov[i * D + j] += (z[r * D + i] - mu[i]) * (z[r * D + j] - mu[j]);
    }
  }
  const c00 = Float64Array.from({ length: 9 }, (_, k) => cov[Math.floor(k / 3) * D + (k % 3)]);
  const inv = spdInverse(c00, 3);
  const pred = Float32Array.from(z);
  for (let r = 0; r < N; r++) {
    for (let i = 3; i < D; i++) {
      let s = mu[i];
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) s += cov[i * D + a] * inv[a * 3 + b] * (z[r * D + b] - mu[b]);
      }
      pred[r * D + i] = s;
    }
  }
  const expected = mean((await score(1, pred, N))!);
  // Rounding to f32 may move a row on a class boundary: allow 2 rows.
  assert.ok(
    Math.abs(got.conditional_mean![1]! - expected) <= 2 / N,
    `${got.conditional_mean![1]} vs ${expected}`,
  );
  // The dropped block now carries the class through block 0: far above ρ's noise (chance).
  assert.ok(
    got.conditional_mean![1]! > got.gaussian[1]! + 0.1,
    `${got.conditional_mean} vs ${got.gaussian}`,
  );
  // The kept block is returned as it is by every complement.
  assert.equal(got.conditional![0], got.gaussian[0]);
});
