/**
 * Stages 3–4 for every method of the run: train (or restore) each method for each seed, evaluate it
 * on the same subsets, and keep the first seed's trained methods for the sample grids. Then the ε
 * sweep with priors, when asked for. Methods come from the registry (polyscore/methods/mod.ts).
 */
import {
  type Method,
  type MethodInputs,
  type TrainedMethod,
  withScoreScale,
} from "../methods/method.ts";
import { trainScorePrior } from "../methods/score_prior.ts";
import { selectReduction } from "../reduction/diagnostic.ts";
import { reducedMaps } from "./stage_reduction.ts";
import type { SweepEntry } from "../report/report.ts";
import { type EvalReference, evaluateMethod, type MethodResult } from "./stage_eval.ts";

/** What {@link trainAndEvaluate} needs besides the methods' inputs. */
export interface MethodsPlan {
  methods: Method[];
  /** The evaluation's plan, classifiers and ceilings (the same for every method and seed). */
  ref: EvalReference;
  /** Adds the seconds since the last lap to a stage of the time split. */
  lap(stage: string): void;
  /** Train only (`--stages prior`): no evaluation. */
  trainOnly: boolean;
}

/** Per-seed results of every method, and the first seed's trained methods (for grids). */
export interface MethodRuns {
  results: Record<string, MethodResult[]>;
  firstSeed: TrainedMethod[];
}

/** Trains and evaluates every method for every seed (`cfg.seed` … `cfg.seed + cfg.seeds − 1`). */
export async function trainAndEvaluate(
  inputs: MethodInputs,
  plan: MethodsPlan,
): Promise<MethodRuns> {
  const { ctx } = inputs;
  const results: Record<string, MethodResult[]> = {};
  const firstSeed: TrainedMethod[] = [];
  for (let k = 0; k < ctx.cfg.seeds; k++) {
    const seed = ctx.cfg.seed + k;
    for (const method of plan.methods) {
      const trained = await method.train(inputs, seed);
      plan.lap(`prior/${method.name}`);
      if (plan.trainOnly) {
        trained.dispose();
        continue;
      }
      const res = await evaluateMethod(ctx, trained, plan.ref, seed);
      (results[method.name] ??= []).push(res);
      ctx.log(
        `eval/${method.name}`,
        `seed ${seed}: coherence by given ${JSON.stringify(res.coherence_by_given)}`,
      );
      // The grids sample at the γ the evaluation chose for this seed, if it chose one.
      const chosen = res.score_scale_choice?.chosen;
      if (k === 0) firstSeed.push(chosen ? withScoreScale(trained, chosen) : trained);
      else trained.dispose();
      plan.lap(`eval/${method.name}`);
    }
  }
  return { results, firstSeed };
}

/**
 * The ε sweep with priors: an SBM-SRR prior trained and evaluated at every ε of the reduction's
 * sweep (first seed only), for coherence against ε and total rank.
 */
export async function sweepWithPriors(
  inputs: MethodInputs,
  plan: Pick<MethodsPlan, "ref" | "lap">,
): Promise<SweepEntry[]> {
  const { ctx, lat } = inputs;
  const red = inputs.reduction!;
  const out: SweepEntry[] = [];
  for (const point of red.sweep) {
    const sel = selectReduction(red.h, lat.dims, {
      epsilon: point.fraction,
      epsilonMode: "fraction",
    });
    const maps = reducedMaps(ctx.backend, red, sel, ctx.cfg.reduction.complement);
    const name = `sbm-srr-eps${point.fraction}`;
    const trained = await trainScorePrior(inputs, { name, dims: sel.ranks, maps }, ctx.cfg.seed);
    const res = await evaluateMethod(ctx, trained, plan.ref, ctx.cfg.seed);
    out.push({
      ...point,
      coherence_by_given: res.coherence_by_given,
      unconditional_coherence: res.unconditional_coherence,
    });
    ctx.log(
      "sweep",
      `ε fraction ${point.fraction}: total rank ${point.totalRank}, coherence ${
        JSON.stringify(res.coherence_by_given)
      }`,
    );
    trained.dispose();
    maps.dispose();
    plan.lap("sweep");
  }
  return out;
}
