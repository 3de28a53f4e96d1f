/**
 * MoPoE-VAE (Sutter, Daunhawer & Vogt, "Generalized Multimodal ELBO", ICLR 2021): every non-empty
 * subset S of the modalities has the posterior q_S = product of its unimodal Gaussian experts; the
 * joint posterior is the uniform mixture of the 2^M − 1 subset posteriors, and the objective is the
 * ELBO of that mixture. As the official code (thomassutter/MoPoE) and MultiVae:
 * - the N(0, I) prior expert enters the product of the full set only (`poe_fusion`), and so here
 *   also when generating from all modalities;
 * - the mixture's KL to the prior is replaced by the mean of the subsets' KLs, (1/|S|) Σ_S
 *   KL(q_S ‖ p) — an upper bound by the convexity of the KL, exact in every term;
 * - the reconstruction term is estimated with one mixture component per row: each row draws one
 *   subset (uniformly, here at random per row and step; the official code splits the batch into
 *   equal blocks), z is sampled from that subset's posterior, and every modality is decoded from z.
 * Loss per batch (means over rows): −Σ_m log p(x_m | z) + β · (1/|S|) Σ_S KL(q_S ‖ N(0, I)).
 * Laplace likelihoods for images (scale `joint.scale`), Bernoulli for binary modalities.
 */
import type { Rng } from "../../engine/random.ts";
import * as ops from "../../engine/ops/mod.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { nonEmptySubsets, productOfExperts, standardExpert } from "./joint/experts.ts";
import { klToStandard, reparameterize } from "./joint/likelihood.ts";
import { type JointLoss, jointMethod, type JointObjective } from "./joint/method.ts";
import type { JointModel } from "./joint/networks.ts";

/** The full set alone has the prior expert in its product (the official code's `poe_fusion`). */
export function mopoePriorInProduct(observed: number, modalities: number): boolean {
  return observed === modalities;
}

/** (B, M + 1) mask of the product of subset `s` for every row: its modalities, the prior for the full set. */
function subsetMask(s: readonly number[], mods: number, rows: number): Float32Array {
  const k = mods + 1, mask = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (const m of s) mask[r * k + m] = 1;
    mask[r * k + mods] = mopoePriorInProduct(s.length, mods) ? 1 : 0;
  }
  return mask;
}

/**
 * The MoPoE loss of a batch with the given mixture component (an index into
 * `nonEmptySubsets(M)`) for each row and noise eps (B, D).
 */
export function mopoeLoss(
  model: JointModel,
  xs: readonly Tensor[],
  eps: Tensor,
  components: ArrayLike<number>,
  beta: number,
): JointLoss {
  const mods = model.modalities, rows = xs[0].shape[0];
  const subsets = nonEmptySubsets(mods);
  const experts = [
    ...xs.map((x, m) => model.encode(m, x)),
    standardExpert(xs[0].backend, rows, model.latent),
  ];
  let kl: Tensor | null = null;
  for (const s of subsets) {
    const k = ops.mean(klToStandard(productOfExperts(experts, subsetMask(s, mods, rows))), 0);
    kl = kl ? ops.add(kl, k) : k;
  }
  kl = ops.scale(kl!, 1 / subsets.length);
  const k = mods + 1, mask = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    mask.set(subsetMask(subsets[components[r]], mods, 1), r * k);
  }
  const z = reparameterize(productOfExperts(experts, mask), eps);
  let recon: Tensor | null = null;
  xs.forEach((x, m) => {
    const nll = ops.scale(ops.mean(model.logLik(m, model.decode(m, z), x), 0), -1);
    recon = recon ? ops.add(recon, nll) : nll;
  });
  return { loss: ops.add(recon!, ops.scale(kl, beta)), terms: { recon: recon!, kl } };
}

/** One uniformly drawn mixture component per row. */
export function drawComponents(rng: Rng, rows: number, modalities: number): Int32Array {
  const n = (1 << modalities) - 1;
  return Int32Array.from({ length: rows }, () => rng.int(n));
}

export const mopoe = jointMethod(
  {
    name: "mopoe",
    summary: "MoPoE-VAE: a mixture of products of experts over all subsets (Sutter et al. 2021)",
    terms: ["recon", "kl"],
    objective: (model, xs, eps, rng, cfg) =>
      mopoeLoss(model, xs, eps, drawComponents(rng, xs[0].shape[0], model.modalities), cfg.beta),
    priorInProduct: mopoePriorInProduct,
  } satisfies JointObjective,
);
