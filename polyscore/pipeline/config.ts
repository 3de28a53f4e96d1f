/**
 * The pipeline's one configuration schema: presets plus dotted overrides ("prior.steps=4000"),
 * validated with errors that name the key, the value and what is allowed.
 */

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

/** Settings of the evaluation classifiers (stage 2). */
export interface ClassifierConfig {
  hidden: number[];
  features: number;
  steps: number;
  batch: number;
  lr: number;
  /** Final learning rate as a fraction of lr (cosine decay). */
  lrFinal: number;
  /** Clip each step's gradients to this global L2 norm; 0 = no clipping. */
  maxGradNorm: number;
  /** "group": group norm before every conv activation; "none". */
  norm: "none" | "group";
  /**
   * Augmentation: each training image is translated by a random whole-pixel offset in
   * [−shift, shift]² (edges replicated); 0 = none. Test accuracy is on unshifted images.
   */
  shift: number;
}

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
   * How replacement re-imposes observed latents: "code_quirk" (default; the official code's
   * (α+σ)·z_obs) or "fresh" (α·z_obs + σ·ξ, new ξ every step) or "clean". Measured on a quick run's
   * learned SBM-AE prior (same autoencoders, tuples and sampler seeds; `polyscore eval`):
   * code_quirk − fresh = +0.079 / +0.100 / +0.093 / +0.087 given 1 / 2 / 3 / 4 (each mean's 95% CI
   * ±0.015–0.03); with the exact score on a PolyMNIST-like mixture its bias is −0.065 given 1
   * against fresh's −0.152 (polyscore/sde/conditioning_test.ts).
   */
  observedNoise: "fresh" | "code_quirk" | "clean";
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

