/**
 * Host-side helpers for the sde tests: synchronous reads of reference tensors, small dense f64
 * matrix algebra, sample moments, the energy distance, and exact samplers of the test targets.
 */
import { Rng } from "../../engine/random.ts";
import type { Tensor } from "../../engine/tensor.ts";

/** Synchronous read of a reference-backend tensor (the reference stores f64 arrays). */
export function refData(t: Tensor): Float64Array {
  return (t.buf as unknown as { data: Float64Array }).data.subarray(0, t.size);
}

/** Row-major n×n matrix inverse by Gauss–Jordan with partial pivoting. */
export function invert(a: ArrayLike<number>, n: number): Float64Array {
  const m = new Float64Array(n * 2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) m[i * 2 * n + j] = a[i * n + j];
    m[i * 2 * n + n + i] = 1;
  }
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) {
      if (Math.abs(m[r * 2 * n + c]) > Math.abs(m[p * 2 * n + c])) p = r;
    }
    for (let j = 0; j < 2 * n; j++) {
      const t = m[c * 2 * n + j];
      m[c * 2 * n + j] = m[p * 2 * n + j];
      m[p * 2 * n + j] = t;
    }
    const d = m[c * 2 * n + c];
    for (let j = 0; j < 2 * n; j++) m[c * 2 * n + j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * 2 * n + c];
      for (let j = 0; j < 2 * n; j++) m[r * 2 * n + j] -= f * m[c * 2 * n + j];
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = m[i * 2 * n + n + j];
  return out;
}

/** Sample mean and (n − 1)-normalised covariance of the columns `cols` of rows `rows` of x (·, D). */
export function moments(
  x: ArrayLike<number>,
  d: number,
  rows: number[],
  cols: number[],
): { mean: number[]; cov: number[] } {
  const k = cols.length;
  const mean = cols.map((c) => rows.reduce((s, r) => s + x[r * d + c], 0) / rows.length);
  const cov = new Array(k * k).fill(0);
  for (const r of rows) {
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        cov[a * k + b] += (x[r * d + cols[a]] - mean[a]) * (x[r * d + cols[b]] - mean[b]);
      }
    }
  }
  return { mean, cov: cov.map((v) => v / (rows.length - 1)) };
}

/** Energy distance 2E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖ between two sample sets of D-vectors (V-statistic). */
export function energyDistance(x: ArrayLike<number>, y: ArrayLike<number>, d: number): number {
  const meanDist = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    const na = a.length / d, nb = b.length / d;
    let s = 0;
    for (let i = 0; i < na; i++) {
      for (let j = 0; j < nb; j++) {
        let q = 0;
        for (let c = 0; c < d; c++) q += (a[i * d + c] - b[j * d + c]) ** 2;
        s += Math.sqrt(q);
      }
    }
    return s / (na * nb);
  };
  return 2 * meanDist(x, y) - meanDist(x, x) - meanDist(y, y);
}

/** An isotropic Gaussian mixture in R^D. */
export interface Mixture {
  weights: number[];
  means: number[][];
  stds: number[];
}

/** n exact samples (n, D) of a mixture, from a seeded host generator. */
export function sampleMixture(mix: Mixture, n: number, rng: Rng): Float64Array {
  const d = mix.means[0].length;
  const total = mix.weights.reduce((a, b) => a + b, 0);
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let u = rng.uniform() * total, k = 0;
    while (k < mix.weights.length - 1 && u >= mix.weights[k]) u -= mix.weights[k++];
    for (let c = 0; c < d; c++) out[i * d + c] = mix.means[k][c] + mix.stds[k] * rng.normal();
  }
  return out;
}

/** n exact samples (n, D) of N(μ, C) through the Cholesky factor of C. */
export function sampleGaussian(mean: number[], cov: number[], n: number, rng: Rng): Float64Array {
  const d = mean.length;
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = cov[i * d + j];
      for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
      l[i * d + j] = i === j ? Math.sqrt(s) : s / l[j * d + j];
    }
  }
  const out = new Float64Array(n * d);
  const e = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < d; c++) e[c] = rng.normal();
    for (let i = 0; i < d; i++) {
      let s = mean[i];
      for (let k = 0; k <= i; k++) s += l[i * d + k] * e[k];
      out[r * d + i] = s;
    }
  }
  return out;
}

export { Rng };
