/**
 * The SBM-SRR reduction stage: per-modality whitening, score-ratio matching on the joint whitened
 * latents, the diagnostic matrix H, per-block eigendecompositions (Wasm), ranks for ε (a fraction
 * of ½ tr H unless absolute), the estimated bound (from the learned H), the maps z ↔ y for the
 * reduced prior, and the diagnostics of H: the bound under H on held-out (test) latents, and the
 * learned H against its Gaussian part (relative Frobenius distance, principal angles of the bases).
 */
import { RandomStream } from "../../engine/ops/random.ts";
import { Adam, cosineLr } from "../../engine/optim.ts";
import {
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
import { fullRankSelection, ReductionMaps, reductionMatrices } from "../reduction/reduce.ts";
import type { LiftPoint } from "../eval/lift_ceiling.ts";
import { gaussianLinearInit, scoreRatioLoss, ScoreRatioNet } from "../reduction/score_ratio.ts";
import { fitWhitening, whiten, type Whitening } from "../reduction/whitening.ts";
import { backward, Tensor } from "../../engine/tensor.ts";
import { BatchOrder, type PipelineContext } from "./context.ts";
import type { Latents } from "./stage_latents.ts";
import { checkReduction, DivergedStageError } from "./stage_checks.ts";
import { trainStage } from "./train_stage.ts";

/** Everything the reduced and control priors need, plus what the report shows. */
export interface ReductionResult {
  whitening: Whitening;
  selection: ReductionSelection;
  sweep: SweepPoint[];
  /** The diagnostic matrix H (D×D, row-major) in whitened coordinates. */
  h: Float64Array;
  /** z ↔ y maps of SBM-SRR and of the whitened full-rank control. */
  reduced: ReductionMaps;
  control: ReductionMaps;
  /** The trained network's H on the test latents, and the bound of the chosen bases under it. */
  heldOut: BoundUnderH & { tuples: number };
  /** The learned H against its Gaussian part H_G (the linear term alone), at the chosen ranks. */
  gaussian: GaussianComparison;
  wallSeconds: number;
}

/** Runs (or restores) the reduction on the training latents. */
export async function runReduction(ctx: PipelineContext, lat: Latents): Promise<ReductionResult> {
  const t0 = performance.now();
  const { cfg } = ctx;
  const r = cfg.reduction;
  const n = ctx.train.count, d = lat.total;
  const whitening = fitWhitening(lat.train, n, lat.dims, { ridge: 1e-6 });
  const u = Float32Array.from(whiten(whitening, lat.train, n));
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
      // Gaussian probes: E[v vᵀ] = I, so vᵀJv is an unbiased divergence estimate.
      const loss = r.divergence === "exact"
        ? scoreRatioLoss(net, ub, { kind: "exact" })
        : scoreRatioLoss(net, ub, {
          kind: "hutchinson",
          probes: noise.normal(ctx.backend, [batch, d]),
          k: 1,
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
  const selection = r.ranks.length
    ? selectReduction(h, lat.dims, { ranks: r.ranks })
    : r.epsilonAbsolute > 0
    ? selectReduction(h, lat.dims, { epsilon: r.epsilonAbsolute, epsilonMode: "absolute" })
    : selectReduction(h, lat.dims, { epsilon: r.epsilonFraction, epsilonMode: "fraction" });
  const hGaussian = gaussianPartOfH(u, n, d);
  let gaussianTrace = 0;
  for (let i = 0; i < d; i++) gaussianTrace += hGaussian[i * d + i];
  const losses = ctx.run.metrics({ stage: "reduction/score_ratio" })
    .filter((m) => m.name === "loss").sort((a, b) => a.step - b.step).map((m) => m.value);
  try {
    checkReduction("reduction/score_ratio", {
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
    if (!(e instanceof DivergedStageError) || ctx.restoreOnly) throw e;
    // Set the diverged network aside: a resumed run (with a lower lr) trains the stage again.
    ctx.run.renameCheckpoint("score_ratio", "diverged_score_ratio");
    e.message += "; its checkpoint was set aside as diverged_score_ratio, so --resume retrains it";
    throw e;
  }
  const sweep = r.sweep.length ? epsilonSweep(h, lat.dims, r.sweep) : [];
  const reduced = new ReductionMaps(ctx.backend, reductionMatrices(whitening, selection));
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
      selection.epsilon.toPrecision(3)
    }, ranks [${selection.ranks}] ` +
      `(${selection.ranks.reduce((a, b) => a + b, 0)} of ${d}), estimated bound ${
        selection.bound.toPrecision(4)
      } (held-out ${heldOut.bound.toPrecision(4)}); ‖H − H_G‖/‖H‖ = ${
        gaussian.relativeFrobenius.toPrecision(3)
      }, largest angle per block [${gaussian.angles.map((a) => deg(Math.max(0, ...a)))}]°`,
  );
  return {
    whitening,
    selection,
    sweep,
    h,
    reduced,
    control,
    heldOut,
    gaussian,
    wallSeconds: (performance.now() - t0) / 1000,
  };
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
