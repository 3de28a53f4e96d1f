/**
 * Methods that fill in the *latents* of the frozen unimodal autoencoders (SBM-AE, SBM-SRR, the
 * whitened control, the independent floor): a {@link LatentGenerator} plus the shared plumbing that
 * turns observations into latents and generated latents into decoded samples.
 */
import * as ops from "../../engine/ops/mod.ts";
import { noGrad, Tensor, tidy } from "../../engine/tensor.ts";
import type { Autoencoder } from "../models/conv_vae.ts";
import type { PipelineContext } from "../pipeline/context.ts";
import type { Latents } from "../pipeline/stage_latents.ts";
import type {
  Generated,
  GenerateOptions,
  MethodInputs,
  Observations,
  TrainedMethod,
} from "./method.ts";
import { checkExample } from "./observed.ts";

/**
 * Fills in latents: given per-row modality masks (B, M; 1 = observed) and the observed latents
 * zObs (B, D; unobserved entries are ignored), returns complete latents (B, D).
 */
export interface LatentGenerator {
  name: string;
  /** True when it samples a score prior and honours `opts.scoreScale`. */
  scoreScaled?: boolean;
  generate(
    mask: Uint8Array,
    zObs: Float32Array,
    rows: number,
    seed: number,
    /** Sampler steps, progress and score factor, as GenerateOptions (method.ts). */
    opts?: Pick<GenerateOptions, "steps" | "onProgress" | "scoreScale">,
  ): Promise<Float32Array>;
}

/** Decoder probabilities (sigmoid of the logits) of modality m for latent rows (B, d_m). */
export function decodeRows(
  ctx: PipelineContext,
  ae: Autoencoder,
  z: Float32Array,
  rows: number,
): Tensor {
  const spec = ae.config;
  return tidy(() =>
    noGrad(() => ops.sigmoid(ae.decode(Tensor.from(ctx.backend, z, [rows, spec.latent]))))
  );
}

/** Columns [off, off + d) of the given rows of a (·, total) matrix. */
export function sliceBlock(
  z: Float32Array,
  total: number,
  off: number,
  d: number,
  which: readonly number[],
): Float32Array {
  const out = new Float32Array(which.length * d);
  which.forEach((r, k) => out.set(z.subarray(r * total + off, r * total + off + d), k * d));
  return out;
}

/** Posterior mean of one caller-given example of modality m (values in [0, 1]). */
async function encodeExample(
  ctx: PipelineContext,
  ae: Autoencoder,
  m: number,
  data: Float32Array,
): Promise<Float32Array> {
  const spec = ctx.dataset.modalities[m];
  checkExample(spec, data);
  const mu = tidy(() =>
    noGrad(() => ae.encode(Tensor.from(ctx.backend, data, [1, ...spec.shape])).mu)
  );
  const v = await mu.data();
  mu.dispose();
  return Float32Array.from(v);
}

/** The observed latents (rows, D): test latents of each row's tuple, or encoded caller data. */
export async function observedLatents(
  ctx: PipelineContext,
  aes: Autoencoder[],
  lat: Latents,
  obs: Observations,
): Promise<Float32Array> {
  const zObs = new Float32Array(obs.rows * lat.total);
  for (let r = 0; r < obs.rows; r++) {
    const t = obs.tuples[r];
    zObs.set(lat.test.subarray(t * lat.total, (t + 1) * lat.total), r * lat.total);
  }
  for (const [m, data] of obs.data ?? []) {
    const z = await encodeExample(ctx, aes[m], m, data);
    for (let r = 0; r < obs.rows; r++) zObs.set(z, r * lat.total + lat.offsets[m]);
  }
  return zObs;
}

/** Complete latents (rows, D), decoded by the frozen decoders on demand. */
export function decodedLatents(
  ctx: PipelineContext,
  aes: Autoencoder[],
  lat: Latents,
  z: Float32Array,
): Generated {
  return {
    decoded(m, rows) {
      const zm = sliceBlock(z, lat.total, lat.offsets[m], lat.dims[m], rows);
      const x = decodeRows(ctx, aes[m], zm, rows.length);
      const shaped = x.view([rows.length, ...ctx.dataset.modalities[m].shape]);
      x.dispose();
      return shaped;
    },
    dispose() {},
  };
}

/** A trained method from a latent generator over the frozen autoencoders. */
export function latentMethod(
  inputs: MethodInputs,
  gen: LatentGenerator,
  dispose: () => void,
): TrainedMethod {
  const { ctx, aes, lat } = inputs;
  return {
    name: gen.name,
    scoreScaled: gen.scoreScaled ?? false,
    async generate(obs, opts) {
      const zObs = await observedLatents(ctx, aes, lat, obs);
      const z = await gen.generate(obs.mask, zObs, obs.rows, opts.seed, {
        steps: opts.steps,
        onProgress: opts.onProgress,
        scoreScale: opts.scoreScale,
      });
      return decodedLatents(ctx, aes, lat, z);
    },
    dispose,
  };
}
