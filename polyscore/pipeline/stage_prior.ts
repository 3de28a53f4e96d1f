/**
 * Stage 3: joint score priors, one per method, with equal training budgets:
 * - "sbm-ae": over the raw concatenated latents z (as the official code: not normalised);
 * - "whitened": over the per-modality whitened latents u (full rank, the control that separates
 *   whitening's effect from the reduction's);
 * - "sbm-srr": over the reduced coordinates y = Wᵀu.
 * Each is a residual-MLP noise-conditional score network trained by denoising score matching on
 * the VP-SDE, then used by the PC sampler with the observed modalities re-imposed every step
 * (`prior.conditioning` "replacement"), or trained with some modalities kept clean at time 0 and
 * sampled with the observed ones fed clean ("masked", MLD; polyscore/sde/masked.ts).
 */
import type { Backend } from "../../engine/backend.ts";
import { ScoreMlp } from "../models/score_mlp.ts";
import { Init } from "../../engine/nn/module.ts";
import { RandomStream } from "../../engine/ops/random.ts";
import { Adam, cosineLr } from "../../engine/optim.ts";
import { Ema } from "../../engine/ema.ts";
import { dsmLoss } from "../sde/dsm.ts";
import { drawKeptBlocks, maskedDsmLoss } from "../sde/masked.ts";
import { pcSample, samplerNfe } from "../sde/pc_sampler.ts";
import { VpSde } from "../sde/vpsde.ts";
import { backward, noGrad, Tensor, tidy } from "../../engine/tensor.ts";
import { finalSnrOf, type PriorConfig } from "./config/mod.ts";
import { BatchOrder, type PipelineContext } from "./context.ts";
import type { LatentGenerator } from "../methods/latent.ts";
import { trainStage } from "./train_stage.ts";

/** Maps between latents z (B, D) and a prior's model space (B, R): a reduction or a rescaling. */
export interface SpaceMaps {
  /** z (B, D) → model space (B, R). */
  project(z: Tensor): Tensor;
  /** Model space (B, R) → latents (B, D), with N(0, I) noise ξ (B, D) for discarded directions. */
  lift(y: Tensor, xi: Tensor): Tensor;
}

/** The space a prior lives in: its per-modality dims and the maps to and from latents z. */
export interface PriorSpace {
  name: string;
  /** Model-space dims per modality (d_m for z/u, r_m for y). */
  dims: number[];
  /** z (B, D) → model space (B, Σ dims); null = identity. */
  maps: SpaceMaps | null;
}

/** Model-space data (n, Σ dims) from latents z (n, D): y = maps.project(z), in chunks. */
export async function toModelSpace(
  backend: Backend,
  space: PriorSpace,
  z: Float32Array,
  n: number,
  d: number,
): Promise<Float32Array> {
  if (!space.maps) return z;
  const r = space.dims.reduce((a, b) => a + b, 0);
  const out = new Float32Array(n * r);
  const chunk = 4096;
  for (let s = 0; s < n; s += chunk) {
    const rows = Math.min(chunk, n - s);
    const y = tidy(() =>
      noGrad(() =>
        space.maps!.project(Tensor.from(backend, z.subarray(s * d, (s + rows) * d), [rows, d]))
      )
    );
    out.set(await y.data(), s * r);
    y.dispose();
  }
  return out;
}

/** A trained prior and the SDE it was trained on. */
export interface Prior {
  space: PriorSpace;
  model: ScoreMlp;
  sde: VpSde;
}

/** Trains (or restores) the prior of one method for one seed on model-space data (n, R). */
export async function trainPrior(
  ctx: PipelineContext,
  space: PriorSpace,
  data: Float32Array,
  n: number,
  seed: number,
): Promise<Prior> {
  const { cfg } = ctx;
  const p = cfg.prior;
  const dim = space.dims.reduce((a, b) => a + b, 0);
  const sde = new VpSde({ beta0: p.beta0, beta1: p.beta1 });
  const model = new ScoreMlp(new Init(ctx.backend, seed * 7 + 3), {
    dim,
    width: p.width,
    blocks: p.blocks,
    timeEmbedDim: p.embed,
    timeWidth: p.timeWidth,
    output: p.output,
    sde,
    // Masked conditioning: one time input per modality (MLD); replacement keeps the one time.
    timeInputs: p.conditioning === "masked" ? space.dims.length : 1,
  });
  const opt = new Adam(model.parameters(), { lr: p.lr, maxGradNorm: p.maxGradNorm });
  const ema = p.ema > 0 ? new Ema(model.parameters(), { decay: p.ema }) : undefined;
  const noise = new RandomStream((seed * 131 + 17) >>> 0);
  const order = new BatchOrder(n, Math.min(p.batch, n), seed, 300);
  const batch = order.batch;
  const rows = new Float32Array(batch * dim);
  const tag = cfg.seeds > 1 ? `${space.name}/s${seed}` : space.name;
  await trainStage(ctx, {
    stage: `prior/${tag}`,
    checkpoint: `prior_${tag.replace("/", "_")}`,
    module: model,
    opt,
    ema,
    noise,
    steps: p.steps,
    metrics: ["loss"],
    lrAt: (i) => cosineLr(i, p.steps, p.lr, 0.05, Math.min(100, Math.floor(p.steps / 20))),
    unit: "samples",
    unitsPerStep: batch,
    step: (i) => {
      const idx = order.indices(i);
      for (let b = 0; b < batch; b++) {
        rows.set(data.subarray(idx[b] * dim, (idx[b] + 1) * dim), b * dim);
      }
      const z0 = Tensor.from(ctx.backend, rows, [batch, dim]);
      const loss = p.conditioning === "masked"
        ? maskedDsmLoss(model, sde, z0, noise, {
          dims: space.dims,
          kept: drawKeptBlocks(seed, i, batch, space.dims.length, p.maskProb),
        })
        : dsmLoss(model, sde, z0, noise);
      backward(loss, opt.params);
      opt.update();
      return { loss };
    },
  });
  opt.dispose();
  if (ema) {
    // Sample from the EMA weights (the raw ones stay in the checkpoint beside them).
    ema.copyTo();
    ema.dispose();
  }
  return { space, model, sde };
}

