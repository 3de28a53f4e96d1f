/**
 * Gaussian known answers for the reduction tests (internal): sampling z ~ N(μ, Σ), the analytic
 * score ratio and diagnostic matrix in whitened coordinates, the closed-form D_KL(π‖π_r) of a
 * block-diagonal reduction, principal angles, and the relative Frobenius error. Host f64.
 */
import { cholesky, eigh, spdInverse } from "../../wasm/linalg/mod.ts";
import { Rng } from "../../engine/random.ts";
import type { Whitening } from "./whitening.ts";
import { matMulHost } from "./reduce.ts";

/** n rows of N(mean, sigma) (row-major (n, D)), from a seeded generator. */
export function sampleGaussian(
  mean: Float64Array,
  sigma: Float64Array,
  n: number,
  seed: number,
): Float64Array {
  const d = mean.length;
  const k = cholesky(sigma, d);
  const rng = new Rng(seed);
  const out = new Float64Array(n * d);
  const e = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) e[j] = rng.normal();
    for (let j = 0; j < d; j++) {
      let s = mean[j];
      for (let q = 0; q <= j; q++) s += k[j * d + q] * e[q];
      out[i * d + j] = s;
    }
  }
  return out;
}

/** a·b for row-major (m, k)·(k, n): the reduction's own host product. */
export const matMul = matMulHost;

/** Transpose of row-major (m, n). */
export function transposeOf(a: Float64Array, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j];
  return out;
}

/** A random (d, r) matrix with orthonormal columns: Gram–Schmidt of Gaussian vectors. */
export function randomBasis(d: number, r: number, rng: Rng): Float64Array {
  const cols: number[][] = [];
  for (let j = 0; j < r; j++) {
    const v = Array.from({ length: d }, () => rng.normal());
    for (const c of cols) {
      const dot = v.reduce((s, x, i) => s + x * c[i], 0);
      for (let i = 0; i < d; i++) v[i] -= dot * c[i];
    }
    const norm = Math.hypot(...v);
    cols.push(v.map((x) => x / norm));
  }
  const out = new Float64Array(d * r);
  for (let i = 0; i < d; i++) for (let j = 0; j < r; j++) out[i * r + j] = cols[j][i];
  return out;
}

/** The block-diagonal whitening map T = diag(L_mᵀ) (D, D): u = T (z − μ). */
export function whiteningMap(w: Whitening): Float64Array {
  const d = w.total;
  const t = new Float64Array(d * d);
  for (const b of w.blocks) {
    for (let i = 0; i < b.dim; i++) {
      for (let j = 0; j < b.dim; j++) t[(b.offset + i) * d + b.offset + j] = b.l[j * b.dim + i];
    }
  }
  return t;
}

/** Covariance of u = T(z − μ) when z ~ N(μ, Σ): C = T Σ Tᵀ. */
export function whitenedCovariance(w: Whitening, sigma: Float64Array): Float64Array {
  const d = w.total, t = whiteningMap(w);
  const c = matMul(matMul(t, sigma, d, d, d), transposeOf(t, d, d), d, d, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) c[i * d + j] = c[j * d + i] = 0.5 * (c[i * d + j] + c[j * d + i]);
  }
  return c;
}

/** For π = N(0, C): the score-ratio matrix A = I − C⁻¹ (s(u) = A u) and H = A C A = C − 2I + C⁻¹. */
export function gaussianScoreRatio(
  c: Float64Array,
  d: number,
): { a: Float64Array; h: Float64Array } {
  const ci = spdInverse(c, d);
  const a = new Float64Array(d * d), h = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const eye = i === j ? 1 : 0;
      a[i * d + j] = eye - ci[i * d + j];
      h[i * d + j] = c[i * d + j] - 2 * eye + ci[i * d + j];
    }
  }
  return { a, h };
}

/** log det of an SPD matrix. */
function logDet(a: Float64Array, n: number): number {
  if (n === 0) return 0;
  const l = cholesky(a, n);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[i * n + i]);
  return 2 * s;
}

/** W = diag(U_m) (D, R) from per-block bases (d_m, r_m). */
export function blockBasis(dims: readonly number[], bases: readonly Float64Array[]): Float64Array {
  const total = dims.reduce((a, b) => a + b, 0);
  const ranks = dims.map((d, m) => bases[m].length / d);
  const r = ranks.reduce((a, b) => a + b, 0);
  const w = new Float64Array(total * r);
  let zo = 0, ro = 0;
  dims.forEach((d, m) => {
    for (let i = 0; i < d; i++) {
      for (let c = 0; c < ranks[m]; c++) w[(zo + i) * r + ro + c] = bases[m][i * ranks[m] + c];
    }
    zo += d;
    ro += ranks[m];
  });
  return w;
}

