/**
 * Known answers of the prior-score estimator: with the exact score of a Gaussian, the score ratio
 * it builds in whitened coordinates is the Gaussian one, so H is exactly the Gaussian part of H
 * (sample statistics) and tends to the analytic C − 2I + C⁻¹ (population statistics).
 */
import assert from "node:assert/strict";
import { spdInverse } from "../../wasm/linalg/mod.ts";
import {
  crossModalCase,
  gaussianScoreRatio,
  relativeFrobenius,
  sampleGaussian,
  whitenedCovariance,
} from "./_gaussian.ts";
import { diagnosticMatrix } from "./diagnostic.ts";
import { gaussianPartOfH } from "./h_diagnostics.ts";
import { priorScoreRatio } from "./prior_score.ts";
import { fitWhitening, whiten } from "./whitening.ts";

/** ∇_z log N(z; μ, Σ) = −Σ⁻¹ (z − μ), row by row. */
function gaussianScore(mean: Float64Array, sigma: Float64Array) {
  const d = mean.length, prec = spdInverse(sigma, d);
  return (z: Float32Array, rows: number) => {
    const g = new Float64Array(rows * d);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s -= prec[j * d + k] * (z[i * d + k] - mean[k]);
        g[i * d + j] = s;
      }
    }
    return Promise.resolve(g);
  };
}

/** Mean and (1/n) covariance of rows z (n, D), from the f32-rounded values the estimator sees. */
function sampleMoments(z: Float64Array, n: number, d: number) {
  const zf = Float32Array.from(z);
  const mean = new Float64Array(d), cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += zf[i * d + j] / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < d; k++) {
        cov[j * d + k] += (zf[i * d + j] - mean[j]) * (zf[i * d + k] - mean[k]) / n;
      }
    }
  }
  return { mean, cov, zf };
}

Deno.test("priorScoreRatio(): the exact sample score gives H = its Gaussian part exactly", async () => {
  const dims = [3, 4, 2], n = 3000;
  const { mean, sigma } = crossModalCase(dims, [2, 1], 7);
  const d = mean.length;
  const { mean: mu, cov, zf } = sampleMoments(sampleGaussian(mean, sigma, n, 8), n, d);
  const w = fitWhitening(zf, n, dims);
  // With the sample's own Gaussian, s(u) = (I − M⁻¹) u, M = (1/n) Σ u uᵀ: H = H_G to rounding.
  const s = await priorScoreRatio(w, zf, n, gaussianScore(mu, cov), 1000);
  const h = diagnosticMatrix(s, n, d);
  const hg = gaussianPartOfH(whiten(w, zf, n), n, d);
  const err = relativeFrobenius(h, hg);
  assert.ok(err < 1e-8, `relative Frobenius error ${err} < 1e-8`);
});

Deno.test("priorScoreRatio(): the population score gives the analytic H = C − 2I + C⁻¹", async () => {
  const dims = [4, 4], n = 20000;
  const { mean, sigma } = crossModalCase(dims, [2, 1], 17);
  const d = mean.length;
  const z = Float32Array.from(sampleGaussian(mean, sigma, n, 18));
  const w = fitWhitening(z, n, dims);
  const h = diagnosticMatrix(await priorScoreRatio(w, z, n, gaussianScore(mean, sigma)), n, d);
  const exact = gaussianScoreRatio(whitenedCovariance(w, sigma), d).h;
  const err = relativeFrobenius(h, exact);
  assert.ok(err < 0.05, `relative Frobenius error ${err} < 0.05`);
});

Deno.test("priorScoreRatio(): a score of the wrong length is refused by name", async () => {
  const z = Float32Array.from({ length: 8 }, (_, i) => Math.sin(i) + (i % 2));
  const w = fitWhitening(z, 4, [1, 1]);
  await assert.rejects(
    () => priorScoreRatio(w, z, 4, () => Promise.resolve(new Float64Array(3))),
    /the score of 4 rows must have 8 values: current length is 3/,
  );
});
