/**
 * Reduce and lift (DESIGN stages 6–7): y = Wᵀu with W = diag(U_1..U_M) on whitened latents, and
 * the lift u_m = U_m y_m + (I − U_m U_mᵀ) ξ_m, ξ ~ N(0, I), followed by un-whitening
 * z_m = μ_m + L_m⁻ᵀ u_m. The complement may instead be 0 (ρ's mean) or the Gaussian conditional
 * of Qu, Q = I − WWᵀ, given all of y (`LiftComplement`): u = W y + K y + G ξ. The block matrices are composed once on the host (f64) and uploaded once;
 * `ReductionMaps` then applies them to batches on any backend with two GEMMs. Host versions
 * (`projectLatents`, `liftLatents`) serve tests and small jobs.
 *
 * Layouts: z, u (B, D); y (B, R), R = Σ_m r_m, modality m at columns `offsets[m]`..+r_m.
 */
import type { Backend } from "../../engine/backend.ts";
import { add, linear } from "../../engine/ops/mod.ts";
import { keep, Tensor } from "../../engine/tensor.ts";
import type { ReductionSelection } from "./diagnostic.ts";
import { checkRows, type Whitening } from "./whitening.ts";
import { eigh, spdInverse } from "../../wasm/linalg/mod.ts";

/**
 * How the lift fills the discarded coordinates Qu (Q = I − WWᵀ):
 * - "noise": Q ξ, ξ ~ N(0, I) — ρ's conditional, independent of y (the π_r of the bound);
 * - "zero": 0 — its mean;
 * - "conditional": the Gaussian conditional of Qu given y = Wᵀu under the whitened latents'
 *   second moment M: mean K y with K = QMW (WᵀMW)⁻¹, plus G ξ with G G ᵀ = QMQ − K WᵀMQ. It uses
 *   the other modalities' kept coordinates too (the joint lift is no longer block-diagonal);
 * - "conditional-mean": K y alone, without the noise.
 */
export type LiftComplement =
  | { kind: "noise" }
  | { kind: "zero" }
  | {
    kind: "conditional" | "conditional-mean";
    /** (D, D) second moment M of the whitened train latents. */
    moment: Float64Array;
  };

/** The dense matrices of a reduction (block-diagonal, except the conditional complement's lift). */
export interface ReductionMatrices {
  /** d_m per modality. */
  dims: number[];
  /** r_m per modality. */
  ranks: number[];
  /** D = Σ d_m. */
  total: number;
  /** R = Σ r_m. */
  reduced: number;
  /** Column offset of each modality in y. */
  offsets: number[];
  /** (R, D) C = diag(U_mᵀ L_mᵀ): y = C (z − μ). */
  project: Float64Array;
  /** (R) −C μ. */
  projectBias: Float64Array;
  /** (D, R) diag(L_m⁻ᵀ U_m): the mean part of the lift (diag(L_m⁻ᵀ)(W + K) when conditional). */
  liftMean: Float64Array;
  /** (D, D) diag(L_m⁻ᵀ (I − U_m U_mᵀ)): the noise part of the lift (0; diag(L_m⁻ᵀ) G). */
  liftNoise: Float64Array;
  /** How the complement is filled. */
  complement: LiftComplement["kind"];
  /** (D) μ. */
  mean: Float64Array;
  /** (D, R) W = diag(U_m), for whitened coordinates. */
  basis: Float64Array;
}

/**
 * Composes the block matrices of a reduction from the whitening and the chosen bases.
 *
 * @param whitening the fitted per-modality whitening.
 * @param selection ranks and bases U_m (d_m, r_m), e.g. from `selectReduction`.
 * @param complement how the lift fills the discarded coordinates (default ξ from ρ).
 */
