/**
 * The config section of MMVAE+ (polyscore/methods/mmvaeplus.ts): settings, base defaults, allowed
 * values and checks. Imports only the shared checks; the presets and `--set` build on it.
 */

import { atMost, ConfigError, MAX_WIDTH, positive, positiveInt } from "./checks.ts";

/**
 * Settings of MMVAE+ (polyscore/methods/mmvaeplus.ts). Paper (epalu/mmvaeplus, PolyMNIST): w = z =
 * 32, Laplace likelihood scale 0.75, K = 1, β = 1, batch 128, Adam 1e-3, 150 epochs.
 */
export interface MmvaePlusConfig {
  /** Shared latent z and private latent w (per modality) sizes. */
  latentShared: number;
  latentPrivate: number;
  /** Conv channels per stride-2 stage of each modality's encoder and decoder. */
  hidden: number[];
  /** Importance samples K of the IWAE bound (K = 1: the ELBO). */
  k: number;
  /** Weight of the latent terms (1 = the bound). */
  beta: number;
  /**
   * Likelihood of image modalities: "laplace" (the paper) or "gaussian", both around
   * sigmoid(logits) with the fixed scale `likelihoodScale` (Laplace b, or σ). At the tiny budget the
   * Laplace (an L1 loss, whose latent-free optimum is the per-pixel median: the background) never
   * learned the digit; the Gaussian did (README, MMVAE+).
   */
  likelihood: "laplace" | "gaussian";
  likelihoodScale: number;
  steps: number;
  batch: number;
  lr: number;
  /** Final learning rate as a fraction of lr (cosine decay; 1 = constant, as the paper). */
  lrFinal: number;
  /** Clip each step's gradients to this global L2 norm; 0 = no clipping. */
  maxGradNorm: number;
}

/** The base defaults, before any preset or override. */
export const MMVAEPLUS_BASE: MmvaePlusConfig = {
  latentShared: 32,
  latentPrivate: 32,
  hidden: [16, 32, 64],
  k: 1,
  beta: 1,
  likelihood: "gaussian",
  likelihoodScale: 0.3,
  steps: 1000,
  batch: 64,
  lr: 1e-3,
  lrFinal: 1,
  maxGradNorm: 0,
};

/** Allowed values of the section's enumerated keys. */
export const MMVAEPLUS_CHOICES: Record<string, readonly string[]> = {
  "mmvaeplus.likelihood": ["laplace", "gaussian"],
};

/** Checks the section; throws a ConfigError naming the first bad key. */
export function validateMmvaePlus(c: MmvaePlusConfig): void {
  positiveInt("mmvaeplus.latentShared", c.latentShared);
  positiveInt("mmvaeplus.latentPrivate", c.latentPrivate);
  atMost("mmvaeplus.latentShared", c.latentShared, MAX_WIDTH, "a latent width");
  atMost("mmvaeplus.latentPrivate", c.latentPrivate, MAX_WIDTH, "a latent width");
  if (c.hidden.length === 0) {
    throw new ConfigError("Invalid config: mmvaeplus.hidden must list at least one width");
  }
  c.hidden.forEach((h, i) => {
    positiveInt(`mmvaeplus.hidden[${i}]`, h);
    atMost(`mmvaeplus.hidden[${i}]`, h, MAX_WIDTH, "a layer width");
  });
  positiveInt("mmvaeplus.k", c.k);
  atMost("mmvaeplus.k", c.k, 256, "every step decodes M² · K · batch images");
  positive("mmvaeplus.beta", c.beta, true);
  positive("mmvaeplus.likelihoodScale", c.likelihoodScale);
  positiveInt("mmvaeplus.steps", c.steps);
  positiveInt("mmvaeplus.batch", c.batch);
  positive("mmvaeplus.lr", c.lr);
  if (!(c.lrFinal > 0 && c.lrFinal <= 1)) {
    throw new ConfigError(
      `Invalid config: mmvaeplus.lrFinal must be in (0, 1] (a fraction of mmvaeplus.lr; 1 = constant): current value is ${c.lrFinal}`,
    );
  }
  positive("mmvaeplus.maxGradNorm", c.maxGradNorm, true);
}
