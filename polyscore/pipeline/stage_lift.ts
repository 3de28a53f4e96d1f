/**
 * The lift ceiling of a run's reduction (polyscore/eval/lift_ceiling.ts) at every ε of the sweep,
 * the chosen ranks and full rank: shared by the pipeline and `polyscore eval`, which recomputes it
 * with overridden `reduction.sweep` / `reduction.liftTuples` (nothing is trained for it).
 */
import { decoderScorer, type LatentScorer, liftCeilings } from "../eval/lift_ceiling.ts";
import type { Autoencoder } from "../models/conv_vae.ts";
import type { ReductionReport } from "../report/report.ts";
import type { PipelineContext } from "./context.ts";
import type { Scorer } from "./stage_classifier.ts";
import type { Latents } from "./stage_latents.ts";
import { liftPoints, type ReductionResult } from "./stage_reduction.ts";

const fmtRow = (v: (number | null)[]) => v.map((c) => c?.toFixed(3) ?? "–").join(" ");

/** ε as a fraction of ½ tr H for the chosen ranks; null when ranks or an absolute ε were given. */
export function fractionOfChosen(ctx: PipelineContext): number | null {
  const r = ctx.cfg.reduction;
  return r.ranks.length || r.epsilonAbsolute > 0 || r.select === "lift-ceiling"
    ? null
    : r.epsilonFraction;
}

/**
 * Scores latents of the first n *train* tuples (the lift-ceiling rank search: the test tuples that
 * evaluation uses choose nothing): the pipeline's decoder scorer with train standing in for test.
 */
export function trainLiftScorer(
  ctx: PipelineContext,
  aes: Autoencoder[],
  lat: Latents,
  scorers: Scorer[],
): LatentScorer {
  return decoderScorer({ ...ctx, test: ctx.train }, aes, { ...lat, test: lat.train }, scorers);
}

/** The lift ceilings on the first `reduction.liftTuples` test tuples (0 or absent: all). */
export async function liftCeilingOf(
  ctx: PipelineContext,
  red: ReductionResult,
  aes: Autoencoder[],
  lat: Latents,
  scorers: Scorer[],
): Promise<NonNullable<ReductionReport["lift_ceiling"]>> {
  // Configs saved before liftTuples existed read it as undefined: every test tuple.
  const n = Math.min(ctx.test.count, ctx.cfg.reduction.liftTuples || ctx.test.count);
  const points = await liftCeilings(
    red.whitening,
    liftPoints(red, fractionOfChosen(ctx)),
    lat.test.subarray(0, n * lat.total),
    n,
    decoderScorer(ctx, aes, lat, scorers),
    ctx.cfg.seed * 7919 + 13,
    red.moment,
  );
  const chosen = points.find((p) => p.label === "chosen");
  if (chosen) {
    ctx.log(
      "reduction",
      `lift ceiling (chosen ranks) ξ ~ N(0, I) ${fmtRow(chosen.gaussian)}; conditional ${
        fmtRow(chosen.conditional ?? [])
      }`,
    );
  }
  return { tuples: n, points };
}