export function reductionMatrices(
  whitening: Whitening,
  selection: Pick<ReductionSelection, "ranks" | "bases">,
  complement: LiftComplement = { kind: "noise" },
): ReductionMatrices {
  const dims = [...whitening.dims];
  const { ranks, bases } = selection;
  if (ranks.length !== dims.length || bases.length !== dims.length) {
    throw new TypeError(
      `Cannot build reduction: need one rank and one basis per modality (${dims.length}): ` +
        `current counts are ${ranks.length} and ${bases.length}`,
    );
  }
  dims.forEach((d, m) => {
    if (!Number.isInteger(ranks[m]) || ranks[m] < 0 || ranks[m] > d) {
      throw new RangeError(
        `Cannot build reduction: ranks[${m}] must be an integer in [0, ${d}]: current value is ${
          ranks[m]
        }`,
      );
    }
    if (bases[m].length !== d * ranks[m]) {
      throw new TypeError(
        `Cannot build reduction: bases[${m}] must be (${d}, ${ranks[m]}): current length is ${
          bases[m].length
        }`,
      );
    }
  });
  const total = whitening.total;
  const reduced = ranks.reduce((a, b) => a + b, 0);
  const offsets: number[] = [];
  const project = new Float64Array(reduced * total);
  const projectBias = new Float64Array(reduced);
  const liftMean = new Float64Array(total * reduced);
  const liftNoise = new Float64Array(total * total);
  const basis = new Float64Array(total * reduced);
  const mean = new Float64Array(total);
  let ro = 0;
  whitening.blocks.forEach((b, m) => {
    const d = b.dim, r = ranks[m], u = bases[m], zo = b.offset;
    offsets.push(ro);
    mean.set(b.mean, zo);
    for (let c = 0; c < r; c++) {
      for (let k = 0; k < d; k++) {
        // C[c, k] = (Uᵀ Lᵀ)[c, k] = Σ_j U[j, c] L[k, j]
        let s = 0;
        for (let j = 0; j < d; j++) s += u[j * r + c] * b.l[k * d + j];
        project[(ro + c) * total + zo + k] = s;
        projectBias[ro + c] -= s * b.mean[k];
        basis[(zo + k) * reduced + ro + c] = u[k * r + c];
      }
    }
    for (let i = 0; i < d; i++) {
      for (let c = 0; c < r; c++) {
        // (L⁻ᵀ U)[i, c]
        let s = 0;
        for (let j = 0; j < d; j++) s += b.lInvT[i * d + j] * u[j * r + c];
        liftMean[(zo + i) * reduced + ro + c] = s;
      }
      for (let k = 0; k < d; k++) {
        // (L⁻ᵀ (I − U Uᵀ))[i, k] = L⁻ᵀ[i, k] − Σ_c (L⁻ᵀ U)[i, c] U[k, c]
        let s = b.lInvT[i * d + k];
        for (let c = 0; c < r; c++) s -= liftMean[(zo + i) * reduced + ro + c] * u[k * r + c];
        liftNoise[(zo + i) * total + zo + k] = s;
      }
    }
    ro += r;
  });
  const out: ReductionMatrices = {
    dims,
    ranks: [...ranks],
    total,
    reduced,
    offsets,
    project,
    projectBias,
    liftMean,
    liftNoise,
    complement: complement.kind,
    mean,
    basis,
  };
  if (complement.kind === "zero") liftNoise.fill(0);
  if (complement.kind === "conditional" || complement.kind === "conditional-mean") {
    conditionalLift(whitening, out, complement.moment);
    if (complement.kind === "conditional-mean") liftNoise.fill(0);
  }
  return out;
}

/**
 * Replaces the lift of `mats` by the Gaussian conditional one: u = (W + K) y + G ξ, with
 * K = QMW (WᵀMW)⁻¹ and G the symmetric square root of QMQ − K WᵀMQ (clamped at 0), then
 * z = μ + diag(L_m⁻ᵀ) u. With M the covariance of u this is E[u | y] and Cov[u | y] exactly.
 */
