/**
 * The config section of the score-ratio reduction (SBM-SRR): settings, base defaults, allowed
 * values and checks. Imports only the shared checks; the presets and `--set` build on it. Its
 * checks need two values of other sections (the modality count and the autoencoder latent size),
 * passed in by pipeline.ts.
 */

import { atMost, ConfigError, MAX_WIDTH, positive, positiveInt } from "./checks.ts";

/** Settings of the score-ratio reduction (SBM-SRR). */
export interface ReductionConfig {
  /**
   * Compute the reduction's diagnostics (spectrum, ranks, bound, lift ceiling) even when no listed
   * method needs the reduction; a method that does (sbm-srr, whitened) gets it either way.
   */
  enabled: boolean;
  /** ε as a fraction of ½ tr H (default), or an absolute ε when `epsilonAbsolute` > 0. */
  epsilonFraction: number;
  epsilonAbsolute: number;
  /** Fixed per-modality ranks (overrides ε) — empty for ε-based selection. */
  ranks: number[];
  /** Fractions for the ε sweep reported beside the chosen ε (empty: no sweep). */
  sweep: number[];
  /**
   * Also train and evaluate a reduced prior at every ε of the sweep (same budget as the others), so
   * the report gives coherence against ε and total rank. Costs one prior per ε.
   */
  sweepPriors: boolean;
  /**
   * Test tuples (the first N) for the lift ceiling, accuracy on decode(lift(project(z_test))) at
   * every ε of the sweep; 0 = every test tuple (the reconstruction ceiling's population). Each
   * reduction costs 2 × M decodes and classifications of N images (about 1.3 s per 2000 images
   * and modality at the quick preset's sizes, Wasm, 2 busy cores), hence 1000 by default; the
   * report's full-rank row is the reconstruction ceiling on the same N tuples.
   */
  liftTuples: number;
  width: number;
  depth: number;
  steps: number;
  batch: number;
  lr: number;
  /** Decoupled weight decay of the score-ratio network (all parameters, the linear part too). */
  weightDecay: number;
  /** Clip each step's gradients to this global L2 norm; 0 = no clipping. */
  maxGradNorm: number;
  divergence: "exact" | "hutchinson";
  /** Gaussian Hutchinson probes per row ("hutchinson" only): the divergence estimate's variance ∝ 1/k. */
  probes: number;
  /**
   * How s = ∇log π − ∇log ρ is estimated: "score-ratio" (a network trained by score-ratio matching
   * on the whitened latents) or "prior-score" (∇log π from the SBM-AE prior's score network at
   * time `priorScoreTime` on the raw latents, mapped through the whitening's Jacobian; the SBM-AE
   * prior of the first seed is trained here, and the sbm-ae method restores it).
   */
  estimator: "score-ratio" | "prior-score";
  /** Diffusion time at which "prior-score" reads the SBM-AE score (small: p_t ≈ π). */
  priorScoreTime: number;
  /**
   * How the lift fills the discarded coordinates of each modality: "noise" (from ρ = N(0, I),
   * independent of y: the π_r of the bound), "zero" (ρ's mean), or "conditional" (the Gaussian
   * conditional of the complement given *all* kept coordinates y, from the whitened train latents'
   * covariance: mean and noise), or "conditional-mean" (its mean alone). A lift setting:
   * `polyscore eval` may change it. Default "zero": on the quick preset's three seeds it raised
   * SBM-SRR's coherence by +0.034 / +0.065 / +0.068 / +0.070 given 1–4 over "noise", every paired
   * 95% CI excluding 0 (README, "Reduction options"): the drawn complement carries no class
   * information and blurs the digit. "noise" is the lift whose distribution π_r the bound is about.
   */
  complement: "noise" | "zero" | "conditional" | "conditional-mean";
  /**
   * How the ranks are chosen: "epsilon" (½ Σ discarded eigenvalues ≤ ε; or `ranks`) or
   * "lift-ceiling": the smallest total rank (global greedy order of H's block eigenvalues) whose
   * lift ceiling on `liftTuples` *train* tuples, with `complement`, is within `liftGap` of full
   * rank's (mean over modalities; polyscore/pipeline/stage_rank_select.ts).
   */
  select: "epsilon" | "lift-ceiling";
  /** The accuracy the lift may lose against full rank under "lift-ceiling" (mean over modalities). */
  liftGap: number;
}

