/**
 * MMVAE+ (Palumbo, Daunhawer & Vogt, ICLR 2023): a joint VAE trained on all modalities, with a
 * shared latent z whose posterior is the uniform mixture of the unimodal experts q_m(z | x_m), a
 * private latent w_m per modality, and the IWAE bound of polyscore/methods/joint/mixture_iwae.ts.
 * It brings its own encoders and decoders (the frozen unimodal autoencoders are not used).
 *
 * Generation: each row picks one observed modality uniformly (the mixture), draws z from that
 * expert, w_m from q_m(w | x_m) for observed m and from the learned prior r_m(w) for the others,
 * and decodes. Unconditional rows draw z ~ Laplace(0, 1) and every w_m ~ r_m(w). The official
 * evaluation code draws the unobserved w from the unit prior; we use r_m(w), which is what the
 * decoders saw in training.
 */
import { Init } from "../../engine/nn/module.ts";
import { hash32, Rng } from "../../engine/random.ts";
import * as ops from "../../engine/ops/mod.ts";
import { noGrad, Tensor, tidy } from "../../engine/tensor.ts";
import { chunks, type PipelineContext } from "../pipeline/context.ts";
import { observedBatch } from "./observed.ts";
import { laplaceNoiseFrom, mixtureIwae } from "./joint/mixture_iwae.ts";
import { MmvaePlusModel } from "./joint/mmvaeplus_model.ts";
import { trainOnTuples } from "./joint/train_on_tuples.ts";
import type { Generated, Method, Observations, TrainedMethod } from "./method.ts";

/** Rows encoded or decoded per call while generating. */
const CHUNK = 256;

/** Trains (or restores) the model of one seed. */
async function trainModel(ctx: PipelineContext, seed: number): Promise<MmvaePlusModel> {
  const c = ctx.cfg.mmvaeplus;
  const specs = ctx.dataset.modalities;
  const be = ctx.backend;
  const model = new MmvaePlusModel(new Init(be, (seed * 7919 + 5) >>> 0), specs, {
    w: c.latentPrivate,
    z: c.latentShared,
    hidden: c.hidden,
    likelihood: c.likelihood,
    likelihoodScale: c.likelihoodScale,
  });
  const tag = ctx.cfg.seeds > 1 ? `mmvaeplus/s${seed}` : "mmvaeplus";
  await trainOnTuples(ctx, {
    stage: tag,
    checkpoint: tag.replace("/", "_"),
    module: model,
    settings: c,
    seed,
    noiseSeed: (seed * 977 + 23) >>> 0,
    metrics: ["loss", "loglik", "kl"],
    loss: (xs, _i, noise) => {
      const t = mixtureIwae({
        posteriors: xs.map((x, m) => model.encode(m, x)),
        priorWScale: specs.map((_, m) => model.priorWScale(m)),
        logLikelihood: (d, u) => model.logLikelihood(d, u, xs[d]),
        noise: (shape) => laplaceNoiseFrom(noise.uniform(be, shape), noise.uniform(be, shape)),
      }, { w: c.latentPrivate, z: c.latentShared, k: c.k, beta: c.beta });
      return { loss: t.loss, loglik: t.logLik, kl: t.kl };
    },
  });
  return model;
}

/** A Laplace(0, 1) draw on the host. */
function laplace(rng: Rng): number {
  return Math.log(1 - rng.uniform()) - Math.log(1 - rng.uniform());
}

/**
 * Samples of q_m(w, z | x_m) for the given rows, written into w (rows, W) of m and, for the rows
 * whose expert is m, into z (rows, Z).
 */
