/**
 * Known answers of the H diagnostics: principal angles of constructed subspaces (in any bases),
 * H's Gaussian part against its definition and against the analytic C − 2I + C⁻¹, the learned H
 * of a Gaussian equal to its Gaussian part after training, a constructed non-Gaussian H whose
 * basis turns by 90°, and the bound under H on held-out latents for the exact score ratio.
 */
import assert from "node:assert/strict";
import { Rng } from "../../engine/random.ts";
import { createWasmCpuBackend } from "../../wasm/cpu/mod.ts";
import {
  crossModalCase,
  gaussianScoreRatio,
  matMul,
  randomBasis,
  sampleGaussian,
  transposeOf,
  whitenedCovariance,
} from "./_gaussian.ts";
import { diagnosticMatrix, estimateDiagnostic, selectReduction } from "./diagnostic.ts";
import {
  boundUnderH,
  compareWithGaussianPart,
  gaussianPartOfH,
  principalAngles,
  relativeFrobenius,
} from "./h_diagnostics.ts";
import { gaussianLinearInit, ScoreRatioNet, trainScoreRatio } from "./score_ratio.ts";
import { fitWhitening, whiten } from "./whitening.ts";

const be = await createWasmCpuBackend({ threads: 1 });

/** A random orthogonal (d, d) matrix. */
const randomOrthogonal = (d: number, seed: number) => randomBasis(d, d, new Rng(seed));

/** Whitened Gaussian data of `dims` with cross-modal loadings, and its analytic H. */
function gaussianData(dims: number[], n: number, seed: number) {
  const d = dims.reduce((a, b) => a + b, 0);
  const { mean, sigma } = crossModalCase(dims, [2, 1], seed);
  const z = sampleGaussian(mean, sigma, 2 * n, seed + 1);
  const w = fitWhitening(z.subarray(0, n * d), n, dims);
  const c = whitenedCovariance(w, sigma);
  const u = whiten(w, z, 2 * n);
  return {
    d,
    train: u.subarray(0, n * d),
    test: u.subarray(n * d),
    c,
    h: gaussianScoreRatio(c, d),
  };
}

Deno.test("principalAngles() recovers constructed angles in rotated, mixed bases", () => {
  const d = 6, q = randomOrthogonal(d, 3);
  for (const [a, b] of [[0.3, 1.1], [1e-7, 0.7], [0, Math.PI / 2]]) {
    // U = Q [e0 e1], V = Q [cos a e0 + sin a e2, cos b e1 + sin b e3] · R (R a 2×2 rotation).
    const u0 = new Float64Array(d * 2), v0 = new Float64Array(d * 2);
    u0[0 * 2 + 0] = 1;
    u0[1 * 2 + 1] = 1;
    v0[0 * 2 + 0] = Math.cos(a);
    v0[2 * 2 + 0] = Math.sin(a);
    v0[1 * 2 + 1] = Math.cos(b);
    v0[3 * 2 + 1] = Math.sin(b);
    const rot = new Float64Array([Math.cos(0.4), -Math.sin(0.4), Math.sin(0.4), Math.cos(0.4)]);
    const u = matMul(q, u0, d, d, 2), v = matMul(matMul(q, v0, d, d, 2), rot, d, 2, 2);
    const got = principalAngles(u, v, d, 2);
    const want = [Math.min(a, b), Math.max(a, b)];
    // Angles from cos² and sin² (eigenvalues of BᵀB) were off by 1.3e-9 at 1e-7 and 7e-9 at 90°.
    got.forEach((g, i) =>
      assert.ok(Math.abs(g - want[i]) < 1e-12, `angles ${got} vs ${want} (a ${a}, b ${b})`)
    );
  }
  // Identical spans in different bases: all angles 0; the full space against itself likewise.
  const q2 = randomOrthogonal(3, 9);
  const e = matMul(q2, new Float64Array([1, 0, 0, 1, 0, 0]), 3, 3, 2);
  const mixed = matMul(e, new Float64Array([0.6, 0.8, -0.8, 0.6]), 3, 2, 2);
  for (const g of principalAngles(e, mixed, 3, 2)) assert.ok(g < 1e-7, `angle ${g}`);
  assert.deepEqual(principalAngles([], [], 4, 0), []);
  assert.throws(() => principalAngles([1, 0], [1, 0, 0], 2, 1), TypeError);
});

