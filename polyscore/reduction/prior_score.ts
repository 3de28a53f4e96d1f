/**
 * The "prior-score" estimator of the score ratio (issue 16): s(u) = ∇log π(u) − ∇log ρ(u) with
 * ∇log π taken from a score model of the *raw* latents z (the trained SBM-AE prior at a small
 * diffusion time), instead of a network trained by score-ratio matching. The whitening
 * u = diag(L_mᵀ)(z − μ) is affine, so log π_u(u) = log π_z(z(u)) + const and, with
 * z(u) = μ + diag(L_m⁻ᵀ) u, the chain rule gives ∇_u log π_u = diag(L_m⁻¹) ∇_z log π_z; with
 * ρ = N(0, I), −∇log ρ(u) = u. Host-side f64; the score model is a callback, so the pipeline passes
 * the SBM-AE network and tests pass an exact score.
 */
import { checkRows, type Whitening } from "./whitening.ts";

/**
 * ∇_z log π(z) for rows z (rows, D) of raw latents; returns (rows, D). Called in chunks.
 */
export type LatentScore = (z: Float32Array, rows: number) => Promise<ArrayLike<number>>;

/**
 * s(u) = diag(L_m⁻¹) ∇_z log π(z) + u for every row z (n, D), u its whitened coordinates.
 *
 * @param whitening the fitted per-modality whitening (u = Lᵀ(z − μ) per block).
 * @param z (n, D) raw latents.
 * @param n rows.
 * @param score ∇_z log π on raw latents.
 * @param chunk rows per score call.
 * @returns (n, D) score-ratio values in whitened coordinates.
 */
export async function priorScoreRatio(
  whitening: Whitening,
  z: ArrayLike<number>,
  n: number,
  score: LatentScore,
  chunk = 2048,
): Promise<Float64Array> {
  const d = whitening.total;
  checkRows("estimate the score ratio from a prior score", "z", z, n, d);
  const out = new Float64Array(n * d);
  for (let s = 0; s < n; s += chunk) {
    const rows = Math.min(chunk, n - s);
    const zc = Float32Array.from({ length: rows * d }, (_, i) => z[s * d + i]);
    const g = await score(zc, rows);
    if (g.length !== rows * d) {
      throw new TypeError(
        `Cannot estimate the score ratio from a prior score: the score of ${rows} rows must have ${
          rows * d
        } values: current length is ${g.length}`,
      );
    }
    for (let i = 0; i < rows; i++) {
      const row = (s + i) * d;
      for (const b of whitening.blocks) {
        const k = b.dim, o = b.offset;
        for (let a = 0; a < k; a++) {
          // (L⁻¹ g)[a] = Σ_j (L⁻ᵀ)[j, a] g[j]; u[a] = Σ_j L[j, a] (z[j] − μ[j]).
          let sa = 0, ua = 0;
          for (let j = 0; j < k; j++) {
            sa += b.lInvT[j * k + a] * g[i * d + o + j];
            ua += b.l[j * k + a] * (zc[i * d + o + j] - b.mean[j]);
          }
          out[row + o + a] = sa + ua;
        }
      }
    }
  }
  return out;
}
