/**
 * The reconstruction ceiling: the classifiers' accuracy on the autoencoders' reconstructions of the
 * test set — no prior can make a generated modality more coherent than its decoder allows — and the
 * reconstruction error.
 */
import { modalityOf } from "../modality.ts";
import * as ops from "../../engine/ops/mod.ts";
import { noGrad, tidy } from "../../engine/tensor.ts";
import type { Autoencoder } from "../models/conv_vae.ts";
import { batchTensor, chunks, type PipelineContext } from "../pipeline/context.ts";
import { scoreBatch, type Scorer } from "../pipeline/stage_classifier.ts";

/** Classifier accuracy on reconstructions (the ceiling for coherence) and the reconstruction MSE. */
export async function reconstructionStats(
  ctx: PipelineContext,
  aes: Autoencoder[],
  scorers: Scorer[],
) {
  const ceiling: (number | null)[] = [], mse: number[] = [];
  for (const [m, spec] of ctx.dataset.modalities.entries()) {
    let sum = 0, sq = 0, count = 0;
    for (const idx of chunks(ctx.test.count, 256)) {
      const recon = tidy(() =>
        noGrad(() => {
          const x = batchTensor(ctx.backend, spec, ctx.test.data[m], idx);
          const r = ops.sigmoid(aes[m].decode(aes[m].encode(x).mu));
          return { r, err: ops.meanAll(ops.square(ops.sub(r, x))) };
        })
      );
      sq += (await recon.err.item()) * idx.length;
      count += idx.length;
      if (scorers[m].kind !== "direct" || modalityOf(spec).scoring !== "classifier") {
        const s = await scoreBatch(ctx, scorers[m], spec, () => recon.r, idx, m);
        sum += s.reduce((a, b) => a + b, 0);
      }
      recon.r.dispose();
      recon.err.dispose();
    }
    mse.push(sq / count);
    ceiling.push(
      scorers[m].kind === "direct" && modalityOf(spec).scoring === "classifier"
        ? null
        : sum / ctx.test.count,
    );
  }
  return { ceiling, mse };
}