async function sampleExpert(
  ctx: PipelineContext,
  model: MmvaePlusModel,
  obs: Observations,
  m: number,
  rows: number[],
  expert: Int32Array,
  out: { w: Float32Array; z: Float32Array; rng: Rng },
): Promise<void> {
  const { w: dw, z: dz } = model.shape;
  const d = dw + dz;
  for (let s = 0; s < rows.length; s += CHUNK) {
    const part = rows.slice(s, s + CHUNK);
    const post = tidy(() =>
      noGrad(() => {
        const p = model.encode(m, observedBatch(ctx, obs, m, part));
        return ops.concat([p.loc, p.scale], 1);
      })
    );
    const v = await post.data();
    post.dispose();
    part.forEach((r, k) => {
      const at = (j: number) => v[k * 2 * d + j] + v[k * 2 * d + d + j] * laplace(out.rng);
      for (let j = 0; j < dw; j++) out.w[r * dw + j] = at(j);
      if (expert[r] === m) { for (let j = 0; j < dz; j++) out.z[r * dz + j] = at(dw + j); }
    });
  }
}

/** Draws every row's latents (see the file header) and decodes them on demand. */
async function generate(
  ctx: PipelineContext,
  model: MmvaePlusModel,
  obs: Observations,
  seed: number,
): Promise<Generated> {
  const mods = ctx.dataset.modalities.length;
  const { w: dw, z: dz } = model.shape;
  const rng = new Rng(hash32((seed * 2654435761 + 41) >>> 0));
  const expert = new Int32Array(obs.rows).fill(-1);
  for (let r = 0; r < obs.rows; r++) {
    const seen: number[] = [];
    for (let m = 0; m < mods; m++) if (obs.mask[r * mods + m]) seen.push(m);
    if (seen.length) expert[r] = seen[rng.int(seen.length)];
  }
  const z = new Float32Array(obs.rows * dz);
  for (let r = 0; r < obs.rows; r++) {
    if (expert[r] < 0) { for (let j = 0; j < dz; j++) z[r * dz + j] = laplace(rng); }
  }
  const ws: Float32Array[] = [];
  for (let m = 0; m < mods; m++) {
    const scale = tidy(() => noGrad(() => model.priorWScale(m)));
    const prior = await scale.data();
    scale.dispose();
    const w = new Float32Array(obs.rows * dw);
    const rows: number[] = [];
    for (let r = 0; r < obs.rows; r++) {
      if (obs.mask[r * mods + m]) rows.push(r);
      else for (let j = 0; j < dw; j++) w[r * dw + j] = prior[j] * laplace(rng);
    }
    await sampleExpert(ctx, model, obs, m, rows, expert, { w, z, rng });
    ws.push(w);
  }
  return {
    decoded(m, rows) {
      const u = new Float32Array(rows.length * (dw + dz));
      rows.forEach((r, k) => {
        u.set(ws[m].subarray(r * dw, (r + 1) * dw), k * (dw + dz));
        u.set(z.subarray(r * dz, (r + 1) * dz), k * (dw + dz) + dw);
      });
      const parts: Tensor[] = [];
      for (const idx of chunks(rows.length, CHUNK)) {
        const sub = u.subarray(idx[0] * (dw + dz), (idx[0] + idx.length) * (dw + dz));
        parts.push(
          tidy(() =>
            noGrad(() =>
              ops.sigmoid(model.decode(m, Tensor.from(ctx.backend, sub, [idx.length, dw + dz])))
            )
          ),
        );
      }
      const x = parts.length === 1 ? parts[0] : tidy(() => noGrad(() => ops.concat(parts, 0)));
      if (parts.length > 1) parts.forEach((p) => p.dispose());
      const shaped = x.view([rows.length, ...ctx.dataset.modalities[m].shape]);
      x.dispose();
      return shaped;
    },
    dispose() {},
  };
}

export const mmvaePlus: Method = {
  name: "mmvaeplus",
  summary:
    "MMVAE+: a joint VAE, mixture-of-experts shared latent plus private latents (IWAE, Laplace)",
  needsReduction: false,
  async train(inputs, seed): Promise<TrainedMethod> {
    const { ctx } = inputs;
    const model = await trainModel(ctx, seed);
    return {
      name: "mmvaeplus",
      generate: (obs, opts) => generate(ctx, model, obs, opts.seed),
      dispose: () => model.dispose(),
    };
  },
};
