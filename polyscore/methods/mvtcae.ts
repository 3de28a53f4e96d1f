/**
 * MVTCAE (Hwang, Kim, Hong & Kim, "Multi-View Representation Learning via Total Correlation
 * Objective", NeurIPS 2021). The joint posterior q(z|X) is the product of the unimodal Gaussian
 * experts *without* the prior expert (the official gr8joo/MVTCAE `ivw_fusion`, as MultiVae); the
 * total-correlation objective, as the official `run_epochs.py` and MultiVae's `MVTCAE.forward`:
 *
 *   loss = (M − α)/M · Σ_m −log p(x_m | z) + β · [(1 − α) KL(q(z|X) ‖ N(0, I))
 *          + α/M · Σ_m KL(q(z|X) ‖ q(z|x_m))],   z ~ q(z|X),
 *
 * means over rows. The conditional terms are written KL(q(z|X) ‖ q(z|X_{−m})) in parts of the
 * literature; both official codes use the unimodal posteriors q(z|x_m), and so does this file.
 * Generation from a subset fuses its experts the same way (no prior expert; N(0, I) when nothing
 * is observed). Laplace likelihoods for images (scale `joint.scale`), Bernoulli for binary
 * modalities; α = 5/6 and β = 2.5 are the papers' PolyMNIST values.
 */
import * as ops from "../../engine/ops/mod.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { productOfExperts } from "./joint/experts.ts";
import { klGaussians, klToStandard, reparameterize } from "./joint/likelihood.ts";
import { type JointLoss, jointMethod, type JointObjective } from "./joint/method.ts";
import type { JointModel } from "./joint/networks.ts";

/** The MVTCAE loss of a batch with noise eps (B, D). */
export function mvtcaeLoss(
  model: JointModel,
  xs: readonly Tensor[],
  eps: Tensor,
  opts: { alpha: number; beta: number },
): JointLoss {
  const mods = model.modalities, rows = xs[0].shape[0];
  const experts = xs.map((x, m) => model.encode(m, x));
  const joint = productOfExperts(experts, new Float32Array(rows * mods).fill(1));
  const z = reparameterize(joint, eps);
  let recon: Tensor | null = null, cond: Tensor | null = null;
  xs.forEach((x, m) => {
    const nll = ops.scale(ops.mean(model.logLik(m, model.decode(m, z), x), 0), -1);
    recon = recon ? ops.add(recon, nll) : nll;
    const c = ops.mean(klGaussians(joint, experts[m]), 0);
    cond = cond ? ops.add(cond, c) : c;
  });
  const kl = ops.mean(klToStandard(joint), 0);
  const { alpha, beta } = opts;
  const loss = ops.add(
    ops.scale(recon!, (mods - alpha) / mods),
    ops.scale(ops.add(ops.scale(kl, 1 - alpha), ops.scale(cond!, alpha / mods)), beta),
  );
  return { loss, terms: { recon: recon!, kl, cond_kl: cond! } };
}

export const mvtcae = jointMethod(
  {
    name: "mvtcae",
    summary:
      "MVTCAE: a product of experts trained by the total-correlation objective (Hwang et al. 2021)",
    terms: ["recon", "kl", "cond_kl"],
    objective: (model, xs, eps, _rng, cfg) => mvtcaeLoss(model, xs, eps, cfg),
    priorInProduct: () => false,
  } satisfies JointObjective,
);
