/**
 * The SBM-SRR reduction stage: per-modality whitening, score-ratio matching on the joint whitened
 * latents, the diagnostic matrix H, per-block eigendecompositions (Wasm), ranks for ε (a fraction
 * of ½ tr H unless absolute), the estimated bound (from the learned H), the maps z ↔ y for the
 * reduced prior, and the diagnostics of H: the bound under H on held-out (test) latents, and the
 * learned H against its Gaussian part (relative Frobenius distance, principal angles of the bases).
 */
import type { Backend } from "../../engine/backend.ts";
import { RandomStream } from "../../engine/ops/random.ts";
import { Adam, cosineLr } from "../../engine/optim.ts";
import {
  diagnosticMatrix,
  epsilonSweep,
  estimateDiagnostic,
  type ReductionSelection,
  selectReduction,
  type SweepPoint,
} from "../reduction/diagnostic.ts";
import {
  type BoundUnderH,
  boundUnderH,
  compareWithGaussianPart,
  type GaussianComparison,
  gaussianPartOfH,
} from "../reduction/h_diagnostics.ts";
import {
  fullRankSelection,
  type LiftComplement,
  ReductionMaps,
  reductionMatrices,
} from "../reduction/reduce.ts";
import { priorScoreRatio } from "../reduction/prior_score.ts";
import { sbmAeSpace } from "../methods/sbm_ae.ts";
import type { PipelineConfig, ReductionConfig } from "./config/mod.ts";
import { toModelSpace, trainPrior } from "./stage_prior.ts";
import type { LatentScorer, LiftPoint } from "../eval/lift_ceiling.ts";
import { type LiftSearch, liftSelectedRanks } from "./stage_rank_select.ts";
import {
  gaussianLinearInit,
  scoreRatioLoss,
  ScoreRatioNet,
  secondMoment,
} from "../reduction/score_ratio.ts";
import { fitWhitening, whiten, type Whitening } from "../reduction/whitening.ts";
import { backward, noGrad, Tensor, tidy } from "../../engine/tensor.ts";
import { BatchOrder, type PipelineContext } from "./context.ts";
import type { Latents } from "./stage_latents.ts";
import { checkReduction, DivergedStageError } from "./stage_checks.ts";
import { trainStage } from "./train_stage.ts";

/**
 * Whether a run computes the reduction: always when a listed method needs it (SBM-SRR, the
 * whitened control), and otherwise when `reduction.enabled` asks for its diagnostics (spectrum,
 * ranks, bound, lift ceiling) alone. A preset that lists neither (quick) saves the stage's time
 * without silently dropping a method a user adds with `--set methods=…`.
 */
export function reductionWanted(
  cfg: PipelineConfig,
  methods: readonly { needsReduction: boolean }[],
): boolean {
  return cfg.reduction.enabled || methods.some((m) => m.needsReduction);
}

/** Everything the reduced and control priors need, plus what the report shows. */
export interface ReductionResult {
  whitening: Whitening;
  selection: ReductionSelection;
  sweep: SweepPoint[];
  /** The diagnostic matrix H (D×D, row-major) in whitened coordinates. */
  h: Float64Array;
  /** (D, D) second moment of the whitened train latents (the conditional complement's model). */
  moment: Float64Array;
  /** The lift-ceiling rank search (`reduction.select` "lift-ceiling"), when it ran or was saved. */
  liftSearch: LiftSearch | null;
  /** z ↔ y maps of SBM-SRR and of the whitened full-rank control. */
  reduced: ReductionMaps;
  control: ReductionMaps;
  /** The trained network's H on the test latents, and the bound of the chosen bases under it. */
  heldOut: BoundUnderH & { tuples: number };
  /** The learned H against its Gaussian part H_G (the linear term alone), at the chosen ranks. */
  gaussian: GaussianComparison;
  wallSeconds: number;
}

