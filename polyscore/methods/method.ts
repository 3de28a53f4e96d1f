/**
 * The Method seam: what a method is given, and what it must return for evaluation, the playground
 * and `polyscore sample`. A method trains from what the pipeline hands it (the frozen unimodal
 * autoencoders, their latents, the reduction when computed) or brings its own encoders and
 * decoders; either way it answers with *decoded samples* of the unobserved modalities, so
 * evaluation never needs to know how they were made. One file per method; the registry is mod.ts.
 */
import type { Tensor } from "../../engine/tensor.ts";
import type { Autoencoder } from "../models/conv_vae.ts";
import type { PipelineContext } from "../pipeline/context.ts";
import type { Latents } from "../pipeline/stage_latents.ts";
import type { ReductionResult } from "../pipeline/stage_reduction.ts";

/** What the pipeline gives every method. */
export interface MethodInputs {
  ctx: PipelineContext;
  /** The frozen unimodal autoencoders, one per modality. */
  aes: Autoencoder[];
  /** Their posterior-mean latents of both splits. */
  lat: Latents;
  /** The score-ratio reduction, when the run computed it (see {@link Method.needsReduction}). */
  reduction: ReductionResult | null;
}

/**
 * Which modalities each row observes, and where the observations come from: the test tuple of the
 * row, or data the caller gives (one example per modality, the same for every row; values in
 * [0, 1] in the modality's shape, as the playground's uploads).
 */
export interface Observations {
  rows: number;
  /** (rows, M) row-major; 1 = observed. */
  mask: Uint8Array;
  /** The test tuple of each row. */
  tuples: Uint32Array;
  /** Caller data that replaces the test tuple's for a modality. */
  data?: ReadonlyMap<number, Float32Array>;
}

/** Options of one generation call. */
export interface GenerateOptions {
  seed: number;
  /** Sampler steps, where the method has a sampler (default: the run's configuration). */
  steps?: number;
  /**
   * Called while the call runs with the number of rows generated so far (a sampler chunk's rows
   * count in proportion to its finished time steps), for progress displays. It only observes:
   * with or without it the samples are bitwise the same. Methods without a long sampler may not
   * call it (the caller counts the rows done when the call returns).
   */
  onProgress?: (rowsDone: number) => void;
  /**
   * γ, the factor on every score of the sampler, where the method samples a score prior (default:
   * the run's `prior.scoreScale`); methods without one ignore it ({@link TrainedMethod.scoreScaled}).
   */
  scoreScale?: number;
}

/** Generated rows, decoded on demand (a modality at a time, in chunks of rows). */
export interface Generated {
  /**
   * The decoder's mean output (probabilities in [0, 1]) of modality m for the given rows, shaped
   * (rows.length, …shape of m). The caller disposes the tensor.
   */
  decoded(m: number, rows: readonly number[]): Tensor;
  dispose(): void;
}

/** A trained method, ready to generate. */
export interface TrainedMethod {
  readonly name: string;
  /** True when `generate` samples a score prior and honours {@link GenerateOptions.scoreScale}. */
  readonly scoreScaled?: boolean;
  generate(obs: Observations, opts: GenerateOptions): Promise<Generated>;
  dispose(): void;
}

/** A method: its name, what it needs from the pipeline, and how it trains for one seed. */
export interface Method {
  readonly name: string;
  /** One line for help texts and reports. */
  readonly summary: string;
  /** Needs the score-ratio reduction stage (whitening, H, the selected basis). */
  readonly needsReduction: boolean;
  /**
   * Trains for `seed` (or restores from the run's checkpoints; with `ctx.restoreOnly` a missing
   * checkpoint is an error).
   */
  train(inputs: MethodInputs, seed: number): Promise<TrainedMethod>;
}

/**
 * `method` sampling at γ = `scoreScale` unless a call names its own: how the sample grids, the
 * playground and `polyscore sample` use the γ that the evaluation chose from the data for the
 * first seed (prior.scoreScaleAuto), so the pictures show what the numbers measured.
 */
export function withScoreScale(method: TrainedMethod, scoreScale: number): TrainedMethod {
  return {
    name: method.name,
    scoreScaled: method.scoreScaled,
    generate: (obs, opts) => method.generate(obs, { scoreScale, ...opts }),
    dispose: () => method.dispose(),
  };
}