function conditionalLift(w: Whitening, mats: ReductionMatrices, moment: Float64Array): void {
  const d = mats.total, r = mats.reduced, wb = mats.basis;
  if (moment.length !== d * d) {
    throw new TypeError(
      `Cannot build the conditional lift: the second moment must be (${d}, ${d}): current length is ${moment.length}`,
    );
  }
  // Q M (D, D), with Q = I − W Wᵀ applied on the left.
  const wtm = matMulHost(transpose(wb, d, r), moment, r, d, d); // (R, D) WᵀM
  const qm = Float64Array.from(moment);
  const wwtm = matMulHost(wb, wtm, d, r, d);
  for (let i = 0; i < qm.length; i++) qm[i] -= wwtm[i];
  const qmw = matMulHost(qm, wb, d, d, r); // (D, R) cross-moment of Qu and y
  const syy = matMulHost(wtm, wb, r, d, r); // (R, R) WᵀMW
  const k = r ? matMulHost(qmw, spdInverse(symmetrized(syy, r), r), d, r, r) : new Float64Array(0);
  // QMQ − K (QMW)ᵀ, symmetrised, then its symmetric square root.
  const qmq = Float64Array.from(qm);
  const qmwwt = matMulHost(qmw, transpose(wb, d, r), d, r, d); // (QMW) Wᵀ = QM W Wᵀ
  for (let i = 0; i < qmq.length; i++) qmq[i] -= qmwwt[i];
  const kc = r ? matMulHost(k, transpose(qmw, d, r), d, r, d) : new Float64Array(d * d);
  for (let i = 0; i < qmq.length; i++) qmq[i] -= kc[i];
  const { values, vectors } = eigh(symmetrized(qmq, d), d, { symmetryTolerance: Infinity });
  const g = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    const sv = Math.sqrt(Math.max(0, values[c]));
    if (sv === 0) continue;
    for (let i = 0; i < d; i++) {
      const vi = vectors[i * d + c] * sv;
      for (let j = 0; j < d; j++) g[i * d + j] += vi * vectors[j * d + c];
    }
  }
  // Rounding leaves eigenvalues ≈ 1e-16 on the kept directions, whose square roots (1e-8) would
  // move y: G ← Q G keeps the noise in the complement, so projecting the lift returns y.
  const wtg = matMulHost(transpose(wb, d, r), g, r, d, d);
  const wwtg = matMulHost(wb, wtg, d, r, d);
  for (let i = 0; i < g.length; i++) g[i] -= wwtg[i];
  // Un-whiten: diag(L_m⁻ᵀ) (W + K) and diag(L_m⁻ᵀ) G.
  const mean = Float64Array.from(wb);
  for (let i = 0; i < k.length; i++) mean[i] += k[i];
  mats.liftMean.fill(0);
  mats.liftNoise.fill(0);
  for (const b of w.blocks) {
    const o = b.offset, bd = b.dim;
    for (let i = 0; i < bd; i++) {
      for (let j = 0; j < bd; j++) {
        const l = b.lInvT[i * bd + j];
        if (l === 0) continue;
        for (let c = 0; c < r; c++) mats.liftMean[(o + i) * r + c] += l * mean[(o + j) * r + c];
        for (let c = 0; c < d; c++) mats.liftNoise[(o + i) * d + c] += l * g[(o + j) * d + c];
      }
    }
  }
}

/** a·b for row-major (m, k)·(k, n) on the host, skipping zero entries of a (W is block-sparse). */
export function matMulHost(
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const v = a[i * k + p];
      if (v === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += v * b[p * n + j];
    }
  }
  return out;
}

function transpose(a: Float64Array, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j];
  return out;
}

function symmetrized(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
  }
  return out;
}

/** y = C z + c for every row: latents z (n, D) → reduced (n, R), on the host. */
export function projectLatents(
  mats: ReductionMatrices,
  z: ArrayLike<number>,
  n: number,
): Float64Array {
  checkRows("project latents", "z", z, n, mats.total);
  const { total, reduced } = mats;
  const y = new Float64Array(n * reduced);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < reduced; c++) {
      let s = mats.projectBias[c];
      for (let k = 0; k < total; k++) s += mats.project[c * total + k] * z[i * total + k];
      y[i * reduced + c] = s;
    }
  }
  return y;
}

/**
 * z = μ + diag(L_m⁻ᵀ U_m) y + diag(L_m⁻ᵀ (I − U_m U_mᵀ)) ξ for every row, on the host.
 *
 * @param mats the reduction.
 * @param y (n, R) reduced coordinates.
 * @param xi (n, D) standard normal noise (zeros give the conditional mean under ρ).
 * @param n number of rows.
 * @returns (n, D) latents.
 */
