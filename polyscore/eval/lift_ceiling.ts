/**
 * The lift ceiling (science audit §3.1; issue #14): the classifiers' accuracy on
 * decode(lift(project(z_test))) — what SBM-SRR could reach with a perfect prior over y, since its
 * samples keep only y_m = U_mᵀ u_m and draw the complement from ρ. Measured with the complement
 * drawn from N(0, I) (as the method does by default) and set to 0 (its mean), and, given the
 * whitened latents' second moment, from the Gaussian conditional given all kept y (with noise, and
 * its mean), for every ε of the sweep, beside the reconstruction ceiling (eval/ceiling.ts). Cheap:
 * no prior is trained or sampled.
 *
 * The round trip runs on the host in f64 (reduce.ts) and is rounded to f32 once, so at full rank
 * it returns the test latents bit for bit and the ceiling equals decode(z_test)'s exactly.
 */
import { modalityOf } from "../modality.ts";
import type { Autoencoder } from "../models/conv_vae.ts";
import { decodedLatents } from "../methods/latent.ts";
import type { PipelineContext } from "../pipeline/context.ts";
import { scoreBatch, type Scorer } from "../pipeline/stage_classifier.ts";
import type { Latents } from "../pipeline/stage_latents.ts";
import { Rng } from "../../engine/random.ts";
import type { ReductionSelection } from "../reduction/diagnostic.ts";
import {
  type LiftComplement,
  liftLatents,
  projectLatents,
  reductionMatrices,
} from "../reduction/reduce.ts";
import type { Whitening } from "../reduction/whitening.ts";
import type { LiftCeilingEntry } from "../report/report.ts";

/** How the discarded complement is filled in: ξ ~ N(0, I) (the method) or ξ = 0 (its mean). */
export type LiftNoise = "gaussian" | "zero";

/**
 * Scores of latents z (n, D) (test tuples 0..n−1) for modality m: per-row scores in [0, 1], or
 * null when the modality's generated samples have no scorer (as in the reconstruction ceiling).
 */
export type LatentScorer = (m: number, z: Float32Array, n: number) => Promise<number[] | null>;

/** One reduction whose lift ceiling is measured. */
export interface LiftPoint {
  /** E.g. "ε 0.05", "chosen", "full rank". */
  label: string;
  /** ε as a fraction of ½ tr H, or null (chosen by ranks, or full rank). */
  fraction: number | null;
  ranks: number[];
  bases: Float64Array[];
}

/**
 * z′ = lift(project(z)) for rows z (n, D): y = diag(U_mᵀ L_mᵀ)(z − μ), then
 * z′ = μ + diag(L_m⁻ᵀ)(W y + (I − WWᵀ) ξ), in f64, rounded to f32.
 *
 * @param whitening the fitted per-modality whitening.
 * @param selection ranks and bases U_m (d_m, r_m).
 * @param z (n, D) latents.
 * @param n rows.
 * @param xi (n, D) the complement's ξ (zeros: the conditional mean under ρ).
 * @param complement how the lift fills the complement (default: ξ from ρ).
 */
export function liftRoundTrip(
  whitening: Whitening,
  selection: Pick<ReductionSelection, "ranks" | "bases">,
  z: ArrayLike<number>,
  n: number,
  xi: ArrayLike<number>,
  complement: LiftComplement = { kind: "noise" },
): Float32Array {
  const mats = reductionMatrices(whitening, selection, complement);
  return Float32Array.from(liftLatents(mats, projectLatents(mats, z, n), xi, n));
}

/**
 * The lift ceiling of each reduction: per modality, the mean score of
 * decode(lift(project(z_test))) with ξ ~ N(0, I) (one draw, shared by every point: paired) and
 * with ξ = 0. Points with the same ranks share one measurement (same H, same bases), and full
 * rank is measured once (no complement).
 *
 * @param whitening the fitted whitening.
 * @param points the reductions to measure.
 * @param z (n, D) test latents.
 * @param n test tuples.
 * @param score scores latents (the decoders and classifiers in the pipeline).
 * @param seed seed of ξ.
 * @param moment (D, D) second moment of the whitened train latents: also measures the conditional
 *   complement (same ξ) and its mean; null: not measured.
 */
export async function liftCeilings(
  whitening: Whitening,
  points: readonly LiftPoint[],
  z: ArrayLike<number>,
  n: number,
  score: LatentScorer,
  seed: number,
  moment: Float64Array | null = null,
): Promise<LiftCeilingEntry[]> {
  const d = whitening.total;
  const rng = new Rng(seed);
  const xi = Float64Array.from({ length: n * d }, () => rng.normal());
  const zeros = new Float64Array(n * d);
  type Measured = Pick<LiftCeilingEntry, "gaussian" | "zero" | "conditional" | "conditional_mean">;
  const done = new Map<string, Measured>();
  const out: LiftCeilingEntry[] = [];
  for (const p of points) {
    const key = p.ranks.join(",");
    let acc = done.get(key);
    if (!acc) {
      const measure = async (noise: Float64Array, complement?: LiftComplement) => {
        const lifted = liftRoundTrip(whitening, p, z, n, noise, complement);
        const res: (number | null)[] = [];
        for (let m = 0; m < whitening.dims.length; m++) {
          const s = await score(m, lifted, n);
          res.push(s ? s.reduce((a, b) => a + b, 0) / n : null);
        }
        return res;
      };
      const gaussian = await measure(xi);
      // At full rank the complement is empty: ξ does not enter, so one measurement serves both.
      const full = p.ranks.every((r, m) => r === whitening.dims[m]);
      acc = { gaussian, zero: full ? gaussian : await measure(zeros) };
      if (moment) {
        const cond: LiftComplement = { kind: "conditional", moment };
        acc.conditional = full ? gaussian : await measure(xi, cond);
        acc.conditional_mean = full ? gaussian : await measure(zeros, cond);
      }
      done.set(key, acc);
    }
    out.push({
      label: p.label,
      fraction: p.fraction,
      ranks: [...p.ranks],
      total_rank: p.ranks.reduce((a, b) => a + b, 0),
      gaussian: [...acc.gaussian],
      zero: [...acc.zero],
      ...(acc.conditional
        ? { conditional: [...acc.conditional], conditional_mean: [...acc.conditional_mean!] }
        : {}),
    });
  }
  return out;
}

/**
 * The pipeline's scorer of latents: each modality decoded by its frozen decoder (as the methods'
 * samples are) and scored against test tuples 0..n−1 by its scorer; null where the reconstruction
 * ceiling has none (a classifier-scored modality without a classifier).
 */
export function decoderScorer(
  ctx: PipelineContext,
  aes: Autoencoder[],
  lat: Latents,
  scorers: Scorer[],
  chunk = 256,
): LatentScorer {
  return async (m, z, n) => {
    const spec = ctx.dataset.modalities[m];
    if (scorers[m].kind === "direct" && modalityOf(spec).scoring === "classifier") return null;
    const gen = decodedLatents(ctx, aes, lat, z);
    const out: number[] = [];
    for (let s = 0; s < n; s += chunk) {
      const rows = Array.from({ length: Math.min(chunk, n - s) }, (_, i) => s + i);
      out.push(...await scoreBatch(ctx, scorers[m], spec, () => gen.decoded(m, rows), rows, m));
    }
    gen.dispose();
    return out;
  };
}