/**
 * Runs (or restores) the reduction on the training latents. `trainScore` scores latents of the
 * *train* tuples (`trainLiftScorer`): needed the first time `reduction.select` is "lift-ceiling".
 */
export async function runReduction(
  ctx: PipelineContext,
  lat: Latents,
  trainScore?: LatentScorer,
): Promise<ReductionResult> {
  const t0 = performance.now();
  const { cfg } = ctx;
  const r = cfg.reduction;
  const n = ctx.train.count, d = lat.total;
  const whitening = fitWhitening(lat.train, n, lat.dims, { ridge: 1e-6 });
  const u = Float32Array.from(whiten(whitening, lat.train, n));
  const nTest = ctx.test.count;
  const { h, hTest } = r.estimator === "prior-score"
    ? await priorScoreH(ctx, lat, whitening)
    : await scoreRatioH(ctx, lat, whitening, u);
  // The whitened train latents' second moment: the conditional complement's Gaussian model.
  const moment = secondMoment(u, n, d);
  const complement = liftComplement(r.complement, moment);
  const lifted = r.select === "lift-ceiling"
    ? await liftSelectedRanks(ctx, h, whitening, lat, complement, trainScore)
    : null;
  const selection = lifted
    ? selectReduction(h, lat.dims, { ranks: lifted.ranks })
    : r.ranks.length
    ? selectReduction(h, lat.dims, { ranks: r.ranks })
    : r.epsilonAbsolute > 0
    ? selectReduction(h, lat.dims, { epsilon: r.epsilonAbsolute, epsilonMode: "absolute" })
    : selectReduction(h, lat.dims, { epsilon: r.epsilonFraction, epsilonMode: "fraction" });
  const hGaussian = gaussianPartOfH(u, n, d);
  let gaussianTrace = 0;
  for (let i = 0; i < d; i++) gaussianTrace += hGaussian[i * d + i];
  const stage = r.estimator === "prior-score" ? "reduction/prior_score" : "reduction/score_ratio";
  const losses = r.estimator === "prior-score" ? [] : ctx.run.metrics({ stage })
    .filter((m) => m.name === "loss").sort((a, b) => a.step - b.step).map((m) => m.value);
  try {
    checkReduction(stage, {
      h,
      d,
      trace: selection.trace,
      bound: selection.bound,
      epsilon: selection.epsilon,
      gaussianTrace,
      // The last fifth of the logged values (at least 3): the loss where training ended.
      finalLosses: losses.slice(-Math.max(3, Math.ceil(losses.length / 5))),
    });
  } catch (e) {
    if (!(e instanceof DivergedStageError) || ctx.restoreOnly || r.estimator !== "score-ratio") {
      throw e;
    }
    // Set the diverged network aside: a resumed run (with a lower lr) trains the stage again.
    ctx.run.renameCheckpoint("score_ratio", "diverged_score_ratio");
    e.message += "; its checkpoint was set aside as diverged_score_ratio, so --resume retrains it";
    throw e;
  }
  const sweep = r.sweep.length ? epsilonSweep(h, lat.dims, r.sweep) : [];
  const reduced = new ReductionMaps(
    ctx.backend,
    reductionMatrices(whitening, selection, complement),
  );
  const control = new ReductionMaps(
    ctx.backend,
    reductionMatrices(whitening, fullRankSelection(lat.dims)),
  );
  const heldOut = { tuples: nTest, ...boundUnderH(hTest, lat.dims, selection.bases) };
  const gaussian = compareWithGaussianPart(h, hGaussian, lat.dims, selection.ranks);
  const deg = (a: number) => (a * 180 / Math.PI).toFixed(1);
  ctx.log(
    "reduction",
    `tr H = ${selection.trace.toPrecision(4)}, ε = ${
      // Fixed ranks (reduction.ranks, or chosen by the lift ceiling) have no ε.
      Number.isFinite(selection.epsilon)
        ? selection.epsilon.toPrecision(3)
        : "none (ranks fixed)"}, ranks [${selection.ranks}] ` +
      `(${selection.ranks.reduce((a, b) => a + b, 0)} of ${d}), estimated bound ${
        selection.bound.toPrecision(4)
      } (held-out ${heldOut.bound.toPrecision(4)}); ‖H − H_G‖/‖H‖ = ${
        gaussian.relativeFrobenius.toPrecision(3)
      }, largest angle per block [${
        gaussian.angles.map((a) => deg(Math.max(0, ...a)))
      }]° (${r.estimator} estimator, ${r.complement} complement)`,
  );
  return {
    whitening,
    selection,
    sweep,
    h,
    moment,
    liftSearch: lifted?.search ?? null,
    reduced,
    control,
    heldOut,
    gaussian,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

/**
 * The checkpoint the reduction restores from: the score-ratio network, or (estimator "prior-score")
 * the first seed's SBM-AE prior (named as trainPrior names it).
 */
export function reductionCheckpoint(cfg: PipelineConfig): string {
  if (cfg.reduction.estimator !== "prior-score") return "score_ratio";
  return cfg.seeds > 1 ? `prior_sbm-ae_s${cfg.seed}` : "prior_sbm-ae";
}

/** The lift's complement of `reduction.complement`, with the moment the conditional one needs. */
export function liftComplement(
  kind: ReductionConfig["complement"],
  moment: Float64Array,
): LiftComplement {
  return kind === "conditional" || kind === "conditional-mean" ? { kind, moment } : { kind };
}

/**
 * SBM-SRR's z ↔ y maps for `selection` with the lift's complement `kind` (the ε sweep's priors and
 * `polyscore eval` variants that change `reduction.complement` build theirs here).
 */
export function reducedMaps(
  backend: Backend,
  red: Pick<ReductionResult, "whitening" | "moment">,
  selection: ReductionSelection,
  kind: ReductionConfig["complement"],
): ReductionMaps {
  return new ReductionMaps(
    backend,
    reductionMatrices(red.whitening, selection, liftComplement(kind, red.moment)),
  );
}

/**
 * H from a score-ratio network trained on the whitened latents (estimator "score-ratio"), in-sample
 * and on the test latents.
 */
async function scoreRatioH(
  ctx: PipelineContext,
  lat: Latents,
  whitening: Whitening,
  u: Float32Array,
): Promise<{ h: Float64Array; hTest: Float64Array }> {
  const { cfg } = ctx;
  const r = cfg.reduction;
  const n = ctx.train.count, d = lat.total;
  const net = new ScoreRatioNet(ctx.backend, {
    dim: d,
    hidden: Array.from({ length: r.depth }, () => r.width),
    activation: "silu",
    linear: "symmetric",
    seed: cfg.seed * 11 + 5,
  });
  // Start A at the Gaussian optimum (closed form from the sample covariance): the MLP then only
  // learns the non-Gaussian part, which roughly halved H's error on a Gaussian of this size.
  net.setLinear(gaussianLinearInit(u, n, d));
  const opt = new Adam(net.parameters(), {
    lr: r.lr,
    weightDecay: r.weightDecay,
    maxGradNorm: r.maxGradNorm,
  });
  const noise = new RandomStream((cfg.seed * 977 + 3) >>> 0);
  const order = new BatchOrder(n, Math.min(r.batch, n), cfg.seed, 400);
  const batch = order.batch;
  const rows = new Float32Array(batch * d);
  await trainStage(ctx, {
    stage: "reduction/score_ratio",
    checkpoint: "score_ratio",
    module: net,
    opt,
    noise,
    steps: r.steps,
    metrics: ["loss"],
    lrAt: (i) => cosineLr(i, r.steps, r.lr, 0.05),
    unit: "samples",
    unitsPerStep: batch,
    step: (i) => {
      const idx = order.indices(i);
      for (let b = 0; b < batch; b++) rows.set(u.subarray(idx[b] * d, (idx[b] + 1) * d), b * d);
      const ub = Tensor.from(ctx.backend, rows, [batch, d]);
      // Gaussian probes: E[v vᵀ] = I, so vᵀJv is an unbiased divergence estimate (K per row).
      const loss = r.divergence === "exact"
        ? scoreRatioLoss(net, ub, { kind: "exact" })
        : scoreRatioLoss(net, ub, {
          kind: "hutchinson",
          probes: noise.normal(ctx.backend, [batch * r.probes, d]),
          k: r.probes,
        });
      backward(loss, opt.params);
      opt.update();
      return { loss };
    },
  });
  opt.dispose();
  const h = await estimateDiagnostic(net, u, n);
  // H is estimated in-sample (the training latents); the same network on held-out latents shows
  // how much of it is overfitting.
  const nTest = ctx.test.count;
  const hTest = await estimateDiagnostic(net, whiten(whitening, lat.test, nTest), nTest);
  net.dispose();
  return { h, hTest };
}

/**
 * H from the SBM-AE prior's score at time `reduction.priorScoreTime` (estimator "prior-score"):
 * the prior of the first seed is trained here (or restored) under the checkpoint the sbm-ae method
 * uses, so it is trained once; its score in model space is mapped to raw latents (÷σ under
 * `prior.standardize`) and then to whitened coordinates (polyscore/reduction/prior_score.ts).
 */
async function priorScoreH(
  ctx: PipelineContext,
  lat: Latents,
  whitening: Whitening,
): Promise<{ h: Float64Array; hTest: Float64Array }> {
  const n = ctx.train.count, nTest = ctx.test.count, d = lat.total;
  const t = ctx.cfg.reduction.priorScoreTime;
  const { space, standardize } = sbmAeSpace({ ctx, lat });
  try {
    const data = ctx.restoreOnly
      ? new Float32Array(0)
      : await toModelSpace(ctx.backend, space, lat.train, n, d);
    const prior = await trainPrior(ctx, space, data, n, ctx.cfg.seed);
    const std = standardize?.stats.std;
    const score = async (z: Float32Array, rows: number) => {
      const out = tidy(() =>
        noGrad(() => {
          const zt = Tensor.from(ctx.backend, z, [rows, d]);
          const x = standardize ? standardize.project(zt) : zt;
          return prior.model.score(x, Tensor.full(ctx.backend, [rows], t));
        })
      );
      const g = Float64Array.from(await out.data());
      out.dispose();
      // x = (z − μ)/σ per dimension: ∇_z = ∇_x / σ.
      if (std) { for (let i = 0; i < g.length; i++) g[i] /= std[i % d]; }
      return g;
    };
    ctx.log(
      "reduction/prior_score",
      `score ratio from the SBM-AE prior's score at t = ${t} (whitened by the chain rule)`,
    );
    const h = diagnosticMatrix(await priorScoreRatio(whitening, lat.train, n, score), n, d);
    const hTest = diagnosticMatrix(
      await priorScoreRatio(whitening, lat.test, nTest, score),
      nTest,
      d,
    );
    prior.model.dispose();
    return { h, hTest };
  } finally {
    standardize?.dispose();
  }
}

/**
 * The reductions whose lift ceiling the report shows: every ε of the sweep, the chosen one, and
 * full rank (the whitened control, whose lift is exact: its ceiling is decode(z_test)'s).
 */
export function liftPoints(red: ReductionResult, fractionOfChosen: number | null): LiftPoint[] {
  const dims = red.selection.dims;
  return [
    ...red.sweep.map((p) => ({
      label: `ε ${p.fraction}`,
      fraction: p.fraction,
      ranks: p.ranks,
      bases: selectReduction(red.h, dims, { ranks: p.ranks }).bases,
    })),
    {
      label: "chosen",
      fraction: fractionOfChosen,
      ranks: red.selection.ranks,
      bases: red.selection.bases,
    },
    { label: "full rank", fraction: null, ...fullRankSelection(dims) },
  ];
}