export function liftLatents(
  mats: ReductionMatrices,
  y: ArrayLike<number>,
  xi: ArrayLike<number>,
  n: number,
): Float64Array {
  const { total, reduced } = mats;
  checkRows("lift latents", "y", y, n, reduced);
  checkRows("lift latents", "xi", xi, n, total);
  const z = new Float64Array(n * total);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < total; j++) {
      let s = mats.mean[j];
      for (let c = 0; c < reduced; c++) s += mats.liftMean[j * reduced + c] * y[i * reduced + c];
      for (let k = 0; k < total; k++) s += mats.liftNoise[j * total + k] * xi[i * total + k];
      z[i * total + j] = s;
    }
  }
  return z;
}

/**
 * The reduction on a device: the matrices uploaded once, applied to batches with `linear`.
 * Tensors returned follow the usual `tidy` rules; `dispose()` frees the matrices.
 *
 * @example
 * ```ts ignore
 * const maps = new ReductionMaps(backend, reductionMatrices(whitening, selection));
 * const y = maps.project(z);                           // (B, D) → (B, R)
 * const zBack = maps.lift(y, stream.normal(backend, z.shape)); // (B, R) → (B, D)
 * ```
 */
export class ReductionMaps {
  readonly mats: ReductionMatrices;
  readonly #project: Tensor; // (R, D)
  readonly #projectBias: Tensor; // (R)
  readonly #liftMean: Tensor; // (D, R)
  readonly #liftNoise: Tensor; // (D, D)
  readonly #mean: Tensor; // (D)

  constructor(readonly backend: Backend, mats: ReductionMatrices) {
    this.mats = mats;
    const { total: d, reduced: r } = mats;
    this.#project = keep(Tensor.from(backend, mats.project, [r, d]));
    this.#projectBias = keep(Tensor.from(backend, mats.projectBias, [r]));
    this.#liftMean = keep(Tensor.from(backend, mats.liftMean, [d, r]));
    this.#liftNoise = keep(Tensor.from(backend, mats.liftNoise, [d, d]));
    this.#mean = keep(Tensor.from(backend, mats.mean, [d]));
  }

  /** y = diag(U_mᵀ L_mᵀ)(z − μ): latents (B, D) → reduced coordinates (B, R). */
  project(z: Tensor): Tensor {
    this.#check("project", z, this.mats.total);
    return linear(z, this.#project, this.#projectBias);
  }

  /**
   * z = μ + diag(L_m⁻ᵀ)(W y + (I − W Wᵀ) ξ): reduced (B, R) and noise ξ (B, D) → latents (B, D).
   */
  lift(y: Tensor, xi: Tensor): Tensor {
    this.#check("lift", y, this.mats.reduced);
    this.#check("lift", xi, this.mats.total);
    if (xi.shape[0] !== y.shape[0]) {
      throw new TypeError(
        `Cannot lift: y has ${y.shape[0]} rows but the noise has ${xi.shape[0]}`,
      );
    }
    return add(linear(y, this.#liftMean, this.#mean), linear(xi, this.#liftNoise, null));
  }

  #check(action: string, x: Tensor, cols: number): void {
    if (x.rank !== 2 || x.shape[1] !== cols) {
      throw new TypeError(
        `Cannot ${action}: input must be (B, ${cols}): current shape is [${x.shape.join(", ")}]`,
      );
    }
  }

  /** Frees the uploaded matrices. */
  dispose(): void {
    for (
      const t of [this.#project, this.#projectBias, this.#liftMean, this.#liftNoise, this.#mean]
    ) {
      t.dispose();
    }
  }
}

/**
 * The "whitened, full rank" control: every rank r_m = d_m with U_m = I, so y = u (the whitened
 * latents) and the lift is exact un-whitening.
 */
export function fullRankSelection(
  dims: readonly number[],
): Pick<ReductionSelection, "ranks" | "bases"> {
  return {
    ranks: [...dims],
    bases: dims.map((d) => {
      const eye = new Float64Array(d * d);
      for (let j = 0; j < d; j++) eye[j * d + j] = 1;
      return eye;
    }),
  };
}
