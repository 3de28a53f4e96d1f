/**
 * SBM-AE (Wesego & Rooshenas): a joint score prior over the concatenated latents of the frozen
 * unimodal autoencoders, as the official code (raw posterior means, not normalised) unless
 * `prior.standardize` maps every latent dimension to zero mean and unit variance first (MLD).
 */
import { fitStandardization, StandardizeMaps } from "../reduction/standardize.ts";
import type { Method } from "./method.ts";
import { trainScorePrior } from "./score_prior.ts";

export const sbmAe: Method = {
  name: "sbm-ae",
  summary: "score-based multimodal autoencoder: a joint score prior over the concatenated latents",
  needsReduction: false,
  async train(inputs, seed) {
    const { ctx, lat } = inputs;
    if (!ctx.cfg.prior.standardize) {
      return await trainScorePrior(inputs, { name: "sbm-ae", dims: lat.dims, maps: null }, seed);
    }
    // Refitted from the train latents on restore too: the same latents give the same statistics.
    const maps = new StandardizeMaps(
      ctx.backend,
      fitStandardization(lat.train, ctx.train.count, lat.total),
    );
    const method = await trainScorePrior(inputs, { name: "sbm-ae", dims: lat.dims, maps }, seed);
    return {
      name: method.name,
      generate: (obs, opts) => method.generate(obs, opts),
      dispose() {
        method.dispose();
        maps.dispose();
      },
    };
  },
};
