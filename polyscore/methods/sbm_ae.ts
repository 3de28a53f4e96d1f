/**
 * SBM-AE (Wesego & Rooshenas): a joint score prior over the concatenated latents of the frozen
 * unimodal autoencoders, as the official code (raw posterior means, not normalised).
 */
import type { Method } from "./method.ts";
import { trainScorePrior } from "./score_prior.ts";

export const sbmAe: Method = {
  name: "sbm-ae",
  summary: "score-based multimodal autoencoder: a joint score prior over the concatenated latents",
  needsReduction: false,
  train: (inputs, seed) =>
    trainScorePrior(inputs, { name: "sbm-ae", dims: inputs.lat.dims, maps: null }, seed),
};
