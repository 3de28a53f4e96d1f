/**
 * The evaluation's part of the report, from every method's per-seed results on one plan: the
 * per-seed aggregates (means, stds), bootstrap CIs, the incremental curve, the paired differences,
 * and the ceilings on the same tuples. Shared by `polyscore train` and `polyscore eval`.
 */
import { reconstructionFrechet, type ReconstructionStats } from "../eval/ceiling.ts";
import { ceilingOnPlan, methodStats, pairedTable, unconditionalCeiling } from "../eval/compare.ts";
import { frechetPlan } from "../eval/frechet_given.ts";
import { type EvalPlan, TUPLE_RULE } from "../eval/protocol.ts";
import { aggregate } from "../report/markdown.ts";
import type {
  MethodReport,
  PriorReport,
  ReductionReport,
  Report,
  SweepEntry,
} from "../report/report.ts";
import type { PipelineContext } from "./context.ts";
import type { Latents } from "./stage_latents.ts";
import { fractionOfChosen } from "./stage_lift.ts";
import type { ReductionResult } from "./stage_reduction.ts";
import { type EvalConfig, finalSnrOf, type PriorConfig } from "./config/mod.ts";
import type { MethodResult } from "./stage_eval.ts";
import { priorNfe } from "./stage_prior.ts";

/** The report fields the evaluation fills. */
export type EvaluationReport = Pick<
  Report,
  | "methods"
  | "protocol"
  | "ceiling_by_given"
  | "incremental_ceiling"
  | "unconditional_ceiling"
  | "fd_reconstruction_vs_real"
  | "paired"
>;

/** Builds the evaluation's report fields (bootstrap seeded by the run's seed: reproducible). */
export function evaluationReport(
  cfg: EvalConfig,
  runSeed: number,
  plan: EvalPlan,
  recon: ReconstructionStats,
  results: Record<string, MethodResult[]>,
): EvaluationReport {
  const opts = { reps: cfg.bootstrap, seed: runSeed };
  const methods: Record<string, MethodReport> = {};
  for (const [name, runs] of Object.entries(results)) {
    const st = methodStats(plan, runs, opts);
    methods[name] = {
      ...aggregate(runs),
      coherence_ci_by_given: st.ci_by_given,
      coherence_se_by_given: st.se_by_given,
      incremental_coherence: st.incremental,
      incremental_ci: st.incremental_ci,
    };
  }
  const ceiling = ceilingOnPlan(plan, recon);
  return {
    methods,
    protocol: {
      tuples_by_given: Object.fromEntries(
        [...plan.tuples].map(([k, t]) => [String(k), t.length]),
      ),
      rule: cfg.tuplesBySize.length ? "eval.tuplesBySize (set explicitly)" : TUPLE_RULE,
      rows_per_method: plan.rows.subset.length,
      incremental_target: plan.incremental.target,
      incremental_given: plan.incremental.subsets,
      bootstrap_reps: cfg.bootstrap,
      fd_rows_by_target: frechetPlan(plan, recon.featureRows).rows,
      fd_reference_rows: recon.featureRows,
    },
    ceiling_by_given: ceiling.byGiven,
    incremental_ceiling: ceiling.incremental,
    unconditional_ceiling: unconditionalCeiling(recon),
    fd_reconstruction_vs_real: reconstructionFrechet(recon),
    paired: pairedTable(plan, results, opts),
  };
}

/** The reduction's part of the report: ε, ranks, the estimated bound, spectra and diagnostics. */
export function reductionReport(
  ctx: PipelineContext,
  red: ReductionResult,
  lat: Latents,
  sweep: SweepEntry[] | null,
  lift: ReductionReport["lift_ceiling"] | null,
): ReductionReport {
  return {
    estimator: ctx.cfg.reduction.estimator,
    complement: ctx.cfg.reduction.complement,
    ...(red.liftSearch ? { lift_selection: red.liftSearch } : {}),
    epsilon: red.selection.epsilon,
    epsilon_fraction: fractionOfChosen(ctx),
    ranks: red.selection.ranks,
    latent_dims: lat.dims,
    total_rank: red.selection.ranks.reduce((a, b) => a + b, 0),
    total_dim: lat.total,
    bound: red.selection.bound,
    trace: red.selection.trace,
    spectra: red.selection.spectra.map((s) => Array.from(s.values)),
    sweep: sweep ?? red.sweep,
    held_out: red.heldOut,
    gaussian_part: {
      trace: red.gaussian.trace,
      bound: red.gaussian.bound,
      relative_frobenius: red.gaussian.relativeFrobenius,
      principal_angles_deg: red.gaussian.angles.map((a) => a.map((x) => x * 180 / Math.PI)),
    },
    lift_ceiling: lift ?? undefined,
  };
}

/** The report's record of how the priors were trained and conditioned. */
export function priorReport(p: PriorConfig): PriorReport {
  return {
    conditioning: p.conditioning,
    observed_noise: p.observedNoise,
    mask_prob: p.conditioning === "masked" ? p.maskProb : null,
    ema: p.ema,
    standardize: p.standardize,
    sampler: p.sampler,
    sample_steps: p.sampleSteps,
    final_corrector_steps: p.finalCorrectorSteps,
    snr: p.snr,
    final_snr: finalSnrOf(p),
    observed_gain: p.observedGain,
    score_scale: p.scoreScale,
    score_scale_auto: p.scoreScaleAuto
      ? { grid: p.scoreScaleGrid, samples: p.scoreScaleSamples }
      : null,
    nfe: priorNfe(p),
  };
}
