/**
 * Per-modality whitening of latents (DESIGN stage 3, Algorithm 1 step 2 of score-ratio matching):
 * μ_m and Σ_m of each modality block, the Cholesky factor of its precision Σ_m⁻¹ = L_m L_mᵀ, and
 * u_m = L_mᵀ (z_m − μ_m), so that every block of u has zero mean and identity covariance and the
 * reference becomes ρ = N(0, I_D). Host-side f64 (the matrices are small); the linear algebra runs
 * in WebAssembly (`wasm/linalg/mod.ts`). Device-side maps are built from these in `reduce.ts`.
 *
 * Layout: latents are row-major (n, D) with the modality blocks side by side, D = Σ_m d_m.
 */
import { cholesky, eigh, solveTriangular, spdInverse } from "../../wasm/linalg/mod.ts";

/** Whitening of one modality block. */
export interface BlockWhitening {
  /** Number of latent dimensions d_m of this modality. */
  readonly dim: number;
  /** Column offset of the block inside the joint latent. */
  readonly offset: number;
  /** (d) empirical mean μ_m. */
  readonly mean: Float64Array;
  /** (d, d) row-major covariance Σ_m used (after the ridge). */
  readonly cov: Float64Array;
  /** (d, d) row-major lower-triangular L_m with Σ_m⁻¹ = L_m L_mᵀ; u_m = L_mᵀ (z_m − μ_m). */
  readonly l: Float64Array;
  /** (d, d) row-major L_m⁻ᵀ (upper triangular); z_m = μ_m + L_m⁻ᵀ u_m. */
  readonly lInvT: Float64Array;
}

/** Whitening of the joint latent, one block per modality. */
export interface Whitening {
  /** Latent dimension d_m of each modality. */
  readonly dims: readonly number[];
  /** D = Σ_m d_m. */
  readonly total: number;
  readonly blocks: readonly BlockWhitening[];
}

/** Options of {@linkcode fitWhitening}. */
export interface WhiteningOptions {
  /**
   * Ridge added to each covariance before inversion, relative to its mean variance:
   * Σ_m + ridge · (tr Σ_m / d_m) · I. Default 0 (none).
   */
  ridge?: number;
  /**
   * Smallest accepted ratio λ_min(Σ_m) / λ_max(Σ_m) (after the ridge); a covariance below it is
   * treated as singular and rejected. Default 1e-12.
   */
  minConditionRatio?: number;
}

/** Validates the block dimensions and returns D. */
export function checkDims(action: string, dims: readonly number[]): number {
  if (!Array.isArray(dims) || dims.length === 0) {
    throw new TypeError(`Cannot ${action}: dims must be a non-empty array of block sizes`);
  }
  let total = 0;
  for (const [m, d] of dims.entries()) {
    if (!Number.isInteger(d) || d < 1) {
      throw new RangeError(
        `Cannot ${action}: dims[${m}] must be a positive integer: current value is ${d}`,
      );
    }
    total += d;
  }
  return total;
}

/** Validates a row-major (n, D) host array. */
export function checkRows(
  action: string,
  name: string,
  x: ArrayLike<number>,
  n: number,
  total: number,
): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(
      `Cannot ${action}: n must be a non-negative integer: current value is ${n}`,
    );
  }
  if (x.length !== n * total) {
    throw new TypeError(
      `Cannot ${action}: ${name} must hold n*D = ${n}*${total} = ${
        n * total
      } values: current length is ${x.length}`,
    );
  }
}

/**
 * Fits the per-modality whitening to latents z (n, D).
 *
 * @param z (n, D) row-major latents, blocks side by side.
 * @param n number of rows.
 * @param dims d_m of each modality (Σ d_m = D).
 * @param options ridge and singularity threshold.
 * @returns μ_m, Σ_m, L_m and L_m⁻ᵀ of every block.
 * @throws {RangeError} when a block's covariance is singular (constant or collinear latent
 * dimensions, or n ≤ d_m), naming the modality and its spectrum; a ridge fixes it.
 * @example
 * ```ts
 * import { fitWhitening, whiten } from "./whitening.ts";
 * const z = new Float64Array([0, 1, 2, 3, 4, 7, 1, 0, 2, 2, 3, 1]); // n = 4, D = 3
 * const w = fitWhitening(z, 4, [2, 1]);
 * const u = whiten(w, z, 4); // each block: zero mean, identity covariance
 * ```
 */
