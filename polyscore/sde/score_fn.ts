/**
 * `ScoreFn`, the one interface the DSM loss and the PC sampler call, and two exact scores of
 * diffused distributions that implement it: a Gaussian N(μ, C) and an isotropic Gaussian mixture.
 * The exact scores let tests check the sampler alone, separately from learning; they run entirely
 * on the device (no readback), like the network. Learned scores live in `polyscore/models/`.
 */
import type { Backend } from "../../engine/backend.ts";
import {
  add,
  affine,
  div,
  exp,
  log,
  logSoftmax,
  matmul,
  mul,
  scale,
  square,
  sub,
  sum,
} from "../../engine/ops/mod.ts";
import { keep, Tensor } from "../../engine/tensor.ts";
import type { VpSde } from "./vpsde.ts";

/**
 * A noise-conditional score s(z, t) ≈ ∇_z log p_t(z) over z ∈ R^D. Implemented by `ScoreMlp` and by
 * the exact scores below, so the sampler serves SBM-AE (full latents) and SBM-SRR (reduced ones).
 */
export interface ScoreFn {
  /** D, the number of coordinates of z. */
  readonly dim: number;
  /**
   * The score at z (B, D) and times t (B) → (B, D). Must only enqueue device work (no readback),
   * and is called inside `noGrad` by the sampler and with gradients on by the DSM loss.
   */
  score(z: Tensor, t: Tensor): Tensor;
}

/** Symmetric eigendecomposition by cyclic Jacobi (host, f64, small n): values and column vectors. */
export function jacobiEigh(
  a: ArrayLike<number>,
  n: number,
): { values: number[]; vectors: number[] } {
  const m = Array.from(a);
  const v = new Array(n * n).fill(0);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p], akq = m[k * n + q];
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k], aqk = m[q * n + k];
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Array.from({ length: n }, (_, i) => m[i * n + i]), vectors: v };
}

/**
 * The exact score of z_t = α z₀ + σ ε for z₀ ~ N(μ, C):
 * s(z, t) = −(α² C + σ² I)⁻¹ (z − α μ), evaluated on the device as −U diag(1/(α²λ + σ²)) Uᵀ (z − αμ)
 * with C = U diag(λ) Uᵀ decomposed once on the host.
 */
export class GaussianScore implements ScoreFn {
  readonly dim: number;
  readonly #mean: Tensor; // (1, D)
  readonly #lambda: Tensor; // (1, D)
  readonly #u: Tensor; // (D, D), column j = eigenvector j

  /** `cov` is D×D row-major, symmetric positive semi-definite. */
  constructor(
    backend: Backend,
    readonly sde: VpSde,
    mean: ArrayLike<number>,
    cov: ArrayLike<number>,
  ) {
    const d = mean.length;
    if (d === 0 || cov.length !== d * d) {
      throw new TypeError(
        `Cannot create GaussianScore: cov must have D·D = ${
          d * d
        } entries for D = ${d}: current length is ${cov.length}`,
      );
    }
    const { values, vectors } = jacobiEigh(cov, d);
    const low = Math.min(...values);
    if (!(low > -1e-9)) {
      throw new RangeError(
        `Cannot create GaussianScore: cov must be positive semi-definite: smallest eigenvalue is ${low}`,
      );
    }
    this.dim = d;
    this.#mean = keep(Tensor.from(backend, mean, [1, d]));
    this.#lambda = keep(Tensor.from(backend, values.map((x) => Math.max(0, x)), [1, d]));
    this.#u = keep(Tensor.from(backend, vectors, [d, d]));
  }

