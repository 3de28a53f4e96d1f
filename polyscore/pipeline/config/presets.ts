/**
 * The presets: each a named set of overrides of the base (pipeline.ts), with the line `--help`
 * shows. Only numbers and choices live here; the checks stay with the sections.
 */

import type { PipelineConfig } from "./pipeline.ts";

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };

/** Presets: each a set of overrides of the base. */
export const PRESETS: Record<string, { about: string; overrides: DeepPartial<PipelineConfig> }> = {
  quick: {
    about:
      "SBM-AE on generated PolyMNIST (5 modalities, 20k/2k tuples), its time spent where coherence pays (the methods' comparison: --set methods=…); about 10.5 min on a 2-core AMD EPYC (estimated from stage ratios; README)",
    overrides: {
      // Issue 15: quick's time goes to what raised SBM-AE's coherence at quick (one seed each, the
      // same tuples; README "Coherence at quick (issue 15): where the 10 minutes go"). Autoencoder
      // steps 1,000 → 2,800 gave +0.056 / +0.079 given 1 / 4; prior steps 3,000 → 6,000 gave
      // +0.03 to +0.05 at every count (paired). The same time spent on a narrower prior (192 × 3
      // at 12,000 steps) or a smaller batch (128 at 6,000) gave less; an EMA of the weights and the
      // deterministic autoencoder with group norm gave nothing. To pay for it, quick trains SBM-AE
      // alone and skips the reduction. SBM-SRR, the whitened control and the independent floor are
      // one `--set methods=…` away (a method that needs the reduction brings it back) and stay in
      // every other preset and in the experiments; at M = 5 SBM-SRR is level with SBM-AE (README,
      // "The mission's experiment"). Measured: README "Coherence at quick".
      methods: ["sbm-ae"],
      reduction: { enabled: false },
      // Group norm in the autoencoders (`ae.norm=group`, the same β-VAE with latent 32): the
      // ceilings rise (0.838 / 0.716 / 0.841 / 0.699 / 0.858 → 0.914 / 0.734 / 0.849 / 0.751 /
      // 0.865) and with them SBM-AE's coherence (README "Group norm in quick's autoencoders").
      // 3,000 steps, not 2,200: ceilings 0.920 / 0.761 / 0.864 / 0.777 / 0.875 and, over 3 seeds,
      // given 4 0.790 → 0.817 [0.806, 0.827], for about 36% more autoencoder time; 3,000 steps at
      // batch 48 (2,200's time) gave 2,200's ceilings (README "3,000 autoencoder steps").
      ae: { steps: 3000, norm: "group" },
      classifier: { steps: 1000 },
      // Half the sampler (110 network calls per row, not 220): on the quick run's SBM-AE prior, pc
      // N = 50 + 10 final corrector steps minus the official N = 100 + 20 is +0.001 / −0.007 /
      // −0.007 / +0.001 given 1–4, every paired 95% CI containing 0; N = 35–40 loses 0.02–0.03 at
      // 2–3 given (README, "Sampler cost against coherence").
      // 8,000 prior steps (6,000 before the modality workers, 7,000 before the Wasm threads polled
      // instead of blocking): the workers took 50–80 s off the autoencoder and classifier stages,
      // polling 20% off a prior step. 9,000 − 6,000 gave +0.014 / +0.029 / +0.022 / +0.028 (one
      // seed, paired).
      // The network predicts the noise (s = −out/σ(t)) instead of the score: paired on the same
      // autoencoders, +0.006 / +0.012 / +0.009 / +0.016* at 6,000 steps and +0.006 / +0.009 /
      // +0.021* / +0.007 at 9,000 (* = CI excludes 0; README "Coherence at quick").
      // The sampler's corrector at SNR 0.35 in the loop (0.16 in the final steps) and code_quirk's
      // gain 2 ((α + 2σ)·z_obs): on the 7,000-step quick's three priors, paired, +0.044* / +0.034*
      // / +0.023* / +0.017* for the SNR and +0.075* / +0.052* / +0.041* / +0.026* for both, at no
      // cost in network calls. With the exact score (polyscore/sde/conditioning_test.ts) the loop's
      // SNR moves given 1–2 toward the exact conditional without overshooting it at given 4; the
      // gain changes nothing there, so on real latents it makes up for the learned score's weak
      // pull toward the observations, at some cost in Fréchet distance (README).
      // Every score × 2 (a sharper prior, `prior.scoreScale`): on the three 8,000-step priors,
      // paired, +0.095* / +0.091* / +0.087* / +0.079* given 1–4 and unconditional 0.109 → 0.302,
      // at no cost in network calls but at one in diversity (FD against reconstructions 20 → 40
      // given 1). 2 is the largest γ tried whose unconditional agreement (≥ 2 … 5 of 5 alike) stays
      // at or below that of the reconstructions of real test tuples (0.302 against 0.311 for all
      // five; on photographs, where it was not chosen, 0.582 against 0.415: past that point).
      // With the exact score it overshoots the exact conditional (conditioning_test.ts), so it
      // makes up for a learned prior whose modalities agree too little (README, "A sharper
      // prior"); `--set prior.scoreScale=1` samples the prior as trained.
      // γ is now chosen from the data per seed (`prior.scoreScaleAuto`, polyscore/eval/
      // score_scale.ts): the largest γ of 1 … 3 whose unconditional samples agree (all five
      // alike) no more often than the reconstructions of 1,000 train tuples. On the three
      // procedural priors it picks 2 / 3 / 1.75 (0.540 / 0.674 / 0.733 / 0.754, level with γ = 2's
      // 0.535 / 0.670 / 0.729 / 0.750); on photographs 1.25 / 1.5 / 1.5 (0.595 / 0.769 / 0.812 /
      // 0.855 where γ = 2 overshot the real agreement: 0.402 against 0.415, not 0.582). About 20 s
      // per seed (three γ tried); `--set prior.scoreScaleAuto=false` samples at the fixed 2.
      prior: {
        steps: 8000,
        output: "noise",
        sampleSteps: 50,
        finalCorrectorSteps: 10,
        snr: 0.35,
        finalSnr: 0.16,
        observedGain: 2,
        scoreScale: 2,
        scoreScaleAuto: true,
      },
      // The autoencoder stays the β-VAE with latent 32 (with group norm since 9c3f1e1). The
      // deterministic AE with latent 64 and group norm raises the reconstruction ceilings (0.749 /
      // 0.584 / 0.732 / 0.559 / 0.779 → 0.907 / 0.795 / 0.782 / 0.626 / 0.873) but SBM-AE's prior
      // on its 320 raw latents collapses:
      // 0.143 / 0.150 / 0.184 / 0.194 given 1–4 (0.132 / 0.162 / 0.182 / 0.200 standardised),
      // against 0.259 / 0.374 / 0.456 / 0.491 (README, "Autoencoder and classifier options"). A
      // 512-wide score network fixes it (0.322 / 0.441 / 0.516 / 0.583) at about 5× the prior's
      // time. At latent 32 the deterministic AE with group norm (2,200 steps) gave 0.329 / 0.544
      // given 1 / 4 against the β-VAE's 0.321 / 0.582 at 2,800 (the same autoencoder time).
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
      "10 modalities on generated PolyMNIST (10k/1k tuples, shorter training): about 15 min on 2 cores (README)",
    // Sized from the quick preset's time split, then measured in the mission experiment
    // (experiments/mission.json; README "The extended-quick preset"): at M = 10, latent 64 on the
    // 2-core Xeon, autoencoders 153 s, classifiers 65 s, reduction and lift ceiling 96 s, each
    // prior about 90 s and each evaluation about 97 s per seed: about 15 min for one seed of the
    // four default methods. The evaluation rule with M = 10 samples 5 subsets per size: 7,350 rows
    // per method here (10,618 at the defaults), ≥ 100 tuples per count.
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
