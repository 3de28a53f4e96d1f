/**
 * SBM-SRR, the proposed method: the joint score prior on y = Wᵀu, the per-modality whitened
 * latents reduced by the block-diagonal basis W = diag(U₁..U_M) of the joint score ratio's
 * diagnostic matrix; generated y are lifted back with the complement set by `reduction.complement`
 * (default ρ's mean 0; a draw from ρ = N(0, I) with "noise").
 */
import type { Method } from "./method.ts";
import { requireReduction, trainScorePrior } from "./score_prior.ts";

export const sbmSrr: Method = {
  name: "sbm-srr",
  summary: "score-ratio-reduced SBM: the joint prior on each modality's score-ratio directions",
  needsReduction: true,
  async train(inputs, seed) {
    const red = requireReduction(inputs, "sbm-srr");
    return await trainScorePrior(
      inputs,
      { name: "sbm-srr", dims: red.selection.ranks, maps: red.reduced },
      seed,
    );
  },
};
