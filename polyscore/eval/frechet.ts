/**
 * Fréchet distance between two sets of feature vectors, each summarised by mean and covariance:
 * ‖μ₁ − μ₂‖² + tr(C₁ + C₂ − 2 (C₁^{½} C₂ C₁^{½})^{½}). The features are our own classifier's
 * penultimate activations — NOT Inception features, so the numbers are not comparable with FID.
 * Matrix square roots via the Wasm `eigh`.
 */
import { eigh } from "../../wasm/linalg/mod.ts";

/** Mean (d) and covariance (d×d, row-major, unbiased) of n feature rows (n, d). */
export function meanCov(
  x: Float32Array | Float64Array,
  n: number,
  d: number,
): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = 0; b <= a; b++) cov[a * d + b] += ra * row[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      const v = cov[a * d + b] / Math.max(1, n - 1);
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return { mean, cov };
}

function sqrtPsd(a: Float64Array, d: number): Float64Array {
  const { values, vectors } = eigh(a, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(0, values[k]));
    if (s === 0) continue;
    for (let i = 0; i < d; i++) {
      const vi = vectors[i * d + k] * s;
      for (let j = 0; j < d; j++) out[i * d + j] += vi * vectors[j * d + k];
    }
  }
  return out;
}

function matmulSq(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const v = a[i * d + k];
      for (let j = 0; j < d; j++) out[i * d + j] += v * b[k * d + j];
    }
  }
  return out;
}

/** Fréchet distance between two Gaussians given by mean and covariance. */
export function frechetDistance(
  a: { mean: Float64Array; cov: Float64Array },
  b: { mean: Float64Array; cov: Float64Array },
): number {
  const d = a.mean.length;
  let dm = 0;
  for (let j = 0; j < d; j++) dm += (a.mean[j] - b.mean[j]) ** 2;
  const s1 = sqrtPsd(a.cov, d);
  const m = matmulSq(matmulSq(s1, b.cov, d), s1, d);
  // Symmetrise against roundoff before the eigendecomposition.
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (m[i * d + j] + m[j * d + i]);
      m[i * d + j] = v;
      m[j * d + i] = v;
    }
  }
  const { values } = eigh(m, d);
  let trSqrt = 0;
  for (const v of values) trSqrt += Math.sqrt(Math.max(0, v));
  let tr = 0;
  for (let j = 0; j < d; j++) tr += a.cov[j * d + j] + b.cov[j * d + j];
  return Math.max(0, dm + tr - 2 * trSqrt);
}
