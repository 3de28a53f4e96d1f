import assert from "node:assert/strict";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { Rng } from "../../engine/random.ts";
import { Tensor, tidy } from "../../engine/tensor.ts";
import { assertAllClose } from "../../engine/testing.ts";
import {
  blockBasis,
  crossModalCase,
  gaussianScoreRatio,
  matMul,
  sampleGaussian,
  transposeOf,
  whitenedCovariance,
} from "./_gaussian.ts";
import { selectReduction } from "./diagnostic.ts";
import {
  fullRankSelection,
  liftLatents,
  projectLatents,
  ReductionMaps,
  reductionMatrices,
} from "./reduce.ts";
import { fitWhitening, whiten } from "./whitening.ts";
import { spdInverse } from "../../wasm/linalg/mod.ts";

const be = new ReferenceBackend();
const dims = [3, 2, 4];
const D = 9;

function setup(n: number, ranks: number[]) {
  const { mean, sigma } = crossModalCase(dims, [2, 1], 21);
  const z = sampleGaussian(mean, sigma, n, 22);
  const w = fitWhitening(z, n, dims);
  const c = whitenedCovariance(w, sigma);
  const sel = selectReduction(gaussianScoreRatio(c, D).h, dims, { ranks });
  return { z, w, c, sel, mats: reductionMatrices(w, sel) };
}

function normals(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return new Float64Array(n).map(() => rng.normal());
}

Deno.test("projectLatents() is Wᵀ of the whitened latents, block by block", () => {
  const n = 40;
  const { z, w, sel, mats } = setup(n, [1, 2, 0]);
  assert.deepEqual(mats.offsets, [0, 1, 3]);
  assert.equal(mats.reduced, 3);
  const u = whiten(w, z, n);
  const expected = matMul(u, blockBasis(dims, sel.bases), n, D, 3);
  assertAllClose(projectLatents(mats, z, n), expected, { atol: 1e-10 });
});

Deno.test("liftLatents() keeps y: projecting a lifted point returns y for any noise", () => {
  const n = 30;
  const { mats } = setup(n, [2, 1, 3]);
  const y = normals(n * 6, 1);
  const z = liftLatents(mats, y, normals(n * D, 2), n);
  assertAllClose(projectLatents(mats, z, n), y, { atol: 1e-10 });
});

Deno.test("full rank: lift(project(z)) = z whatever the noise (the whitened control)", () => {
  const n = 25;
  const { z, w } = setup(n, [0, 0, 0]);
  const mats = reductionMatrices(w, fullRankSelection(dims));
  assert.ok(mats.liftNoise.every((x) => Math.abs(x) < 1e-12));
  const y = projectLatents(mats, z, n);
  assertAllClose(y, whiten(w, z, n), { atol: 1e-10 });
  assertAllClose(liftLatents(mats, y, normals(n * D, 3), n), z, { atol: 1e-9, rtol: 1e-9 });
});

Deno.test("lifted samples have the reduced law: whitened covariance P C P + I − P", () => {
  // π_r keeps the law of Wᵀu and draws the complement from ρ = N(0, I).
  const n = 20000;
  const { z, w, c, sel, mats } = setup(n, [1, 1, 2]);
  const zl = liftLatents(mats, projectLatents(mats, z, n), normals(n * D, 4), n);
  const ul = whiten(w, zl, n);
  const emp = matMul(transposeOf(ul, n, D), ul, D, n, D).map((x) => x / n);
  const wb = blockBasis(dims, sel.bases);
  const p = matMul(wb, transposeOf(wb, D, 4), D, 4, D);
  const pcp = matMul(matMul(p, c, D, D, D), p, D, D, D);
  const expected = pcp.map((x, i) => x + (i % (D + 1) === 0 ? 1 : 0) - p[i]);
  // Standard error of a covariance entry ≈ √(2/n) ≈ 0.01 at unit scale.
  assertAllClose(emp, expected, { atol: 0.05, label: "lifted covariance" });
});

Deno.test("ReductionMaps applies the same maps on a device backend", () => {
  const n = 12;
  const { z, mats } = setup(n, [2, 1, 1]);
  const xi = normals(n * D, 5);
  const maps = new ReductionMaps(be, mats);
  const live = be.liveBuffers;
  tidy(() => {
    const y = maps.project(Tensor.from(be, z, [n, D]));
    const yd = (y.buf as unknown as { data: Float64Array }).data;
    assertAllClose(yd, projectLatents(mats, z, n), { atol: 1e-10 });
    const zl = maps.lift(y, Tensor.from(be, xi, [n, D]));
    const zd = (zl.buf as unknown as { data: Float64Array }).data;
    assertAllClose(zd, liftLatents(mats, projectLatents(mats, z, n), xi, n), { atol: 1e-9 });
    assert.throws(() => maps.project(Tensor.from(be, new Float64Array(n * 4), [n, 4])), TypeError);
    assert.throws(() => maps.lift(y, Tensor.from(be, new Float64Array(D), [1, D])), TypeError);
  });
  assert.equal(be.liveBuffers, live);
  maps.dispose();
  assert.equal(be.liveBuffers, live - 5);
});

