/**
 * SBM-AE (Wesego & Rooshenas): a joint score prior over the concatenated latents of the frozen
 * unimodal autoencoders, as the official code (raw posterior means, not normalised) unless
 * `prior.standardize` maps every latent dimension to zero mean and unit variance first (MLD).
 */
import { fitStandardization, StandardizeMaps } from "../reduction/standardize.ts";
import type { PriorSpace } from "../pipeline/stage_prior.ts";
import type { Method, MethodInputs } from "./method.ts";
import { trainScorePrior } from "./score_prior.ts";

/**
 * SBM-AE's prior space: the raw latents, or standardised ones under `prior.standardize` (the maps
 * are refitted from the train latents, on restore too: the same latents give the same statistics).
 * The reduction's "prior-score" estimator reads the SBM-AE score in this space.
 */
export function sbmAeSpace(
  inputs: Pick<MethodInputs, "ctx" | "lat">,
): { space: PriorSpace; standardize: StandardizeMaps | null } {
  const { ctx, lat } = inputs;
  const standardize = ctx.cfg.prior.standardize
    ? new StandardizeMaps(ctx.backend, fitStandardization(lat.train, ctx.train.count, lat.total))
    : null;
  return { space: { name: "sbm-ae", dims: lat.dims, maps: standardize }, standardize };
}

export const sbmAe: Method = {
  name: "sbm-ae",
  summary: "score-based multimodal autoencoder: a joint score prior over the concatenated latents",
  needsReduction: false,
  async train(inputs, seed) {
    const { space, standardize: maps } = sbmAeSpace(inputs);
    const method = await trainScorePrior(inputs, space, seed);
    if (!maps) return method;
    return {
      name: method.name,
      scoreScaled: method.scoreScaled,
      generate: (obs, opts) => method.generate(obs, opts),
      dispose() {
        method.dispose();
        maps.dispose();
      },
    };
  },
};
