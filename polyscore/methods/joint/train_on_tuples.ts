/**
 * Training a joint model on all modalities of each training tuple, as a resumable stage: the part
 * MoPoE/MVTCAE (method.ts) and MMVAE+ (../mmvaeplus.ts) share. Adam with cosine decay, the tuple
 * order, the batches of every modality and one backward + update per step live here; each method
 * brings its networks, its noise seed, its metrics and its loss.
 */
import type { Module } from "../../../engine/nn/module.ts";
import { RandomStream } from "../../../engine/ops/random.ts";
import { Adam, cosineLr } from "../../../engine/optim.ts";
import { backward, type Tensor } from "../../../engine/tensor.ts";
import { sampleSize } from "../../data/dataset.ts";
import type { JointConfig } from "../../pipeline/config/mod.ts";
import { BatchOrder, batchTensor, type PipelineContext } from "../../pipeline/context.ts";
import { trainStage } from "../../pipeline/train_stage.ts";

/**
 * The optimisation settings of a joint method's config section: `joint` and `mmvaeplus` both have
 * these fields.
 */
export type TupleTrainingSettings = Pick<
  JointConfig,
  "steps" | "batch" | "lr" | "lrFinal" | "maxGradNorm"
>;

/** What {@link trainOnTuples} trains. */
export interface TupleTraining {
  /** Metrics stage name ("joint/mopoe") and checkpoint name ("joint_mopoe"). */
  stage: string;
  checkpoint: string;
  /** The networks: all their parameters are trained. */
  module: Module;
  settings: TupleTrainingSettings;
  /** Seed of the tuple order (stream 500 of {@link BatchOrder}). */
  seed: number;
  /** Seed of the noise stream handed to `loss` (saved in checkpoints: a resume repeats it). */
  noiseSeed: number;
  /** Metric names, "loss" first; `loss` returns one one-element tensor for each. */
  metrics: readonly string[];
  /**
   * The loss of step `step` on `xs` (one (B, …) tensor per modality, rows of the same tuples) and
   * its named terms; `loss` is the one minimised.
   */
  loss: (xs: Tensor[], step: number, noise: RandomStream) => Record<string, Tensor> & {
    loss: Tensor;
  };
}

/** Trains (or restores from its checkpoint) `t.module` on batches of whole training tuples. */
export async function trainOnTuples(ctx: PipelineContext, t: TupleTraining): Promise<void> {
  const c = t.settings;
  const specs = ctx.dataset.modalities;
  const opt = new Adam(t.module.parameters(), { lr: c.lr, maxGradNorm: c.maxGradNorm });
  const noise = new RandomStream(t.noiseSeed);
  const order = new BatchOrder(ctx.train.count, Math.min(c.batch, ctx.train.count), t.seed, 500);
  const scratch = specs.map((s) => new Float32Array(order.batch * sampleSize(s)));
  await trainStage(ctx, {
    stage: t.stage,
    checkpoint: t.checkpoint,
    module: t.module,
    opt,
    noise,
    steps: c.steps,
    metrics: t.metrics,
    lrAt: (i) => cosineLr(i, c.steps, c.lr, c.lrFinal),
    unit: "tuples",
    unitsPerStep: order.batch,
    step: (i) => {
      const idx = order.indices(i);
      const xs = specs.map((s, m) =>
        batchTensor(ctx.backend, s, ctx.train.data[m], idx, scratch[m])
      );
      const out = t.loss(xs, i, noise);
      backward(out.loss, opt.params);
      opt.update();
      return out;
    },
  });
  opt.dispose();
}