/** Settings of the score-ratio reduction (SBM-SRR). */
export interface ReductionConfig {
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
   * `polyscore eval` may change it.
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

/** Settings of the evaluation (stage 4). */
export interface EvalConfig {
  /** Test tuples used for conditional coherence (per subset). */
  conditional: number;
  /** Unconditional samples (coherence and Fréchet distance). */
  unconditional: number;
  /** For M > 5: subsets sampled per number of given modalities. */
  subsetsPerSize: number;
  /**
   * Test tuples per number of given modalities k = 1 … M − 1 (empty: the rule of
   * polyscore/eval/protocol.ts, from `conditional` and `outcomesPerGiven`).
   */
  tuplesBySize: number[];
  /** The rule's target: (subset, target) outcomes per given count (SE ≤ 0.5/√n per seed). */
  outcomesPerGiven: number;
  /**
   * The rule's floor on tuples with M − 1 given, where the headline comparison lives (SBM-SRR vs
   * SBM-AE at a 0.03 gap needs ≥ 1,000: ../shared/research/science-audit.md §2).
   */
  tuplesLastGiven: number;
  /** Bootstrap replicates of the confidence intervals. */
  bootstrap: number;
}

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

/** The whole pipeline. */
export interface PipelineConfig {
  preset: string;
  /** Dataset: a preset name of polyscore/data ("polymnist", …) or a folder. */
  data: string;
  /** For generated PolyMNIST: number of modalities (overrides the data preset's). */
  modalities: number;
  /** Cap on train tuples and on test tuples. */
  trainLimit: number;
  testLimit: number;
  /** A folder of background images, "flat" (one plain colour per modality), or "" (procedural). */
  backgrounds: string;
  /** Side of the procedural backgrounds (px): larger ones give smoother 28×28 crops. */
  backgroundSize: number;
  backend: "auto" | "webgpu" | "wasm" | "reference";
  seed: number;
  /** Seeds of the prior training + sampling (mean ± std over them); autoencoders use `seed`. */
  seeds: number;
  /**
   * The methods to train and evaluate (names of polyscore/methods/mod.ts), reported in registry
   * order; those that need the reduction run only when `reduction.enabled`.
   */
  methods: string[];
  ae: AeConfig;
  classifier: ClassifierConfig;
  prior: PriorConfig;
  reduction: ReductionConfig;
  mmvaeplus: MmvaePlusConfig;
  joint: JointConfig;
  eval: EvalConfig;
}

const BASE: PipelineConfig = {
  preset: "quick",
  data: "polymnist",
  modalities: 5,
  trainLimit: 20000,
  testLimit: 2000,
  backgrounds: "",
  backgroundSize: 512,
  backend: "auto",
  seed: 1,
  seeds: 1,
  methods: ["sbm-ae", "sbm-srr", "whitened", "independent"],
  ae: {
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
  },
  classifier: {
    hidden: [16, 32, 64],
    features: 128,
    steps: 1200,
    batch: 64,
    lr: 2e-3,
    lrFinal: 0.05,
    maxGradNorm: 0,
    norm: "none",
    shift: 0,
  },
  prior: {
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
    observedNoise: "code_quirk",
    correctorNorm: "batch",
    finalCorrectorSteps: 20,
    ema: 0,
    standardize: false,
    conditioning: "replacement",
    maskProb: 0.2,
  },
  reduction: {
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
    complement: "noise",
    select: "epsilon",
    liftGap: 0.02,
  },
  mmvaeplus: {
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
  },
  joint: {
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
  },
  eval: {
    conditional: 100,
    unconditional: 500,
    subsetsPerSize: 5,
    tuplesBySize: [],
    outcomesPerGiven: 2500,
    tuplesLastGiven: 1000,
    bootstrap: 1000,
  },
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };

/** Presets: each a set of overrides of the base. */
export const PRESETS: Record<string, { about: string; overrides: DeepPartial<PipelineConfig> }> = {
  quick: {
    about:
      "the whole pipeline on generated PolyMNIST (5 modalities, 20k/2k tuples): SBM-AE and SBM-SRR (the controls: --set methods=…); aims at ≤ 10 min on 2 cores (measured: README)",
    overrides: {
      // The 10-minute budget (issue 14). Measured alone on the 2-core Xeon: with the four methods
      // the run took about 950 s; with SBM-AE and SBM-SRR only, 654 s (autoencoders 148,
      // classifiers 82, priors 135 + 126, evaluations 60 + 50, the rest 53). The whitened control
      // and the independent floor stay in every other preset and in the experiments; 500 fewer
      // prior steps and 200 fewer classifier steps take the rest (README, "Measured here").
      methods: ["sbm-ae", "sbm-srr"],
      classifier: { steps: 1000 },
      // Half the sampler (110 network calls per row, not 220): on the final quick run's SBM-AE
      // prior, pc N = 50 + 10 final corrector steps minus the official N = 100 + 20 is +0.001 /
      // −0.007 / −0.007 / +0.001 given 1–4, every paired 95% CI containing 0; N = 35–40 loses
      // 0.02–0.03 at 2–3 given (README, "Sampler cost against coherence").
      prior: { steps: 3000, sampleSteps: 50, finalCorrectorSteps: 10 },
      // The autoencoder stays the β-VAE with latent 32. The deterministic AE with latent 64 and
      // group norm raises the reconstruction ceilings (0.749 / 0.584 / 0.732 / 0.559 / 0.779 →
      // 0.907 / 0.795 / 0.782 / 0.626 / 0.873) but SBM-AE's prior on its 320 raw latents collapses:
      // 0.143 / 0.150 / 0.184 / 0.194 given 1–4 (0.132 / 0.162 / 0.182 / 0.200 standardised),
      // against 0.259 / 0.374 / 0.456 / 0.491 (README, "Autoencoder and classifier options"). A
      // 512-wide score network fixes it (0.322 / 0.441 / 0.516 / 0.583) at about 5× the prior's
      // time, more than quick's budget allows for three priors.
    },
  },
  tiny: {
    about:
      "a smoke run: 2 modalities on flat backgrounds, 1k tuples, seconds; coherence measurably above the floor (CI, demos)",
    overrides: {
      modalities: 2,
      // Flat backgrounds and lr 5e-3 let 300 autoencoder steps learn the digit (reconstruction
      // ceilings ≈ 0.5–0.7; 200 steps, or procedural textures at 600, stay near chance), so the
      // end-to-end test can check that conditioning works, not only that the report has fields.
      backgrounds: "flat",
      trainLimit: 1024,
      testLimit: 512,
      ae: { latent: 8, hidden: [8, 16], steps: 300, batch: 32, lr: 5e-3 },
      classifier: { hidden: [8, 16], features: 32, steps: 150, batch: 32 },
      prior: { width: 64, blocks: 1, embed: 16, steps: 600, batch: 64, sampleSteps: 20 },
      reduction: {
        width: 32,
        depth: 1,
        steps: 100,
        batch: 64,
        sweep: [0.05, 0.2],
        divergence: "exact",
      },
      // 600 steps: given-1 coherence 0.378 [0.346, 0.411] vs the floor's 0.104; 300 gave 0.079.
      mmvaeplus: { latentShared: 8, latentPrivate: 4, hidden: [8, 16], steps: 600, batch: 32 },
      joint: { latent: 16, hidden: [8, 16], steps: 300, batch: 32, lr: 5e-3 },
      // All 512 test tuples for the one given count (the rule asks 1,000, capped by the test set).
      eval: { conditional: 16, unconditional: 128, subsetsPerSize: 2 },
    },
  },
  polymnist: {
    about: "PolyMNIST, 5 modalities, all 60k/10k tuples, longer training",
    overrides: {
      trainLimit: 60000,
      testLimit: 10000,
      seeds: 3,
      ae: { steps: 6000 },
      classifier: { steps: 2000 },
      prior: { steps: 20000 },
      reduction: { steps: 5000 },
      // The paper's 150 epochs of 60k tuples at batch 128.
      mmvaeplus: { batch: 128, steps: 70000, likelihood: "laplace", likelihoodScale: 0.75 },
      // The papers' settings (MoPoE's job_polymnist; MultiVae's MVTCAE script): 300 epochs.
      joint: {
        latent: 512,
        hidden: [32, 64, 128],
        steps: 70000,
        batch: 256,
        lr: 5e-4,
        lrFinal: 1,
        likelihood: "laplace",
        scale: 0.75,
      },
      eval: { conditional: 1000, unconditional: 2000 },
    },
  },
  "extended-quick": {
    about:
      "10 modalities on generated PolyMNIST (10k/1k tuples, shorter training) in about 25 min on 2 cores",
    // Sized from the quick preset's time split (README, 2-core Xeon alone: autoencoders 39 s and
    // classifiers 22 s per modality at 1,000 / 1,200 steps, priors 139–168 s, evaluation 78–91 s
    // per method for 7,875 rows) and from stage times measured with 10 modalities at reduced
    // steps under load (README "The extended-quick preset": the evaluation per method and the
    // lift ceiling cost about twice quick's). The evaluation rule with M = 10 samples 5 subsets
    // per size: 7,350 rows per method here (10,618 at the defaults), ≥ 100 tuples per count.
    overrides: {
      modalities: 10,
      trainLimit: 10000,
      testLimit: 1000,
      ae: { steps: 600 },
      classifier: { steps: 500 },
      prior: { steps: 2500 },
      reduction: { liftTuples: 500 },
      eval: { subsetsPerSize: 5, outcomesPerGiven: 1500, tuplesLastGiven: 500 },
    },
  },
  extended: {
    about: "Extended PolyMNIST, 10 modalities, 60k/10k tuples",
    overrides: {
      modalities: 10,
      trainLimit: 60000,
      testLimit: 10000,
      seeds: 3,
      ae: { steps: 6000 },
      classifier: { steps: 2000 },
      prior: { steps: 20000, width: 512 },
      reduction: { steps: 5000 },
      eval: { conditional: 500, unconditional: 2000, subsetsPerSize: 5 },
    },
  },
  celeba: {
    about: "CelebAMask-HQ from a local copy (--data DIR): image 64×64, mask, 18 attributes",
    overrides: {
      data: "",
      trainLimit: 30000,
      testLimit: 2000,
      ae: { latent: 64, hidden: [32, 64, 128, 128], steps: 6000 },
      classifier: { hidden: [32, 64, 128, 128], features: 256, steps: 2000 },
      prior: { steps: 20000, width: 512, beta0: 0.1, beta1: 20 },
      reduction: { steps: 5000 },
    },
  },
};

/** Allowed values of the enumerated keys. */
const CHOICES: Record<string, readonly string[]> = {
  backend: ["auto", "webgpu", "wasm", "reference"],
  "ae.variant": ["vae", "ae"],
  "ae.norm": ["none", "group"],
  "classifier.norm": ["none", "group"],
  "prior.sampler": ["pc", "predictor", "ode"],
  "prior.observedNoise": ["fresh", "code_quirk", "clean"],
  "prior.correctorNorm": ["batch", "row"],
  "prior.output": ["score", "noise"],
  "prior.conditioning": ["replacement", "masked"],
  "reduction.divergence": ["exact", "hutchinson"],
  "mmvaeplus.likelihood": ["laplace", "gaussian"],
  "joint.likelihood": ["laplace", "gaussian"],
  "reduction.estimator": ["score-ratio", "prior-score"],
  "reduction.complement": ["noise", "zero", "conditional", "conditional-mean"],
  "reduction.select": ["epsilon", "lift-ceiling"],
};

/** Thrown for any invalid configuration; the message names the key. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function merge<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (Array.isArray(base) || typeof base !== "object" || base === null) return over as T;
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    out[k] = merge((base as Record<string, unknown>)[k], v);
  }
  return out as T;
}

/** Resolves a preset and `key=value` overrides into a validated config. */
export function resolveConfig(
  preset: string,
  overrides: Record<string, string> = {},
): PipelineConfig {
  const p = PRESETS[preset];
  if (!p) {
    throw new ConfigError(
      `Cannot use preset "${preset}": allowed values are ${Object.keys(PRESETS).join(", ")}`,
    );
  }
  const cfg = merge(structuredClone(BASE), structuredClone(p.overrides));
  cfg.preset = preset;
  for (const [key, raw] of Object.entries(overrides)) setKey(cfg, key, raw);
  validate(cfg);
  return cfg;
}

/** Keys that are set by their own flag, not `--set` (the preset names what the run started from). */
const NOT_SETTABLE: Record<string, string> = {
  preset: "choose it with --preset NAME (the preset is where the run's config started from)",
};

/** Sets one dotted key from its string form, parsed by the type of the current value. */
export function setKey(cfg: PipelineConfig, key: string, raw: string): void {
  if (key in NOT_SETTABLE) {
    throw new ConfigError(`Cannot set "${key}" with --set: ${NOT_SETTABLE[key]}`);
  }
  const path = key.split(".");
  let obj = cfg as unknown as Record<string, unknown>;
  for (const part of path.slice(0, -1)) {
    const next = obj[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      throw new ConfigError(
        `Cannot set "${key}": unknown key; keys are ${listKeys(cfg).join(", ")}`,
      );
    }
    obj = next as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (!(last in obj)) {
    throw new ConfigError(`Cannot set "${key}": unknown key; keys are ${listKeys(cfg).join(", ")}`);
  }
  const cur = obj[last];
  let val: unknown;
  if (typeof cur === "number") {
    val = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(val)) {
      throw new ConfigError(`Cannot set "${key}": expected a number: current value is "${raw}"`);
    }
  } else if (typeof cur === "boolean") {
    if (raw !== "true" && raw !== "false") {
      throw new ConfigError(
        `Cannot set "${key}": expected true or false: current value is "${raw}"`,
      );
    }
    val = raw === "true";
  } else if (Array.isArray(cur) && typeof cur[0] === "string") {
    val = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  } else if (Array.isArray(cur)) {
    val = raw.trim() === "" ? [] : raw.split(",").map((s) => Number(s));
    if ((val as number[]).some((v) => !Number.isFinite(v))) {
      throw new ConfigError(
        `Cannot set "${key}": expected comma-separated numbers: current value is "${raw}"`,
      );
    }
  } else {
    val = raw;
  }
  obj[last] = val;
}

/** Every settable dotted key. */
export function listKeys(cfg: PipelineConfig = BASE): string[] {
  const out: string[] = [];
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (v && typeof v === "object" && !Array.isArray(v)) {
        walk(v as Record<string, unknown>, `${prefix}${k}.`);
      } else if (!(prefix + k in NOT_SETTABLE)) out.push(prefix + k);
    }
  };
  walk(cfg as unknown as Record<string, unknown>, "");
  return out;
}

