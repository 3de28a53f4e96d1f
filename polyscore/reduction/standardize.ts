/**
 * Per-dimension standardisation of latents, MLD's preprocess "standerdize" (Bounoua et al. 2023):
 * each coordinate j of the joint latent gets the train mean μ_j and std σ_j, and the prior works on
 * (z − μ)/σ; generated values are mapped back with σ y + μ before decoding. Unlike the whitening of
 * `whitening.ts` it leaves the correlations alone (a diagonal map), so SBM-AE keeps its latent
 * space up to scale. A dimension with σ = 0 (constant on the train set) keeps σ = 1.
 */
import type { Backend } from "../../engine/backend.ts";
import { add, div, mul, sub } from "../../engine/ops/mod.ts";
import { fmtShape, keep, Tensor } from "../../engine/tensor.ts";

/** Per-dimension train statistics (D each). */
export interface Standardization {
  mean: Float64Array;
  /** Population std (divisor n); 1 where it is 0. */
  std: Float64Array;
}

/** Mean and std of every column of z (n, d), row-major, in f64. */
export function fitStandardization(z: ArrayLike<number>, n: number, d: number): Standardization {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(d) && d >= 1) || z.length < n * d) {
    throw new RangeError(
      `Cannot fit standardisation: need n ≥ 1 rows of d ≥ 1 values: current n is ${n}, d ${d}, ${z.length} values`,
    );
  }
  const mean = new Float64Array(d), std = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += z[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) std[j] += (z[i * d + j] - mean[j]) ** 2;
  }
  for (let j = 0; j < d; j++) {
    std[j] = Math.sqrt(std[j] / n);
    if (!(std[j] > 0)) std[j] = 1;
  }
  return { mean, std };
}

/**
 * The device maps of a standardisation, with the same `project`/`lift` shape as `ReductionMaps`
 * (`lift` ignores its noise: nothing is discarded).
 */
export class StandardizeMaps {
  readonly dim: number;
  readonly #mean: Tensor; // (1, D)
  readonly #std: Tensor; // (1, D)

  constructor(backend: Backend, readonly stats: Standardization) {
    this.dim = stats.mean.length;
    this.#mean = keep(Tensor.from(backend, stats.mean, [1, this.dim]));
    this.#std = keep(Tensor.from(backend, stats.std, [1, this.dim]));
  }

  /** (z − μ)/σ: latents (B, D) → standardised (B, D). */
  project(z: Tensor): Tensor {
    this.#check("project", z);
    return div(sub(z, this.#mean), this.#std);
  }

  /** σ y + μ: standardised (B, D) → latents (B, D); `xi` is unused. */
  lift(y: Tensor, _xi?: Tensor): Tensor {
    this.#check("lift", y);
    return add(mul(y, this.#std), this.#mean);
  }

  #check(action: string, x: Tensor): void {
    if (x.rank !== 2 || x.shape[1] !== this.dim) {
      throw new TypeError(
        `Cannot ${action} standardised latents: input must be (B, ${this.dim}): current shape is ${
          fmtShape(x.shape)
        }`,
      );
    }
  }

  /** Frees the uploaded statistics. */
  dispose(): void {
    this.#mean.dispose();
    this.#std.dispose();
  }
}
