/**
 * The whitened control: the joint prior on the per-modality whitened latents u at full rank, to
 * separate whitening's effect from the reduction's.
 */
import type { Method } from "./method.ts";
import { requireReduction, trainScorePrior } from "./score_prior.ts";

export const whitened: Method = {
  name: "whitened",
  summary: "control: per-modality whitening at full rank (no reduction)",
  needsReduction: true,
  async train(inputs, seed) {
    const red = requireReduction(inputs, "whitened");
    return await trainScorePrior(
      inputs,
      { name: "whitened", dims: inputs.lat.dims, maps: red.control },
      seed,
    );
  },
};