/** The `pcSample` options of a `prior.sampler`. */
export function samplerOptions(sampler: PriorConfig["sampler"]) {
  return sampler === "ode"
    ? { predictor: "ode_heun" as const, correctorSteps: 0 }
    : { predictor: "reverse_sde" as const, correctorSteps: sampler === "pc" ? 1 : 0 };
}

/** Network evaluations per generated row under `prior` (sampler, steps, final corrector steps). */
export function priorNfe(p: PriorConfig, steps = p.sampleSteps): number {
  return samplerNfe({
    steps,
    finalCorrectorSteps: p.finalCorrectorSteps,
    ...samplerOptions(p.sampler),
  });
}

/** Fills in unobserved latents with a trained prior: PC sampling in model space, then lifting. */
export function priorGenerator(
  ctx: PipelineContext,
  name: string,
  prior: Prior,
  total: number,
): LatentGenerator {
  const { space, model, sde } = prior;
  const mods = space.dims.length;
  const dim = space.dims.reduce((a, b) => a + b, 0);
  const offsets = space.dims.map((_, m) => space.dims.slice(0, m).reduce((a, b) => a + b, 0));
  const p = ctx.cfg.prior;
  return {
    name,
    scoreScaled: true,
    async generate(mask, zObs, rows, seed, opts = {}) {
      const { steps = p.sampleSteps, onProgress, scoreScale = p.scoreScale } = opts;
      const out = new Float32Array(rows * total);
      const chunk = Math.max(1, Math.floor(8192 / Math.max(1, Math.ceil(dim / 64))));
      for (let s = 0; s < rows; s += chunk) {
        const r = Math.min(chunk, rows - s);
        const coordMask = new Float32Array(r * dim);
        for (let i = 0; i < r; i++) {
          for (let m = 0; m < mods; m++) {
            if (!mask[(s + i) * mods + m]) continue;
            coordMask.fill(1, i * dim + offsets[m], i * dim + offsets[m] + space.dims[m]);
          }
        }
        // Math.imul keeps the product exact mod 2³² for any u32 seed (evaluation seeds are full
        // 32-bit hashes; a float product would lose its low bits); equal to before for seeds < 2²¹.
        const stream = new RandomStream((Math.imul(seed, 2654435761) + s) >>> 0);
        const z = tidy(() =>
          noGrad(() => {
            const zo = Tensor.from(ctx.backend, zObs.subarray(s * total, (s + r) * total), [
              r,
              total,
            ]);
            const yo = space.maps ? space.maps.project(zo) : zo;
            const y = pcSample(model, sde, {
              batch: r,
              steps,
              ...samplerOptions(p.sampler),
              snr: p.snr,
              finalSnr: finalSnrOf(p),
              observedGain: p.observedGain,
              scoreScale,
              correctorNorm: p.correctorNorm,
              finalCorrectorSteps: p.finalCorrectorSteps,
              observed: p.conditioning === "masked"
                ? { values: yo, mask: coordMask, blocks: space.dims }
                : { values: yo, mask: coordMask },
              observedNoise: p.observedNoise,
              conditioning: p.conditioning,
              stream,
              // Progress only: onStep observes z and draws no noise, so the samples are the same.
              // On WebGPU a step counts when it is recorded; the readback below waits for it.
              onStep: onProgress && ((k) => onProgress(s + Math.floor(r * (k + 1) / steps))),
            });
            return space.maps ? space.maps.lift(y, stream.normal(ctx.backend, [r, total])) : y;
          })
        );
        const v = await z.data();
        z.dispose();
        out.set(v, s * total);
        onProgress?.(s + r);
      }
      return out;
    },
  };
}