Deno.test("gaussianPartOfH() is the H of the Gaussian linear fit and tends to C − 2I + C⁻¹", () => {
  const dims = [4, 4, 4], n = 20000;
  const { d, train, h } = gaussianData(dims, n, 11);
  const hg = gaussianPartOfH(train, n, d);
  // By definition: H of s(u) = A₀u on the same rows.
  const a = gaussianLinearInit(train, n, d);
  const s = matMul(train, transposeOf(a, d, d), n, d, d);
  const direct = diagnosticMatrix(s, n, d);
  assert.ok(relativeFrobenius(hg, direct) < 1e-10, `closed form vs direct`);
  // And the analytic H of the Gaussian, to Monte Carlo error (measured 0.013 at n = 20000).
  const err = relativeFrobenius(hg, h.h);
  assert.ok(err < 0.04, `H_G vs analytic: ${err}`);
});

Deno.test("compareWithGaussianPart(): a Gaussian's learned H is its Gaussian part; a constructed non-Gaussian one is not", async () => {
  const dims = [4, 4, 4], n = 20000;
  const { d, train } = gaussianData(dims, n, 31);
  const hg = gaussianPartOfH(train, n, d);
  const net = new ScoreRatioNet(be, { dim: d, hidden: [16], seed: 3 });
  let hl: Float64Array;
  try {
    await trainScoreRatio(net, train, n, { steps: 300, batch: 256, lr: 3e-3 });
    hl = await estimateDiagnostic(net, train, n);
  } finally {
    net.dispose();
  }
  const ranks = selectReduction(hl, dims, { epsilon: 0.05 }).ranks;
  const cmp = compareWithGaussianPart(hl, hg, dims, ranks);
  const worst = Math.max(...cmp.angles.flat());
  console.log(
    `  Gaussian π: ranks [${ranks}], ‖H − H_G‖/‖H‖ ${cmp.relativeFrobenius.toFixed(4)}, ` +
      `largest angle ${(worst * 180 / Math.PI).toFixed(2)}°`,
  );
  assert.ok(cmp.relativeFrobenius < 0.05, `relative distance ${cmp.relativeFrobenius}`);
  assert.ok(worst < 0.1, `largest principal angle ${worst} rad`);

  // Constructed: one block, H_G = diag(2, 1, 0.1); the learned H adds 3 on the third axis, so the
  // rank-1 basis turns from e0 to e2 (90°) and ‖H − H_G‖/‖H‖ = 3 / ‖diag(2, 1, 3.1)‖.
  const g = new Float64Array([2, 0, 0, 0, 1, 0, 0, 0, 0.1]);
  const l = new Float64Array([2, 0, 0, 0, 1, 0, 0, 0, 3.1]);
  const c = compareWithGaussianPart(l, g, [3], [1]);
  assert.ok(Math.abs(c.relativeFrobenius - 3 / Math.hypot(2, 1, 3.1)) < 1e-12);
  assert.ok(Math.abs(c.angles[0][0] - Math.PI / 2) < 1e-12, `angle ${c.angles[0]}`);
  assert.ok(Math.abs(c.trace - 3.1) < 1e-12 && Math.abs(c.bound - 0.55) < 1e-12);
});

Deno.test("boundUnderH(): the exact score ratio's H on held-out latents gives the analytic bound", async () => {
  const dims = [4, 4, 4], n = 20000;
  const { d, test, h } = gaussianData(dims, n, 41);
  // A network that is exactly the analytic score ratio: s(u) = (I − C⁻¹) u, no MLP.
  const net = new ScoreRatioNet(be, { dim: d, hidden: [], seed: 1 });
  net.setLinear(h.a);
  const hTest = await estimateDiagnostic(net, test, n);
  net.dispose();
  const sel = selectReduction(h.h, dims, { epsilon: 0.05 });
  const truth = boundUnderH(h.h, dims, sel.bases);
  const held = boundUnderH(hTest, dims, sel.bases);
  // For the top eigenvectors the bound under the analytic H is the selection's own bound.
  assert.ok(Math.abs(truth.bound - sel.bound) < 1e-10 && Math.abs(truth.trace - sel.trace) < 1e-10);
  console.log(
    `  held-out: tr H ${held.trace.toFixed(3)} (analytic ${truth.trace.toFixed(3)}), bound ${
      held.bound.toFixed(4)
    } (analytic ${truth.bound.toFixed(4)}), ranks [${sel.ranks}]`,
  );
  // Monte Carlo error of a mean of n quadratic forms: a few percent at n = 20000.
  assert.ok(Math.abs(held.trace / truth.trace - 1) < 0.03, `trace ${held.trace} vs ${truth.trace}`);
  assert.ok(Math.abs(held.bound - truth.bound) < 0.1 * truth.bound + 0.01, `bound ${held.bound}`);
});
