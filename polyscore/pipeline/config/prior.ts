/**
 * The config section of the joint score priors (stage 3: SBM-AE, SBM-SRR and the whitened
 * control): settings, base defaults, allowed values and checks. Imports only the shared checks;
 * the presets and `--set` build on it.
 */

import { atMost, ConfigError, MAX_WIDTH, positive, positiveInt } from "./checks.ts";

/** Settings of a joint score prior (stage 3; the same for SBM-AE, SBM-SRR and the control). */
export interface PriorConfig {
  width: number;
  blocks: number;
  embed: number;
  /** Width of the time MLP and of each block's time projection (cheaper than the full width). */
  timeWidth: number;
  /** "score": the network outputs s (official); "noise": it predicts ε and s = −out/σ(t). */
  output: "score" | "noise";
  steps: number;
  batch: number;
  lr: number;
  /** Clip each step's gradients to this global L2 norm; 0 = no clipping. */
  maxGradNorm: number;
  beta0: number;
  beta1: number;
  /**
   * The sampler: "pc" (official: reverse-SDE predictor + 1 Langevin corrector per step, 2 network
   * calls a step), "predictor" (the reverse-SDE predictor alone, 1 call a step) or "ode" (the
   * probability-flow ODE with Heun's method, 2 calls a step); each followed by
   * `finalCorrectorSteps` Langevin steps. Cost against coherence: README's measured section.
   */
  sampler: "pc" | "predictor" | "ode";
  /** Sampler steps N, corrector target SNR, how observed latents are re-imposed. */
  sampleSteps: number;
  snr: number;
  /**
   * Corrector SNR of the `finalCorrectorSteps` steps at the last time; 0 = `snr`. The loop's
   * corrector and the final steps act differently: with the exact score on a PolyMNIST-like
   * mixture a larger loop SNR moves given-1–2 coherence toward the exact conditional's, while a
   * larger final SNR pushes given-4 coherence past it (a sharper, less diverse last step; README,
   * "Coherence at quick").
   */
  finalSnr: number;
  /**
   * How replacement re-imposes observed latents: "code_quirk" (default; the official code's
   * (α+σ)·z_obs) or "fresh" (α·z_obs + σ·ξ, new ξ every step) or "clean". Measured on a quick run's
   * learned SBM-AE prior (same autoencoders, tuples and sampler seeds; `polyscore eval`):
   * code_quirk − fresh = +0.079 / +0.100 / +0.093 / +0.087 given 1 / 2 / 3 / 4 (each mean's 95% CI
   * ±0.015–0.03); with the exact score on a PolyMNIST-like mixture its bias is −0.065 given 1
   * against fresh's −0.152 (polyscore/sde/conditioning_test.ts).
   */
  observedNoise: "fresh" | "code_quirk" | "clean";
  /** g in code_quirk's (α + g·σ)·z_obs (1: the official code's); the other modes ignore it. */
  observedGain: number;
  /**
   * γ, a factor on every score the sampler uses (1: the prior as trained); γ > 1 samples a sharper
   * prior, trading diversity for agreement between modalities (polyscore/sde/pc_sampler.ts).
   */
  scoreScale: number;
  /**
   * Choose γ per method and seed instead of `scoreScale` (polyscore/eval/score_scale.ts): the
   * largest γ of `scoreScaleGrid` whose `scoreScaleSamples` unconditional samples (sampler seeds of
   * their own) have all M classifiers agreeing no more often than the reconstructions of as many
   * train tuples do. Needs a digit classifier on every modality.
   */
  scoreScaleAuto: boolean;
  /** The γ values `scoreScaleAuto` chooses from (ascending). */
  scoreScaleGrid: number[];
  /** Unconditional samples per γ tried, and train tuples of the target (`scoreScaleAuto`). */
  scoreScaleSamples: number;
  /** Corrector step size from batch-pooled norms (official) or per row. */
  correctorNorm: "batch" | "row";
  /**
   * Extra Langevin steps at the last time with the observations re-imposed: they remove most of
   * replacement conditioning's bias (polyscore/sde/pc_sampler_test.ts); each costs one network call.
   */
  finalCorrectorSteps: number;
  /**
   * EMA decay of the score network's weights (0 = off; MLD uses 0.999): updated on the device after
   * every optimiser step (decay warmed up as torch_ema's, min(d, (1 + n)/(10 + n))), saved in the
   * checkpoints, and the EMA weights are the ones sampled from.
   */
  ema: number;
  /**
   * SBM-AE only (the whitened and reduced spaces are whitened already): standardise every latent
   * dimension with the train latents' mean and std before the prior, z → (z − μ)/σ, and map
   * generated values back before decoding (MLD's preprocess "standerdize").
   */
  standardize: boolean;
  /**
   * How the prior conditions on observed modalities. "replacement" (the official SBM code): one
   * diffusion time, observed coordinates re-imposed per `observedNoise`. "masked" (Multi-modal
   * Latent Diffusion, Bounoua et al. 2023): one time input per modality; in training, with
   * probability `maskProb` a row keeps a random non-empty proper subset of modalities clean at
   * time 0, left out of the loss; at sampling the observed latents are fed clean at time 0 and only
   * the unobserved coordinates move. Needs output "score".
   */
  conditioning: "replacement" | "masked";
  /** Probability that a training row is conditional ("masked" only; MLD's d = 0.2). */
  maskProb: number;
}

