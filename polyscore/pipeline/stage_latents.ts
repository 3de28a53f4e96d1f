/**
 * Encodes every train and test tuple with the frozen autoencoders: the posterior means of all
 * modalities, concatenated, (N, D) with D = Σ d_m. Cached in the run as a checkpoint.
 */
import type { Autoencoder } from "../models/conv_vae.ts";
import { noGrad, tidy } from "../../engine/tensor.ts";
import { batchTensor, chunks, type DenseSplit, type PipelineContext } from "./context.ts";
import { checkFinite } from "./stage_checks.ts";

/** Latents of both splits: (N, D) row-major, with the block of modality m at columns offsets[m]. */
export interface Latents {
  train: Float32Array;
  test: Float32Array;
  dims: number[];
  offsets: number[];
  total: number;
}

async function encodeSplit(
  ctx: PipelineContext,
  aes: Autoencoder[],
  split: DenseSplit,
  dims: number[],
) {
  const total = dims.reduce((a, b) => a + b, 0);
  const out = new Float32Array(split.count * total);
  let off = 0;
  for (const [m, ae] of aes.entries()) {
    const spec = ctx.dataset.modalities[m];
    for (const idx of chunks(split.count, 512)) {
      const mu = tidy(() =>
        noGrad(() => ae.encode(batchTensor(ctx.backend, spec, split.data[m], idx)).mu)
      );
      const v = await mu.data();
      mu.dispose();
      for (let b = 0; b < idx.length; b++) {
        for (let j = 0; j < dims[m]; j++) out[(idx[b]) * total + off + j] = v[b * dims[m] + j];
      }
    }
    off += dims[m];
  }
  return out;
}

/** Encodes (or restores) the latents of both splits. */
export async function encodeLatents(ctx: PipelineContext, aes: Autoencoder[]): Promise<Latents> {
  const dims = aes.map((a) => a.config.latent);
  const offsets = dims.map((_, m) => dims.slice(0, m).reduce((a, b) => a + b, 0));
  const total = dims.reduce((a, b) => a + b, 0);
  const ck = ctx.run.loadCheckpoint("latents");
  if (ck?.tensors.train && ck.tensors.test && ck.tensors.train.shape[1] === total) {
    ctx.log("latents", "restored from checkpoint");
    return { train: ck.tensors.train.data, test: ck.tensors.test.data, dims, offsets, total };
  }
  ctx.run.setStage("latents", 0);
  const train = await encodeSplit(ctx, aes, ctx.train, dims);
  const test = await encodeSplit(ctx, aes, ctx.test, dims);
  // A diverged autoencoder can encode to Inf/NaN with a finite training loss: stop here, by name.
  checkFinite("latents", "the training latents", train);
  checkFinite("latents", "the test latents", test);
  ctx.run.saveCheckpoint("latents", {
    train: { shape: [ctx.train.count, total], data: train },
    test: { shape: [ctx.test.count, total], data: test },
  }, { done: "1" });
  ctx.log("latents", `encoded ${ctx.train.count} + ${ctx.test.count} tuples into D = ${total}`);
  return { train, test, dims, offsets, total };
}