Deno.test("reductionMatrices() validates ranks and bases", () => {
  const { w, sel } = setup(20, [1, 1, 1]);
  assert.throws(
    () => reductionMatrices(w, { ranks: [1, 1], bases: sel.bases.slice(0, 2) }),
    TypeError,
  );
  assert.throws(() => reductionMatrices(w, { ranks: [4, 1, 1], bases: sel.bases }), RangeError);
  assert.throws(() => reductionMatrices(w, { ranks: [2, 1, 1], bases: sel.bases }), TypeError);
});

Deno.test("conditional complement: the lift is the Gaussian conditional of z given y (mean and covariance)", () => {
  const { w, sel } = setup(400, [1, 1, 2]);
  const { sigma } = crossModalCase(dims, [2, 1], 21);
  // z ~ N(μ̂, Σ) with μ̂ the whitening's mean: u is N(0, C), C = T Σ Tᵀ, the lift's reference law.
  const mats = reductionMatrices(w, sel, {
    kind: "conditional",
    moment: whitenedCovariance(w, sigma),
  });
  const r = mats.reduced;
  // Known answer in z-space, independent of the whitened algebra: y = P(z − μ̂), so
  // E[z | y] = μ̂ + Σ Pᵀ (P Σ Pᵀ)⁻¹ y and Cov[z | y] = Σ − Σ Pᵀ (P Σ Pᵀ)⁻¹ P Σ.
  const p = mats.project, pt = transposeOf(p, r, D);
  const sp = matMul(sigma, pt, D, D, r);
  const gain = matMul(sp, spdInverse(matMul(p, sp, r, D, r), r), D, r, r);
  const ys = normals(5 * r, 3);
  const lifted = liftLatents(mats, ys, new Float64Array(5 * D), 5);
  const expected = new Float64Array(5 * D);
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < D; j++) {
      let s = mats.mean[j];
      for (let c = 0; c < r; c++) s += gain[j * r + c] * ys[i * r + c];
      expected[i * D + j] = s;
    }
  }
  assertAllClose(lifted, expected, { atol: 1e-7, rtol: 1e-7 });
  const cov = Float64Array.from(sigma);
  const gsp = matMul(gain, transposeOf(sp, D, r), D, r, D);
  for (let i = 0; i < cov.length; i++) cov[i] -= gsp[i];
  const noise = mats.liftNoise;
  assertAllClose(matMul(noise, transposeOf(noise, D, D), D, D, D), cov, { atol: 1e-7, rtol: 1e-7 });
  // The projection is unchanged: lift then project returns y, whatever ξ.
  const back = projectLatents(mats, liftLatents(mats, ys, normals(5 * D, 4), 5), 5);
  assertAllClose(back, ys, { atol: 1e-9, rtol: 1e-9 });
});

Deno.test("zero and full-rank conditional complements: no noise enters the lift", () => {
  const { w, sel, c } = setup(200, [2, 1, 2]);
  const zero = reductionMatrices(w, sel, { kind: "zero" });
  const noisy = reductionMatrices(w, sel);
  assert.ok(zero.liftNoise.every((v) => v === 0));
  assert.deepEqual(zero.liftMean, noisy.liftMean);
  const cond = reductionMatrices(w, sel, { kind: "conditional", moment: c });
  const condMean = reductionMatrices(w, sel, { kind: "conditional-mean", moment: c });
  assert.ok(condMean.liftNoise.every((v) => v === 0));
  assert.ok(cond.liftNoise.some((v) => v !== 0));
  assert.deepEqual(condMean.liftMean, cond.liftMean);
  const full = reductionMatrices(w, fullRankSelection(dims), { kind: "conditional", moment: c });
  assert.ok(full.liftNoise.every((v) => Math.abs(v) < 1e-6), "full rank: nothing to fill in");
  assertAllClose(full.liftMean, reductionMatrices(w, fullRankSelection(dims)).liftMean, {
    atol: 1e-9,
    rtol: 1e-9,
  });
});
