/**
 * The score-prior methods' common part: a joint VP-SDE score prior trained on the latents mapped
 * into the method's space (identity, whitened, or reduced), sampled by the PC sampler with the
 * observed modalities re-imposed, lifted back to latents and decoded by the frozen decoders.
 */
import {
  priorGenerator,
  type PriorSpace,
  toModelSpace,
  trainPrior,
} from "../pipeline/stage_prior.ts";
import { latentMethod } from "./latent.ts";
import type { MethodInputs, TrainedMethod } from "./method.ts";

/** Trains (or restores) the prior of `space` for one seed. */
export async function trainScorePrior(
  inputs: MethodInputs,
  space: PriorSpace,
  seed: number,
): Promise<TrainedMethod> {
  const { ctx, lat } = inputs;
  const n = ctx.train.count;
  const data = ctx.restoreOnly
    ? new Float32Array(0)
    : await toModelSpace(ctx.backend, space, lat.train, n, lat.total);
  const prior = await trainPrior(ctx, space, data, n, seed);
  return latentMethod(
    inputs,
    priorGenerator(ctx, space.name, prior, lat.total),
    () => prior.model.dispose(),
  );
}

/** The reduction a method needs, or an error naming the setting that turns it on. */
export function requireReduction(inputs: MethodInputs, method: string) {
  if (!inputs.reduction) {
    throw new Error(
      `Cannot train ${method}: it needs the score-ratio reduction; set reduction.enabled=true`,
    );
  }
  return inputs.reduction;
}