function positiveInt(key: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) {
    throw new ConfigError(
      `Invalid config: ${key} must be an integer >= ${min}: current value is ${v}`,
    );
  }
}

/** An upper bound that keeps a typo from allocating without limit (gh-19: modalities=1000). */
function atMost(key: string, v: number, max: number, why: string): void {
  if (v > max) {
    throw new ConfigError(
      `Invalid config: ${key} must be <= ${max} (${why}): current value is ${v}`,
    );
  }
}

function positive(key: string, v: number, allowZero = false): void {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new ConfigError(
      `Invalid config: ${key} must be ${allowZero ? ">= 0" : "> 0"}: current value is ${v}`,
    );
  }
}

/** The widest layer a config may ask for. */
const MAX_WIDTH = 8192;

/** Checks every value; throws a ConfigError naming the first bad key. */
export function validate(cfg: PipelineConfig): void {
  for (const [key, allowed] of Object.entries(CHOICES)) {
    const v = key.split(".").reduce(
      (o: unknown, k) => (o as Record<string, unknown>)[k],
      cfg,
    ) as string;
    if (!allowed.includes(v)) {
      throw new ConfigError(
        `Invalid config: ${key} must be one of ${allowed.join(", ")}: current value is "${v}"`,
      );
    }
  }
  if (!cfg.data) {
    throw new ConfigError(
      `Invalid config: data is empty: the ${cfg.preset} preset needs --data DIR (a local dataset folder)`,
    );
  }
  positiveInt("modalities", cfg.modalities, 2);
  atMost(
    "modalities",
    cfg.modalities,
    32,
    "each modality holds its own data, autoencoder and classifier",
  );
  positiveInt("backgroundSize", cfg.backgroundSize, 28);
  positiveInt("trainLimit", cfg.trainLimit, 2);
  positiveInt("testLimit", cfg.testLimit, 2);
  positiveInt("seed", cfg.seed, 0);
  positiveInt("seeds", cfg.seeds);
  if (cfg.methods.length === 0 || new Set(cfg.methods).size !== cfg.methods.length) {
    throw new ConfigError(
      `Invalid config: methods must list distinct method names: current value is [${cfg.methods}]`,
    );
  }
  positiveInt("ae.latent", cfg.ae.latent);
  positiveInt("ae.steps", cfg.ae.steps);
  positiveInt("ae.batch", cfg.ae.batch);
  positive("ae.lr", cfg.ae.lr);
  positive("ae.beta", cfg.ae.beta, true);
  if (cfg.ae.hidden.length === 0) {
    throw new ConfigError("Invalid config: ae.hidden must list at least one width");
  }
  cfg.ae.hidden.forEach((h, i) => {
    positiveInt(`ae.hidden[${i}]`, h);
    atMost(`ae.hidden[${i}]`, h, MAX_WIDTH, "a layer width");
  });
  atMost("ae.latent", cfg.ae.latent, MAX_WIDTH, "a latent width");
  if (cfg.ae.resBlocks.length !== 0 && cfg.ae.resBlocks.length !== cfg.ae.hidden.length) {
    throw new ConfigError(
      `Invalid config: ae.resBlocks must list one count per ae.hidden width (${cfg.ae.hidden.length}) or none: current value is [${cfg.ae.resBlocks}]`,
    );
  }
  cfg.ae.resBlocks.forEach((r, i) => {
    positiveInt(`ae.resBlocks[${i}]`, r, 0);
    atMost(`ae.resBlocks[${i}]`, r, 8, "residual blocks per stage");
  });
  cfg.classifier.hidden.forEach((h, i) => {
    positiveInt(`classifier.hidden[${i}]`, h);
    atMost(`classifier.hidden[${i}]`, h, MAX_WIDTH, "a layer width");
  });
  atMost("classifier.features", cfg.classifier.features, MAX_WIDTH, "a layer width");
  atMost("prior.width", cfg.prior.width, MAX_WIDTH, "a layer width");
  atMost("reduction.width", cfg.reduction.width, MAX_WIDTH, "a layer width");
  validateMmvaePlus(cfg.mmvaeplus);
  validateJoint(cfg.joint);
  for (const k of ["ae", "classifier", "prior", "reduction", "mmvaeplus", "joint"] as const) {
    positive(`${k}.maxGradNorm`, cfg[k].maxGradNorm, true);
  }
  positiveInt("classifier.steps", cfg.classifier.steps);
  positiveInt("classifier.batch", cfg.classifier.batch);
  positiveInt("classifier.features", cfg.classifier.features);
  positive("classifier.lr", cfg.classifier.lr);
  positive("classifier.lrFinal", cfg.classifier.lrFinal, true);
  positiveInt("classifier.shift", cfg.classifier.shift, 0);
  atMost("classifier.shift", cfg.classifier.shift, 8, "a shift in pixels");
  positiveInt("prior.width", cfg.prior.width);
  positiveInt("prior.blocks", cfg.prior.blocks);
  positiveInt("prior.timeWidth", cfg.prior.timeWidth);
  positiveInt("prior.embed", cfg.prior.embed, 2);
  if (cfg.prior.embed % 2) {
    throw new ConfigError(
      `Invalid config: prior.embed must be even: current value is ${cfg.prior.embed}`,
    );
  }
  positiveInt("prior.steps", cfg.prior.steps);
  positiveInt("prior.batch", cfg.prior.batch);
  positive("prior.lr", cfg.prior.lr);
  positive("prior.beta0", cfg.prior.beta0);
  if (!(cfg.prior.beta1 > cfg.prior.beta0)) {
    throw new ConfigError(
      `Invalid config: prior.beta1 must exceed prior.beta0 (${cfg.prior.beta0}): current value is ${cfg.prior.beta1}`,
    );
  }
  positiveInt("prior.sampleSteps", cfg.prior.sampleSteps);
  positive("prior.snr", cfg.prior.snr, true);
  positiveInt("prior.finalCorrectorSteps", cfg.prior.finalCorrectorSteps, 0);
  if (!(cfg.prior.ema >= 0 && cfg.prior.ema < 1)) {
    throw new ConfigError(
      `Invalid config: prior.ema must be in [0, 1) (0 = off; MLD uses 0.999): current value is ${cfg.prior.ema}`,
    );
  }
  if (!(cfg.prior.maskProb > 0 && cfg.prior.maskProb <= 1)) {
    throw new ConfigError(
      `Invalid config: prior.maskProb must be in (0, 1]: current value is ${cfg.prior.maskProb}`,
    );
  }
  if (cfg.prior.conditioning === "masked" && cfg.prior.output !== "score") {
    throw new ConfigError(
      `Invalid config: prior.conditioning=masked needs prior.output=score (σ(0) = 0 leaves "noise" undefined on the clean modalities): current value is "${cfg.prior.output}"`,
    );
  }
  positive("reduction.epsilonFraction", cfg.reduction.epsilonFraction);
  if (cfg.reduction.epsilonFraction >= 1) {
    throw new ConfigError(
      `Invalid config: reduction.epsilonFraction must be < 1: current value is ${cfg.reduction.epsilonFraction}`,
    );
  }
  positive("reduction.epsilonAbsolute", cfg.reduction.epsilonAbsolute, true);
  if (cfg.reduction.ranks.length && cfg.reduction.ranks.length !== cfg.modalities) {
    throw new ConfigError(
      `Invalid config: reduction.ranks must give one rank per modality (${cfg.modalities}): current value is [${cfg.reduction.ranks}]`,
    );
  }
  cfg.reduction.ranks.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 1 || r > cfg.ae.latent) {
      throw new ConfigError(
        `Invalid config: reduction.ranks[${i}] must be an integer in [1, ${cfg.ae.latent}]: current value is ${r}`,
      );
    }
  });
  positiveInt("reduction.liftTuples", cfg.reduction.liftTuples, 0);
  positiveInt("reduction.steps", cfg.reduction.steps);
  positiveInt("reduction.width", cfg.reduction.width);
  positiveInt("reduction.depth", cfg.reduction.depth);
  positiveInt("reduction.batch", cfg.reduction.batch);
  positive("reduction.lr", cfg.reduction.lr);
  positiveInt("reduction.probes", cfg.reduction.probes);
  const gap = cfg.reduction.liftGap;
  if (!(gap >= 0 && gap < 1)) {
    throw new ConfigError(
      `Invalid config: reduction.liftGap must be in [0, 1) (an accuracy difference, e.g. 0.02): current value is ${gap}`,
    );
  }
  if (cfg.reduction.select === "lift-ceiling" && cfg.reduction.ranks.length) {
    throw new ConfigError(
      `Invalid config: reduction.ranks fixes the ranks, so reduction.select must be "epsilon": current value is "lift-ceiling" with ranks [${cfg.reduction.ranks}]`,
    );
  }
  const pst = cfg.reduction.priorScoreTime;
  if (!(pst > 0 && pst < 1)) {
    throw new ConfigError(
      `Invalid config: reduction.priorScoreTime must be in (0, 1) (a diffusion time; small, e.g. 0.01): current value is ${pst}`,
    );
  }
  positiveInt("eval.conditional", cfg.eval.conditional);
  positiveInt("eval.unconditional", cfg.eval.unconditional, 2);
  positiveInt("eval.subsetsPerSize", cfg.eval.subsetsPerSize);
  const tbs = cfg.eval.tuplesBySize;
  if (tbs.length && tbs.length !== cfg.modalities - 1) {
    throw new ConfigError(
      `Invalid config: eval.tuplesBySize must give one count per number of given modalities (${
        cfg.modalities - 1
      }) or be empty: current value is [${tbs}]`,
    );
  }
  tbs.forEach((n, i) => positiveInt(`eval.tuplesBySize[${i}]`, n));
  positiveInt("eval.outcomesPerGiven", cfg.eval.outcomesPerGiven);
  positiveInt("eval.tuplesLastGiven", cfg.eval.tuplesLastGiven, 0);
  positiveInt("eval.bootstrap", cfg.eval.bootstrap, 10);
}

function validateMmvaePlus(c: MmvaePlusConfig): void {
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
}

/** The joint-posterior VAEs' section (MoPoE, MVTCAE). */
function validateJoint(j: JointConfig): void {
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
}

/**
 * A saved config (a run's config.json) with the keys added since it was written filled from the
 * base defaults, so older runs still evaluate.
 */
export function withDefaults(saved: PipelineConfig): PipelineConfig {
  return merge(structuredClone(BASE), structuredClone(saved));
}