/**
 * D_KL(π‖π_r) in closed form for π = N(0, C), ρ = N(0, I) and π_r = law of Wᵀu under π times ρ on
 * the complement: π_r = N(0, P C P + I − P), so
 * KL = ½ [r + tr((I − P) C) − D + log det(WᵀCW) − log det C].
 */
export function gaussianReductionKl(
  c: Float64Array,
  dims: readonly number[],
  bases: readonly Float64Array[],
): number {
  const d = dims.reduce((a, b) => a + b, 0);
  const w = blockBasis(dims, bases);
  const r = w.length / d;
  const wt = transposeOf(w, d, r);
  const wcw = matMul(matMul(wt, c, r, d, d), w, r, d, r);
  const cw = matMul(c, w, d, d, r);
  let trC = 0, trPC = 0;
  for (let i = 0; i < d; i++) trC += c[i * d + i];
  for (let i = 0; i < d; i++) for (let q = 0; q < r; q++) trPC += w[i * r + q] * cw[i * r + q];
  return 0.5 * (r + (trC - trPC) - d + logDet(wcw, r) - logDet(c, d));
}

/** sin of the largest principal angle between span(U) and span(V), both (d, r) orthonormal. */
export function largestPrincipalAngleSin(
  u: Float64Array,
  v: Float64Array,
  d: number,
  r: number,
): number {
  if (r === 0) return 0;
  // M = Vᵀ (I − U Uᵀ) V; its largest eigenvalue is sin²θ_max.
  const utv = matMul(transposeOf(u, d, r), v, r, d, r);
  const vtv = matMul(transposeOf(v, d, r), v, r, d, r);
  const m = matMul(transposeOf(utv, r, r), utv, r, r, r);
  for (let i = 0; i < r * r; i++) m[i] = vtv[i] - m[i];
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < i; j++) m[i * r + j] = m[j * r + i] = 0.5 * (m[i * r + j] + m[j * r + i]);
  }
  const top = eigh(m, r).values[r - 1];
  return Math.sqrt(Math.max(0, top));
}

export { relativeFrobenius } from "./h_diagnostics.ts";

/**
 * A latent Gaussian with cross-modality correlation: z_m = μ_m + S_m (B_m f + e_m) with a shared
 * factor f ~ N(0, I_k), loadings B_m (d_m, k) of orthogonal columns with norms `loadings`, noise
 * e_m ~ N(0, I) and a random well-conditioned per-block mixing S_m. After whitening, each block's
 * marginal is N(0, I) and all structure sits in the cross-blocks; the canonical correlation along
 * factor j is loadings[j]² / (1 + loadings[j]²).
 */
export function crossModalCase(
  dims: readonly number[],
  loadings: readonly number[],
  seed: number,
): { mean: Float64Array; sigma: Float64Array } {
  const rng = new Rng(seed);
  const d = dims.reduce((a, b) => a + b, 0), k = loadings.length;
  const load = new Float64Array(d * k);
  let off = 0;
  for (const dm of dims) {
    // k orthonormal directions in the block.
    const cols = randomBasis(dm, k, rng);
    for (let i = 0; i < dm; i++) {
      for (let j = 0; j < k; j++) load[(off + i) * k + j] = loadings[j] * cols[i * k + j];
    }
    off += dm;
  }
  const inner = matMul(load, transposeOf(load, d, k), d, k, d);
  for (let i = 0; i < d; i++) inner[i * d + i] += 1;
  const s = new Float64Array(d * d);
  off = 0;
  for (const dm of dims) {
    for (let i = 0; i < dm; i++) {
      for (let j = 0; j < dm; j++) {
        s[(off + i) * d + off + j] = (i === j ? 1.5 : 0) + 0.5 * rng.normal();
      }
    }
    off += dm;
  }
  const sigma = matMul(matMul(s, inner, d, d, d), transposeOf(s, d, d), d, d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) sigma[i * d + j] = sigma[j * d + i];
  const mean = Float64Array.from({ length: d }, () => 3 * rng.normal());
  return { mean, sigma };
}
