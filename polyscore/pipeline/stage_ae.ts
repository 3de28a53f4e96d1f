/**
 * Stage 1: one autoencoder per modality, trained alone with a N(0, I) prior (literature §1.3);
 * its architecture and likelihood come from the modality registry (polyscore/modality.ts). Then
 * frozen; the latent is the posterior mean. With `workers`, the modalities are trained a few at a
 * time in Deno workers first (modality_workers.ts; the same bits), then restored here.
 */
import { sampleSize } from "../data/dataset.ts";
import { buildAutoencoder } from "../modality.ts";
import type { Autoencoder } from "../models/conv_vae.ts";
import { Init } from "../../engine/nn/module.ts";
import { RandomStream } from "../../engine/ops/random.ts";
import { Adam, cosineLr } from "../../engine/optim.ts";
import { backward } from "../../engine/tensor.ts";
import { BatchOrder, batchTensor, type PipelineContext } from "./context.ts";
import { jobCheckpoint, type ModalityWorkers, trainInWorkers } from "./modality_workers.ts";
import { trainStage } from "./train_stage.ts";

/** Trains (or restores) the autoencoders of every modality. */
export async function trainAutoencoders(
  ctx: PipelineContext,
  workers?: ModalityWorkers,
): Promise<Autoencoder[]> {
  if (workers) await trainInWorkers(ctx, "ae", ctx.dataset.modalities.map((_, m) => m), workers);
  const out: Autoencoder[] = [];
  for (const m of ctx.dataset.modalities.keys()) out.push(await trainAutoencoder(ctx, m));
  return out;
}

/** Trains (or restores) the autoencoder of modality m. */
export async function trainAutoencoder(ctx: PipelineContext, m: number): Promise<Autoencoder> {
  const { cfg } = ctx;
  const spec = ctx.dataset.modalities[m];
  const ae = buildAutoencoder(new Init(ctx.backend, cfg.seed * 1000 + m), spec, cfg.ae);
  const opt = new Adam(ae.parameters(), { lr: cfg.ae.lr, maxGradNorm: cfg.ae.maxGradNorm });
  const noise = new RandomStream((cfg.seed * 31 + m) >>> 0);
  const order = new BatchOrder(ctx.train.count, cfg.ae.batch, cfg.seed, 100 + m);
  const scratch = new Float32Array(cfg.ae.batch * sampleSize(spec));
  await trainStage(ctx, {
    stage: `ae/${spec.name}`,
    checkpoint: jobCheckpoint("ae", spec),
    module: ae,
    opt,
    noise,
    steps: cfg.ae.steps,
    metrics: ["loss", "recon", "reg"],
    lrAt: (i) => cosineLr(i, cfg.ae.steps, cfg.ae.lr, cfg.ae.lrFinal),
    unit: "img",
    unitsPerStep: cfg.ae.batch,
    step: (i) => {
      const x = batchTensor(ctx.backend, spec, ctx.train.data[m], order.indices(i), scratch);
      const l = ae.loss(x, noise);
      backward(l.loss, opt.params);
      opt.update();
      return { loss: l.loss, recon: l.recon, reg: l.reg };
    },
  });
  opt.dispose();
  return ae;
}