/** The base defaults, before any preset or override. */
export const REDUCTION_BASE: ReductionConfig = {
  enabled: true,
  epsilonFraction: 0.05,
  epsilonAbsolute: 0,
  ranks: [],
  sweep: [0.01, 0.02, 0.05, 0.1, 0.2],
  sweepPriors: false,
  liftTuples: 1000,
  width: 128,
  depth: 2,
  steps: 1000,
  batch: 256,
  lr: 1e-3,
  weightDecay: 0,
  maxGradNorm: 10,
  divergence: "hutchinson",
  probes: 1,
  estimator: "score-ratio",
  priorScoreTime: 0.01,
  complement: "zero",
  select: "epsilon",
  liftGap: 0.02,
};

/** Allowed values of the section's enumerated keys. */
export const REDUCTION_CHOICES: Record<string, readonly string[]> = {
  "reduction.divergence": ["exact", "hutchinson"],
  "reduction.estimator": ["score-ratio", "prior-score"],
  "reduction.complement": ["noise", "zero", "conditional", "conditional-mean"],
  "reduction.select": ["epsilon", "lift-ceiling"],
};

/**
 * Checks the section; throws a ConfigError naming the first bad key. `modalities` and `aeLatent`
 * (the config's modality count and ae.latent) bound `ranks`.
 */
export function validateReduction(
  r: ReductionConfig,
  { modalities, aeLatent }: { modalities: number; aeLatent: number },
): void {
  atMost("reduction.width", r.width, MAX_WIDTH, "a layer width");
  positive("reduction.maxGradNorm", r.maxGradNorm, true);
  positive("reduction.epsilonFraction", r.epsilonFraction);
  if (r.epsilonFraction >= 1) {
    throw new ConfigError(
      `Invalid config: reduction.epsilonFraction must be < 1: current value is ${r.epsilonFraction}`,
    );
  }
  positive("reduction.epsilonAbsolute", r.epsilonAbsolute, true);
  if (r.ranks.length && r.ranks.length !== modalities) {
    throw new ConfigError(
      `Invalid config: reduction.ranks must give one rank per modality (${modalities}): current value is [${r.ranks}]`,
    );
  }
  r.ranks.forEach((rank, i) => {
    if (!Number.isInteger(rank) || rank < 1 || rank > aeLatent) {
      throw new ConfigError(
        `Invalid config: reduction.ranks[${i}] must be an integer in [1, ${aeLatent}]: current value is ${rank}`,
      );
    }
  });
  positiveInt("reduction.liftTuples", r.liftTuples, 0);
  positiveInt("reduction.steps", r.steps);
  positiveInt("reduction.width", r.width);
  positiveInt("reduction.depth", r.depth);
  positiveInt("reduction.batch", r.batch);
  positive("reduction.lr", r.lr);
  positiveInt("reduction.probes", r.probes);
  const gap = r.liftGap;
  if (!(gap >= 0 && gap < 1)) {
    throw new ConfigError(
      `Invalid config: reduction.liftGap must be in [0, 1) (an accuracy difference, e.g. 0.02): current value is ${gap}`,
    );
  }
  if (r.select === "lift-ceiling" && r.ranks.length) {
    throw new ConfigError(
      `Invalid config: reduction.ranks fixes the ranks, so reduction.select must be "epsilon": current value is "lift-ceiling" with ranks [${r.ranks}]`,
    );
  }
  const pst = r.priorScoreTime;
  if (!(pst > 0 && pst < 1)) {
    throw new ConfigError(
      `Invalid config: reduction.priorScoreTime must be in (0, 1) (a diffusion time; small, e.g. 0.01): current value is ${pst}`,
    );
  }
}
