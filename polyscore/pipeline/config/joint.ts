/**
 * The config section of the joint-posterior VAE baselines (MoPoE, MVTCAE;
 * polyscore/methods/joint/): settings, base defaults, allowed values and checks. Imports only the
 * shared checks; the presets and `--set` build on it.
 */

import { atMost, ConfigError, MAX_WIDTH, positive, positiveInt } from "./checks.ts";

/**
 * Settings of the joint-posterior VAE baselines (MoPoE, MVTCAE): their own per-modality encoders
 * and decoders over one shared latent, trained on all modalities together. The papers' PolyMNIST
 * settings (../shared/research/literature.md §3.2; MultiVae's reproduction scripts): latent 512,
 * β 2.5, MVTCAE α 5/6, Laplace scale 0.75, batch 256, Adam lr 5e-4, 300 epochs of 60k tuples
 * (≈ 70k steps) — the `polymnist` preset; `quick` scales them down to about the budget of the
 * unimodal autoencoder stage.
 */
export interface JointConfig {
  /** Shared latent size D. */
  latent: number;
  /** Conv channels per stride-2 stage of every modality's encoder and decoder. */
  hidden: number[];
  /** KL weight β (MoPoE: on the mixture's KL; MVTCAE: on both KL terms). */
  beta: number;
  /** MVTCAE's total-correlation ratio α in [0, 1] (its conditional KL terms' share). */
  alpha: number;
  /**
   * Likelihood of image modalities: "laplace" (the papers') or "gaussian" (fixed variance: the
   * squared error of our unimodal autoencoders). Measured on the tiny preset (2 modalities, flat
   * backgrounds): with Laplace (b = 0.75 or 0.1) MVTCAE's reconstruction stays at the per-pixel
   * median — the background — for 2,000 steps and coherence at chance (0.135), while the Gaussian
   * reaches 0.50 in 300 steps; Laplace needs the papers' budget (300 epochs), so the scaled-down
   * presets use the Gaussian and `polymnist` the papers' Laplace.
   */
  likelihood: "laplace" | "gaussian";
  /** Its fixed scale: Laplace b (the papers' 0.75) or Gaussian σ. */
  scale: number;
  steps: number;
  batch: number;
  lr: number;
  /** Final learning rate as a fraction of lr (cosine decay; 1 = constant, as the papers). */
  lrFinal: number;
  /** Clip each step's gradients to this global L2 norm; 0 = no clipping. */
  maxGradNorm: number;
}

/** The base defaults, before any preset or override. */
export const JOINT_BASE: JointConfig = {
  latent: 64,
  hidden: [16, 32, 64],
  beta: 2.5,
  alpha: 5 / 6,
  likelihood: "gaussian",
  scale: 0.15,
  steps: 1500,
  batch: 64,
  lr: 1e-3,
  lrFinal: 0.05,
  maxGradNorm: 100,
};

/** Allowed values of the section's enumerated keys. */
export const JOINT_CHOICES: Record<string, readonly string[]> = {
  "joint.likelihood": ["laplace", "gaussian"],
};

/** Checks the section; throws a ConfigError naming the first bad key. */
export function validateJoint(j: JointConfig): void {
  positiveInt("joint.latent", j.latent);
  atMost("joint.latent", j.latent, MAX_WIDTH, "a latent width");
  if (j.hidden.length === 0) {
    throw new ConfigError(
      "Invalid config: joint.hidden must list at least one width (e.g. joint.hidden=16,32,64)",
    );
  }
  j.hidden.forEach((h, i) => {
    positiveInt(`joint.hidden[${i}]`, h);
    atMost(`joint.hidden[${i}]`, h, MAX_WIDTH, "a layer width");
  });
  positive("joint.beta", j.beta, true);
  if (!(j.alpha >= 0 && j.alpha <= 1)) {
    throw new ConfigError(
      `Invalid config: joint.alpha must be in [0, 1] (MVTCAE's total-correlation ratio; the paper's 5/6): current value is ${j.alpha}`,
    );
  }
  positive("joint.scale", j.scale);
  positiveInt("joint.steps", j.steps);
  positiveInt("joint.batch", j.batch);
  positive("joint.lr", j.lr);
  if (!(j.lrFinal > 0 && j.lrFinal <= 1)) {
    throw new ConfigError(
      `Invalid config: joint.lrFinal must be in (0, 1] (a fraction of joint.lr; 1 = constant): current value is ${j.lrFinal}`,
    );
  }
  positive("joint.maxGradNorm", j.maxGradNorm, true);
}