export function fitWhitening(
  z: ArrayLike<number>,
  n: number,
  dims: readonly number[],
  options: WhiteningOptions = {},
): Whitening {
  const action = "fit whitening";
  const total = checkDims(action, dims);
  checkRows(action, "z", z, n, total);
  const ridge = options.ridge ?? 0;
  const minRatio = options.minConditionRatio ?? 1e-12;
  if (!(ridge >= 0) || !Number.isFinite(ridge)) {
    throw new RangeError(
      `Cannot ${action}: ridge must be a finite number >= 0: current value is ${ridge}`,
    );
  }
  if (!(minRatio >= 0 && minRatio < 1)) {
    throw new RangeError(
      `Cannot ${action}: minConditionRatio must be in [0, 1): current value is ${minRatio}`,
    );
  }
  if (n < 2) {
    throw new RangeError(`Cannot ${action}: need at least 2 samples: current value of n is ${n}`);
  }
  for (let i = 0; i < z.length; i++) {
    if (!Number.isFinite(z[i])) {
      throw new RangeError(
        `Cannot ${action}: z[${Math.floor(i / total)}, ${
          i % total
        }] is not finite: current value is ${z[i]}`,
      );
    }
  }
  let offset = 0;
  const blocks = dims.map((d, m) => {
    const b = fitBlock(z, n, total, offset, d, m, ridge, minRatio);
    offset += d;
    return b;
  });
  return { dims: [...dims], total, blocks };
}

function fitBlock(
  z: ArrayLike<number>,
  n: number,
  total: number,
  offset: number,
  d: number,
  m: number,
  ridge: number,
  minRatio: number,
): BlockWhitening {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += z[i * total + offset + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = z[i * total + offset + j] - mean[j];
    for (let j = 0; j < d; j++) {
      for (let k = 0; k <= j; k++) cov[j * d + k] += row[j] * row[k];
    }
  }
  let trace = 0;
  for (let j = 0; j < d; j++) {
    for (let k = 0; k <= j; k++) {
      cov[j * d + k] /= n - 1;
      cov[k * d + j] = cov[j * d + k];
    }
    trace += cov[j * d + j];
  }
  for (let j = 0; j < d; j++) cov[j * d + j] += ridge * trace / d;
  const { values } = eigh(cov, d);
  const lo = values[0], hi = values[d - 1];
  if (!(hi > 0) || !(lo > minRatio * hi)) {
    throw new RangeError(
      `Cannot fit whitening: the covariance of modality ${m} (d = ${d}, n = ${n}) is singular: ` +
        `eigenvalues range from ${lo} to ${hi} (ratio limit ${minRatio}): ` +
        `a latent dimension is constant or collinear; pass a ridge (e.g. 1e-6) or drop it`,
    );
  }
  const precision = spdInverse(cov, d);
  const l = cholesky(precision, d);
  const eye = new Float64Array(d * d);
  for (let j = 0; j < d; j++) eye[j * d + j] = 1;
  const lInvT = solveTriangular(l, d, eye, d, { lower: true, transpose: true });
  return { dim: d, offset, mean, cov, l, lInvT };
}

/**
 * u = per-block L_mᵀ (z_m − μ_m) for rows z (n, D).
 *
 * @param w the fitted whitening.
 * @param z (n, D) row-major latents.
 * @param n number of rows.
 * @returns (n, D) row-major whitened latents.
 */
export function whiten(w: Whitening, z: ArrayLike<number>, n: number): Float64Array {
  checkRows("whiten", "z", z, n, w.total);
  const out = new Float64Array(n * w.total);
  for (const b of w.blocks) {
    const d = b.dim;
    for (let i = 0; i < n; i++) {
      const base = i * w.total + b.offset;
      // (Lᵀ x)_j = Σ_{k ≥ j} L[k, j] x_k
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = j; k < d; k++) s += b.l[k * d + j] * (z[base + k] - b.mean[k]);
        out[base + j] = s;
      }
    }
  }
  return out;
}

/**
 * z = per-block μ_m + L_m⁻ᵀ u_m for rows u (n, D): the inverse of {@linkcode whiten}.
 *
 * @param w the fitted whitening.
 * @param u (n, D) row-major whitened latents.
 * @param n number of rows.
 * @returns (n, D) row-major latents.
 */
export function unwhiten(w: Whitening, u: ArrayLike<number>, n: number): Float64Array {
  checkRows("unwhiten", "u", u, n, w.total);
  const out = new Float64Array(n * w.total);
  for (const b of w.blocks) {
    const d = b.dim;
    for (let i = 0; i < n; i++) {
      const base = i * w.total + b.offset;
      for (let j = 0; j < d; j++) {
        let s = b.mean[j];
        for (let k = j; k < d; k++) s += b.lInvT[j * d + k] * u[base + k];
        out[base + j] = s;
      }
    }
  }
  return out;
}
