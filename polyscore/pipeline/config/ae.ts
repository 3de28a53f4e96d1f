/**
 * The config section of the unimodal autoencoders (stage 1): settings, base defaults, allowed
 * values and checks. Imports only the shared checks; the presets and `--set` build on it.
 */

import { atMost, ConfigError, MAX_WIDTH, positive, positiveInt } from "./checks.ts";

/** Settings of the unimodal autoencoders (stage 1). */
export interface AeConfig {
  variant: "vae" | "ae";
  latent: number;
  /** Conv channels per stride-2 stage (image/mask), or MLP widths (attributes). */
  hidden: number[];
  /** KL weight (VAE). */
  beta: number;
  /** AE decoder-input noise std and latent-norm weight. */
  aeNoise: number;
  aeZWeight: number;
  steps: number;
  batch: number;
  lr: number;
  /** Final learning rate as a fraction of lr (cosine decay). */
  lrFinal: number;
  /** Clip each step's gradients to this global L2 norm; 0 = no clipping. */
  maxGradNorm: number;
  /** Residual blocks per conv stage (one count per `hidden` width), or empty: none. */
  resBlocks: number[];
  /** "group": group norm before every activation of the conv stack; "none". */
  norm: "none" | "group";
}

/** The base defaults, before any preset or override. */
export const AE_BASE: AeConfig = {
  variant: "vae",
  latent: 32,
  hidden: [16, 32, 64],
  beta: 0.1,
  aeNoise: 0.01,
  aeZWeight: 1e-5,
  steps: 1000,
  batch: 64,
  lr: 2e-3,
  lrFinal: 0.05,
  maxGradNorm: 100,
  resBlocks: [],
  norm: "none",
};

/** Allowed values of the section's enumerated keys. */
export const AE_CHOICES: Record<string, readonly string[]> = {
  "ae.variant": ["vae", "ae"],
  "ae.norm": ["none", "group"],
};

/** Checks the section; throws a ConfigError naming the first bad key. */
export function validateAe(ae: AeConfig): void {
  positiveInt("ae.latent", ae.latent);
  positiveInt("ae.steps", ae.steps);
  positiveInt("ae.batch", ae.batch);
  positive("ae.lr", ae.lr);
  positive("ae.beta", ae.beta, true);
  positive("ae.lrFinal", ae.lrFinal, true);
  positive("ae.aeNoise", ae.aeNoise, true);
  positive("ae.aeZWeight", ae.aeZWeight, true);
  if (ae.hidden.length === 0) {
    throw new ConfigError("Invalid config: ae.hidden must list at least one width");
  }
  ae.hidden.forEach((h, i) => {
    positiveInt(`ae.hidden[${i}]`, h);
    atMost(`ae.hidden[${i}]`, h, MAX_WIDTH, "a layer width");
  });
  atMost("ae.latent", ae.latent, MAX_WIDTH, "a latent width");
  if (ae.resBlocks.length !== 0 && ae.resBlocks.length !== ae.hidden.length) {
    throw new ConfigError(
      `Invalid config: ae.resBlocks must list one count per ae.hidden width (${ae.hidden.length}) or none: current value is [${ae.resBlocks}]`,
    );
  }
  ae.resBlocks.forEach((r, i) => {
    positiveInt(`ae.resBlocks[${i}]`, r, 0);
    atMost(`ae.resBlocks[${i}]`, r, 8, "residual blocks per stage");
  });
  positive("ae.maxGradNorm", ae.maxGradNorm, true);
}