  score(z: Tensor, t: Tensor): Tensor {
    const { alpha, sigma } = this.sde.marginalCoefficients(t); // (B, 1) each
    const zc = sub(z, mul(alpha, this.#mean)); // (B, D)
    const y = matmul(zc, this.#u); // (B, D) in the eigenbasis
    const denom = add(mul(square(alpha), this.#lambda), square(sigma)); // (B, D)
    return scale(matmul(div(y, denom), this.#u, { transB: true }), -1);
  }

  /** Frees the device constants. */
  dispose(): void {
    for (const t of [this.#mean, this.#lambda, this.#u]) t.dispose();
  }
}

/**
 * The exact score of a diffused isotropic Gaussian mixture Σ_k w_k N(μ_k, s_k² I): p_t is the
 * mixture of N(α μ_k, (α² s_k² + σ²) I), and s = Σ_k r_k(z) (α μ_k − z)/v_k with the posterior
 * responsibilities r_k = softmax_k(log w_k − ‖z − αμ_k‖²/(2v_k) − (D/2) log v_k).
 */
export class GaussianMixtureScore implements ScoreFn {
  readonly dim: number;
  readonly #means: Tensor; // (K, D)
  readonly #logW: Tensor; // (1, K)
  readonly #var: Tensor; // (1, K)
  readonly #meanSq: Tensor; // (1, K)

  constructor(
    backend: Backend,
    readonly sde: VpSde,
    mix: {
      weights: readonly number[];
      means: readonly (readonly number[])[];
      stds: readonly number[];
    },
  ) {
    const k = mix.weights.length;
    const d = mix.means[0]?.length ?? 0;
    if (k === 0 || mix.means.length !== k || mix.stds.length !== k || d === 0) {
      throw new TypeError(
        `Cannot create GaussianMixtureScore: weights, means and stds must have one entry per component: current lengths are ${k}, ${mix.means.length}, ${mix.stds.length}`,
      );
    }
    for (const m of mix.means) {
      if (m.length !== d) {
        throw new TypeError(
          `Cannot create GaussianMixtureScore: every mean must have D = ${d} entries: current length is ${m.length}`,
        );
      }
    }
    const wSum = mix.weights.reduce((a, b) => a + b, 0);
    if (mix.weights.some((w) => !(w > 0)) || mix.stds.some((s) => !(s >= 0))) {
      throw new RangeError(
        `Cannot create GaussianMixtureScore: weights must be > 0 and stds >= 0: current values are [${mix.weights}] and [${mix.stds}]`,
      );
    }
    this.dim = d;
    this.#means = keep(Tensor.from(backend, mix.means.flat(), [k, d]));
    this.#logW = keep(Tensor.from(backend, mix.weights.map((w) => Math.log(w / wSum)), [1, k]));
    this.#var = keep(Tensor.from(backend, mix.stds.map((s) => s * s), [1, k]));
    this.#meanSq = keep(Tensor.from(
      backend,
      mix.means.map((m) => m.reduce((a, x) => a + x * x, 0)),
      [1, k],
    ));
  }

  score(z: Tensor, t: Tensor): Tensor {
    const { alpha, sigma } = this.sde.marginalCoefficients(t); // (B, 1)
    const a2 = square(alpha);
    const v = add(mul(a2, this.#var), square(sigma)); // (B, K)
    const zz = sum(square(z), -1, true); // (B, 1)
    const zm = matmul(z, this.#means, { transB: true }); // (B, K)
    // ‖z − αμ_k‖² = ‖z‖² − 2α z·μ_k + α²‖μ_k‖²
    const d2 = add(sub(zz, scale(mul(alpha, zm), 2)), mul(a2, this.#meanSq)); // (B, K)
    const logits = sub(
      sub(this.#logW, div(d2, affine(v, 2, 0))),
      scale(log(v), this.dim / 2),
    );
    const q = div(exp(logSoftmax(logits)), v); // r_k / v_k, (B, K)
    const pull = mul(alpha, matmul(q, this.#means)); // (B, D)
    return sub(pull, mul(z, sum(q, -1, true)));
  }

  /** Frees the device constants. */
  dispose(): void {
    for (const t of [this.#means, this.#logW, this.#var, this.#meanSq]) t.dispose();
  }
}
