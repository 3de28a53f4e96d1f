/**
 * Trains one module as a resumable stage: restores a finished checkpoint (skips training), or a
 * partial one (parameters, optimizer moments, step, noise counter) and continues from its step;
 * metrics after that step are deleted first, so a killed run leaves no gap and no duplicate.
 */
import type { Module } from "../../engine/nn/module.ts";
import type { RandomStream } from "../../engine/ops/random.ts";
import type { Ema } from "../../engine/ema.ts";
import type { Adam } from "../../engine/optim.ts";
import { Progress } from "../../engine/progress.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { trainLoop } from "../../engine/train/loop.ts";
import { captureState, restoreState } from "./checkpoint.ts";
import type { PipelineContext } from "./context.ts";

/** What {@link trainStage} trains. */
export interface StageSpec {
  /** Metrics stage name ("ae/m0") and checkpoint name ("ae_m0"). */
  stage: string;
  checkpoint: string;
  module: Module;
  opt: Adam;
  /** An EMA of the weights, updated after every step and saved in every checkpoint. */
  ema?: Ema;
  noise: RandomStream;
  steps: number;
  metrics: readonly string[];
  lrAt: (step: number) => number;
  /** Records one step (forward, backward, update); returns one-element metric tensors. */
  step: (i: number) => Record<string, Tensor>;
  unit?: string;
  /** Work units per step for the rate display (e.g. the batch size, for images/s). */
  unitsPerStep?: number;
}

/** Trains (or restores) a stage; returns "trained" or "restored". */
export async function trainStage(
  ctx: PipelineContext,
  s: StageSpec,
): Promise<"trained" | "restored"> {
  const ck = ctx.run.loadCheckpoint(s.checkpoint);
  if (ck?.metadata.done === "1") {
    restoreState(s.module, ck.tensors, undefined, `checkpoint ${s.checkpoint}`, s.ema);
    ctx.log(s.stage, `restored from checkpoint ${s.checkpoint}`);
    return "restored";
  }
  if (ctx.restoreOnly) {
    throw new RangeError(
      `Cannot load stage ${s.stage}: the run has no finished checkpoint ${s.checkpoint}: finish the run with --resume first`,
    );
  }
  let start = 0;
  if (ck) {
    restoreState(s.module, ck.tensors, s.opt, `checkpoint ${s.checkpoint}`, s.ema);
    start = Number(ck.metadata.step);
    s.opt.step = start;
    if (s.ema) s.ema.updates = start; // one EMA update per step: the warm-up continues exactly
    s.noise.counter = Number(ck.metadata.noise_counter);
    ctx.run.deleteMetricsAfter(s.stage, start);
    ctx.log(s.stage, `resuming at step ${start} of ${s.steps}`);
  }
  const units = s.unitsPerStep ?? 1;
  const progress = new Progress(s.stage, s.steps * units, s.unit ?? "steps", ctx.quiet);
  const save = async (step: number, done: boolean) => {
    const tensors = await captureState(s.module, done ? undefined : s.opt, s.ema);
    ctx.run.saveCheckpoint(s.checkpoint, tensors, {
      step: String(step),
      done: done ? "1" : "0",
      noise_counter: String(s.noise.counter),
    });
  };
  const last = await trainLoop({
    stage: s.stage,
    backend: ctx.backend,
    steps: s.steps,
    startStep: start,
    metrics: s.metrics,
    metricsEvery: Math.max(1, Math.min(50, Math.floor(s.steps / 20))),
    checkpointEvery: Math.max(10, Math.floor(s.steps / 5)),
    step: (i) => {
      s.opt.lr = s.lrAt(i);
      const metrics = s.step(i);
      s.ema?.update();
      return metrics;
    },
    onMetrics: (step, values) => {
      ctx.run.metric(s.stage, step, { ...values, lr: s.opt.lr });
      ctx.run.setStage(s.stage, step / s.steps);
      progress.update(step * units, `loss ${values.loss.toPrecision(4)}`);
    },
    onCheckpoint: (step) => save(step, false),
  });
  await save(s.steps, true);
  progress.finish(`loss ${last.loss?.toPrecision(4)}`);
  return "trained";
}
