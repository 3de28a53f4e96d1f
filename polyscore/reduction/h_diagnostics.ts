/**
 * Diagnostics of the learned diagnostic matrix H (science audit §1.4, §3; issue #14): how much of
 * H is its Gaussian part, whether the chosen bases differ from the Gaussian part's, and what H
 * says on held-out latents. The Gaussian part is the H of the best linear score ratio
 * s(u) = A₀ u, A₀ = I − M⁻¹ (`gaussianLinearInit`, the network's starting point), on the same
 * latents: H_G = A₀ M A₀ = M − 2I + M⁻¹ with M = (1/n) Σ u uᵀ. Host-side f64.
 */
import { eigh } from "../../wasm/linalg/mod.ts";
import { projectionBound, selectReduction } from "./diagnostic.ts";
import { gaussianLinearInit, secondMoment } from "./score_ratio.ts";
import { checkDims, checkRows } from "./whitening.ts";

/**
 * H's Gaussian part on whitened latents u (n, D): H_G = A₀ M A₀, the diagnostic matrix of the
 * linear term alone at its closed-form optimum (for π = N(0, C) it tends to C − 2I + C⁻¹).
 *
 * @returns (D, D) row-major symmetric H_G.
 */
export function gaussianPartOfH(u: ArrayLike<number>, n: number, d: number): Float64Array {
  const a = gaussianLinearInit(u, n, d);
  const m = secondMoment(u, n, d);
  const am = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let p = 0; p < d; p++) {
      const v = a[i * d + p];
      for (let j = 0; j < d; j++) am[i * d + j] += v * m[p * d + j];
    }
  }
  const h = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0; p < d; p++) s += am[i * d + p] * a[p * d + j];
      h[i * d + j] = h[j * d + i] = s;
    }
  }
  return h;
}

/** ‖a − b‖_F / ‖b‖_F (NaN when b = 0). */
export function relativeFrobenius(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new TypeError(
      `Cannot compare matrices: a has ${a.length} entries but b has ${b.length}`,
    );
  }
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/**
 * The singular values (descending) of a row-major (p, q) matrix b with p ≥ q, from the q largest
 * eigenvalues of the symmetric [[0, b], [bᵀ, 0]]: each comes with eigh's absolute accuracy
 * (≈ 1e-16·‖b‖), which squaring (eigenvalues of bᵀb) would turn into 1e-8 near zero.
 */
function singularValues(b: Float64Array, p: number, q: number): number[] {
  const n = p + q, j = new Float64Array(n * n);
  for (let i = 0; i < p; i++) {
    for (let k = 0; k < q; k++) j[i * n + p + k] = j[(p + k) * n + i] = b[i * q + k];
  }
  const values = eigh(j, n).values; // ascending
  return Array.from({ length: q }, (_, i) => Math.max(0, values[n - 1 - i]));
}

/**
 * The principal angles (radians, ascending) between span(U) and span(V), both (d, r) row-major
 * with orthonormal columns: θ_i = atan2(sin θ_i, cos θ_i), with cos θ the singular values of UᵀV
 * and sin θ those of the residual (I − UUᵀ)V, so angles near 0 and near 90° are both accurate.
 *
 * @example
 * ```ts
 * import { principalAngles } from "./h_diagnostics.ts";
 * const u = new Float64Array([1, 0]), v = new Float64Array([Math.SQRT1_2, Math.SQRT1_2]);
 * principalAngles(u, v, 2, 1); // [π/4]
 * ```
 */
export function principalAngles(
  u: ArrayLike<number>,
  v: ArrayLike<number>,
  d: number,
  r: number,
): number[] {
  checkRows("compute principal angles", "U", u, d, r);
  checkRows("compute principal angles", "V", v, d, r);
  if (r === 0) return [];
  const utv = new Float64Array(r * r); // (r, r) Uᵀ V
  for (let a = 0; a < r; a++) {
    for (let b = 0; b < r; b++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += u[i * r + a] * v[i * r + b];
      utv[a * r + b] = s;
    }
  }
  const res = new Float64Array(d * r); // (d, r) (I − UUᵀ) V
  for (let i = 0; i < d; i++) {
    for (let b = 0; b < r; b++) {
      let s = v[i * r + b];
      for (let k = 0; k < r; k++) s -= u[i * r + k] * utv[k * r + b];
      res[i * r + b] = s;
    }
  }
  // Largest cosine and smallest sine belong to the smallest angle.
  const cos = singularValues(utv, r, r), sin = singularValues(res, d, r).reverse();
  return cos.map((c, i) => Math.atan2(sin[i], c));
}

/** What H says about one reduction: tr H and ½ tr((I − P) H) for the reduction's bases. */
export interface BoundUnderH {
  trace: number;
  bound: number;
}

/**
 * tr H and the estimated bound ½ tr((I − P) H) of the reduction with bases U_m under `h`, e.g. the
 * learned network's H on held-out latents for the bases chosen in-sample.
 */
export function boundUnderH(
  h: Float64Array,
  dims: readonly number[],
  bases: readonly Float64Array[],
): BoundUnderH {
  const total = checkDims("compute the bound under H", dims);
  checkRows("compute the bound under H", "h", h, total, total);
  let trace = 0;
  for (let j = 0; j < total; j++) trace += h[j * total + j];
  return { trace, bound: projectionBound(h, dims, bases) };
}

/** The learned H against its Gaussian part, for the chosen ranks. */
export interface GaussianComparison {
  /** tr H_G and ½ Σ of H_G's discarded eigenvalues at the same ranks. */
  trace: number;
  bound: number;
  /** ‖H − H_G‖_F / ‖H‖_F. */
  relativeFrobenius: number;
  /** Per modality, the principal angles (radians, ascending) between the two rank-r_m bases. */
  angles: number[][];
}

/**
 * Compares the learned H with its Gaussian part H_G: relative Frobenius distance, and per block
 * the principal angles between the top-r_m eigenvectors of H_mm (the chosen basis) and of
 * (H_G)_mm at the same r_m.
 *
 * @param h (D, D) the learned H.
 * @param hGauss (D, D) its Gaussian part ({@linkcode gaussianPartOfH}).
 * @param dims d_m per modality.
 * @param ranks r_m per modality (the chosen reduction).
 */
export function compareWithGaussianPart(
  h: Float64Array,
  hGauss: Float64Array,
  dims: readonly number[],
  ranks: readonly number[],
): GaussianComparison {
  const learned = selectReduction(h, dims, { ranks });
  const gauss = selectReduction(hGauss, dims, { ranks });
  return {
    trace: gauss.trace,
    bound: gauss.bound,
    relativeFrobenius: relativeFrobenius(hGauss, h),
    angles: dims.map((d, m) => principalAngles(learned.bases[m], gauss.bases[m], d, ranks[m])),
  };
}