/** The base defaults, before any preset or override. */
export const PRIOR_BASE: PriorConfig = {
  width: 256,
  blocks: 4,
  embed: 64,
  timeWidth: 64,
  output: "score",
  steps: 3500,
  batch: 256,
  lr: 3e-3,
  maxGradNorm: 1,
  beta0: 1,
  beta1: 5,
  sampler: "pc",
  sampleSteps: 100,
  snr: 0.16,
  finalSnr: 0,
  observedNoise: "code_quirk",
  observedGain: 1,
  scoreScale: 1,
  scoreScaleAuto: false,
  scoreScaleGrid: [1, 1.25, 1.5, 1.75, 2, 2.5, 3],
  scoreScaleSamples: 1000,
  correctorNorm: "batch",
  finalCorrectorSteps: 20,
  ema: 0,
  standardize: false,
  conditioning: "replacement",
  maskProb: 0.2,
};

/** The final corrector steps' SNR: `finalSnr`, or `snr` where it is 0. */
export function finalSnrOf(p: PriorConfig): number {
  return p.finalSnr || p.snr;
}

/** Allowed values of the section's enumerated keys. */
export const PRIOR_CHOICES: Record<string, readonly string[]> = {
  "prior.sampler": ["pc", "predictor", "ode"],
  "prior.observedNoise": ["fresh", "code_quirk", "clean"],
  "prior.correctorNorm": ["batch", "row"],
  "prior.output": ["score", "noise"],
  "prior.conditioning": ["replacement", "masked"],
};

/** Checks the section; throws a ConfigError naming the first bad key. */
export function validatePrior(p: PriorConfig): void {
  atMost("prior.width", p.width, MAX_WIDTH, "a layer width");
  positive("prior.maxGradNorm", p.maxGradNorm, true);
  positiveInt("prior.width", p.width);
  positiveInt("prior.blocks", p.blocks);
  positiveInt("prior.timeWidth", p.timeWidth);
  positiveInt("prior.embed", p.embed, 2);
  if (p.embed % 2) {
    throw new ConfigError(
      `Invalid config: prior.embed must be even: current value is ${p.embed}`,
    );
  }
  positiveInt("prior.steps", p.steps);
  positiveInt("prior.batch", p.batch);
  positive("prior.lr", p.lr);
  positive("prior.beta0", p.beta0);
  if (!(p.beta1 > p.beta0)) {
    throw new ConfigError(
      `Invalid config: prior.beta1 must exceed prior.beta0 (${p.beta0}): current value is ${p.beta1}`,
    );
  }
  positiveInt("prior.sampleSteps", p.sampleSteps);
  // Checked here, not at sampling, so that a bad value fails before any training.
  positive("prior.snr", p.snr);
  positive("prior.finalSnr", p.finalSnr, true);
  positive("prior.observedGain", p.observedGain, true);
  positive("prior.scoreScale", p.scoreScale);
  if (
    p.scoreScaleGrid.length === 0 ||
    p.scoreScaleGrid.some((g, i) => !(g > 0) || (i > 0 && !(g > p.scoreScaleGrid[i - 1])))
  ) {
    throw new ConfigError(
      `Invalid config: prior.scoreScaleGrid must list γ values > 0 in ascending order: current value is [${p.scoreScaleGrid}]`,
    );
  }
  positiveInt("prior.scoreScaleSamples", p.scoreScaleSamples, 2);
  positiveInt("prior.finalCorrectorSteps", p.finalCorrectorSteps, 0);
  if (!(p.ema >= 0 && p.ema < 1)) {
    throw new ConfigError(
      `Invalid config: prior.ema must be in [0, 1) (0 = off; MLD uses 0.999): current value is ${p.ema}`,
    );
  }
  if (!(p.maskProb > 0 && p.maskProb <= 1)) {
    throw new ConfigError(
      `Invalid config: prior.maskProb must be in (0, 1]: current value is ${p.maskProb}`,
    );
  }
  if (p.conditioning === "masked" && p.output !== "score") {
    throw new ConfigError(
      `Invalid config: prior.conditioning=masked needs prior.output=score (σ(0) = 0 leaves "noise" undefined on the clean modalities): current value is "${p.output}"`,
    );
  }
}
