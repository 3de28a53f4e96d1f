/**
 * Every check of every config section, one bad value each, with the exact message: the messages
 * are the interface users see (`--set`, experiment files, resumed runs), so a moved or reworded
 * check shows up here. polyscore/methods/mod_test.ts and mmvaeplus_test.ts test the joint and
 * mmvaeplus sections beside their methods; the checks they leave out are here.
 */

import assert from "node:assert/strict";
import { ConfigError, resolveConfig } from "./mod.ts";

/** [overrides of the tiny preset, the message after "Invalid config: "]. */
type Case = [Record<string, string>, string];

function assertRefused(cases: Case[]): void {
  for (const [over, message] of cases) {
    assert.throws(
      () => resolveConfig("tiny", over),
      (e: Error) => {
        assert.ok(e instanceof ConfigError, `${JSON.stringify(over)}: ${e}`);
        assert.equal(e.message, `Invalid config: ${message}`, JSON.stringify(over));
        return true;
      },
      `${JSON.stringify(over)} was accepted`,
    );
  }
}

Deno.test("config top level: every check names its key and value", () => {
  assertRefused([
    [
      { backend: "cuda" },
      'backend must be one of auto, webgpu, wasm, reference: current value is "cuda"',
    ],
    [{ data: "" }, "data is empty: the tiny preset needs --data DIR (a local dataset folder)"],
    [{ modalities: "1" }, "modalities must be an integer >= 2: current value is 1"],
    [
      { modalities: "33" },
      "modalities must be <= 32 (each modality holds its own data, autoencoder and classifier): current value is 33",
    ],
    [{ backgroundSize: "27" }, "backgroundSize must be an integer >= 28: current value is 27"],
    [{ trainLimit: "1" }, "trainLimit must be an integer >= 2: current value is 1"],
    [{ testLimit: "1" }, "testLimit must be an integer >= 2: current value is 1"],
    [{ seed: "-1" }, "seed must be an integer >= 0: current value is -1"],
    [{ seeds: "0" }, "seeds must be an integer >= 1: current value is 0"],
    [{ methods: "" }, "methods must list distinct method names: current value is []"],
  ]);
});

Deno.test("config ae section: every check names its key and value", () => {
  assertRefused([
    [{ "ae.variant": "x" }, 'ae.variant must be one of vae, ae: current value is "x"'],
    [{ "ae.norm": "x" }, 'ae.norm must be one of none, group: current value is "x"'],
    [{ "ae.latent": "0" }, "ae.latent must be an integer >= 1: current value is 0"],
    [{ "ae.steps": "0" }, "ae.steps must be an integer >= 1: current value is 0"],
    [{ "ae.batch": "1.5" }, "ae.batch must be an integer >= 1: current value is 1.5"],
    [{ "ae.lr": "0" }, "ae.lr must be > 0: current value is 0"],
    [{ "ae.beta": "-1" }, "ae.beta must be >= 0: current value is -1"],
    [{ "ae.lrFinal": "-0.5" }, "ae.lrFinal must be >= 0: current value is -0.5"],
    [{ "ae.aeNoise": "-1" }, "ae.aeNoise must be >= 0: current value is -1"],
    [{ "ae.aeZWeight": "-1e-5" }, "ae.aeZWeight must be >= 0: current value is -0.00001"],
    [{ "ae.hidden": "" }, "ae.hidden must list at least one width"],
    [{ "ae.hidden": "8,0" }, "ae.hidden[1] must be an integer >= 1: current value is 0"],
    [
      { "ae.hidden": "8,9000" },
      "ae.hidden[1] must be <= 8192 (a layer width): current value is 9000",
    ],
    [{ "ae.latent": "9000" }, "ae.latent must be <= 8192 (a latent width): current value is 9000"],
    [
      { "ae.resBlocks": "1" },
      "ae.resBlocks must list one count per ae.hidden width (2) or none: current value is [1]",
    ],
    [{ "ae.resBlocks": "1,-1" }, "ae.resBlocks[1] must be an integer >= 0: current value is -1"],
    [
      { "ae.resBlocks": "1,9" },
      "ae.resBlocks[1] must be <= 8 (residual blocks per stage): current value is 9",
    ],
    [{ "ae.maxGradNorm": "-1" }, "ae.maxGradNorm must be >= 0: current value is -1"],
  ]);
});

Deno.test("config classifier section: every check names its key and value", () => {
  assertRefused([
    [
      { "classifier.norm": "x" },
      'classifier.norm must be one of none, group: current value is "x"',
    ],
    [
      { "classifier.hidden": "8,0" },
      "classifier.hidden[1] must be an integer >= 1: current value is 0",
    ],
    [
      { "classifier.hidden": "9000" },
      "classifier.hidden[0] must be <= 8192 (a layer width): current value is 9000",
    ],
    [
      { "classifier.features": "9000" },
      "classifier.features must be <= 8192 (a layer width): current value is 9000",
    ],
    [
      { "classifier.maxGradNorm": "-1" },
      "classifier.maxGradNorm must be >= 0: current value is -1",
    ],
    [{ "classifier.steps": "0" }, "classifier.steps must be an integer >= 1: current value is 0"],
    [{ "classifier.batch": "0" }, "classifier.batch must be an integer >= 1: current value is 0"],
    [
      { "classifier.features": "0" },
      "classifier.features must be an integer >= 1: current value is 0",
    ],
    [{ "classifier.lr": "0" }, "classifier.lr must be > 0: current value is 0"],
    [{ "classifier.lrFinal": "-1" }, "classifier.lrFinal must be >= 0: current value is -1"],
    [{ "classifier.shift": "-1" }, "classifier.shift must be an integer >= 0: current value is -1"],
    [
      { "classifier.shift": "9" },
      "classifier.shift must be <= 8 (a shift in pixels): current value is 9",
    ],
    [{ "classifier.stem": "-1" }, "classifier.stem must be an integer >= 0: current value is -1"],
    [{ "classifier.kernel": "0" }, "classifier.kernel must be an integer >= 1: current value is 0"],
    [
      { "classifier.kernel": "4" },
      "classifier.kernel must be odd (the padding (k − 1)/2 keeps the sizes of 3×3): current value is 4; try 3 or 5",
    ],
    [
      { "classifier.kernel": "9" },
      "classifier.kernel must be <= 7 (a kernel size): current value is 9",
    ],
  ]);
});

Deno.test("config prior section: every check names its key and value", () => {
  assertRefused([
    [
      { "prior.sampler": "x" },
      'prior.sampler must be one of pc, predictor, ode: current value is "x"',
    ],
    [
      { "prior.observedNoise": "x" },
      'prior.observedNoise must be one of fresh, code_quirk, clean: current value is "x"',
    ],
    [
      { "prior.correctorNorm": "x" },
      'prior.correctorNorm must be one of batch, row: current value is "x"',
    ],
    [{ "prior.output": "x" }, 'prior.output must be one of score, noise: current value is "x"'],
    [
      { "prior.conditioning": "x" },
      'prior.conditioning must be one of replacement, masked: current value is "x"',
    ],
    [
      { "prior.width": "9000" },
      "prior.width must be <= 8192 (a layer width): current value is 9000",
    ],
    [{ "prior.maxGradNorm": "-1" }, "prior.maxGradNorm must be >= 0: current value is -1"],
    [{ "prior.width": "0" }, "prior.width must be an integer >= 1: current value is 0"],
    [{ "prior.blocks": "0" }, "prior.blocks must be an integer >= 1: current value is 0"],
    [{ "prior.timeWidth": "0" }, "prior.timeWidth must be an integer >= 1: current value is 0"],
    [{ "prior.embed": "1" }, "prior.embed must be an integer >= 2: current value is 1"],
    [{ "prior.embed": "5" }, "prior.embed must be even: current value is 5"],
    [{ "prior.steps": "0" }, "prior.steps must be an integer >= 1: current value is 0"],
    [{ "prior.batch": "0" }, "prior.batch must be an integer >= 1: current value is 0"],
    [{ "prior.lr": "0" }, "prior.lr must be > 0: current value is 0"],
    [{ "prior.beta0": "0" }, "prior.beta0 must be > 0: current value is 0"],
    [{ "prior.beta1": "1" }, "prior.beta1 must exceed prior.beta0 (1): current value is 1"],
    [{ "prior.sampleSteps": "0" }, "prior.sampleSteps must be an integer >= 1: current value is 0"],
    [{ "prior.snr": "-1" }, "prior.snr must be > 0: current value is -1"],
    [{ "prior.snr": "0" }, "prior.snr must be > 0: current value is 0"],
    [{ "prior.finalSnr": "-0.1" }, "prior.finalSnr must be >= 0: current value is -0.1"],
    [{ "prior.observedGain": "-1" }, "prior.observedGain must be >= 0: current value is -1"],
    [{ "prior.scoreScale": "0" }, "prior.scoreScale must be > 0: current value is 0"],
    [
      { "prior.scoreScaleGrid": "2,1" },
      "prior.scoreScaleGrid must list γ values > 0 in ascending order: current value is [2,1]",
    ],
    [
      { "prior.scoreScaleGrid": "0,1" },
      "prior.scoreScaleGrid must list γ values > 0 in ascending order: current value is [0,1]",
    ],
    [
      { "prior.scoreScaleGrid": "" },
      "prior.scoreScaleGrid must list γ values > 0 in ascending order: current value is []",
    ],
    [
      { "prior.scoreScaleSamples": "1" },
      "prior.scoreScaleSamples must be an integer >= 2: current value is 1",
    ],
    [
      { "prior.finalCorrectorSteps": "-1" },
      "prior.finalCorrectorSteps must be an integer >= 0: current value is -1",
    ],
    [
      { "prior.ema": "1" },
      "prior.ema must be in [0, 1) (0 = off; MLD uses 0.999): current value is 1",
    ],
    [{ "prior.maskProb": "0" }, "prior.maskProb must be in (0, 1]: current value is 0"],
    [
      { "prior.conditioning": "masked", "prior.output": "noise" },
      'prior.conditioning=masked needs prior.output=score (σ(0) = 0 leaves "noise" undefined on the clean modalities): current value is "noise"',
    ],
  ]);
});

Deno.test("config reduction section: every check names its key and value", () => {
  assertRefused([
    [
      { "reduction.divergence": "x" },
      'reduction.divergence must be one of exact, hutchinson: current value is "x"',
    ],
    [
      { "reduction.estimator": "x" },
      'reduction.estimator must be one of score-ratio, prior-score: current value is "x"',
    ],
    [
      { "reduction.complement": "x" },
      'reduction.complement must be one of noise, zero, conditional, conditional-mean: current value is "x"',
    ],
    [
      { "reduction.select": "x" },
      'reduction.select must be one of epsilon, lift-ceiling: current value is "x"',
    ],
    [
      { "reduction.width": "9000" },
      "reduction.width must be <= 8192 (a layer width): current value is 9000",
    ],
    [{ "reduction.maxGradNorm": "-1" }, "reduction.maxGradNorm must be >= 0: current value is -1"],
    [
      { "reduction.epsilonFraction": "0" },
      "reduction.epsilonFraction must be > 0: current value is 0",
    ],
    [
      { "reduction.epsilonFraction": "1" },
      "reduction.epsilonFraction must be < 1: current value is 1",
    ],
    [
      { "reduction.epsilonAbsolute": "-1" },
      "reduction.epsilonAbsolute must be >= 0: current value is -1",
    ],
    [
      { "reduction.ranks": "1" },
      "reduction.ranks must give one rank per modality (2): current value is [1]",
    ],
    [
      { "reduction.ranks": "1,9" },
      "reduction.ranks[1] must be an integer in [1, 8]: current value is 9",
    ],
    [
      { "reduction.liftTuples": "-1" },
      "reduction.liftTuples must be an integer >= 0: current value is -1",
    ],
    [{ "reduction.steps": "0" }, "reduction.steps must be an integer >= 1: current value is 0"],
    [{ "reduction.width": "0" }, "reduction.width must be an integer >= 1: current value is 0"],
    [{ "reduction.depth": "0" }, "reduction.depth must be an integer >= 1: current value is 0"],
    [{ "reduction.batch": "0" }, "reduction.batch must be an integer >= 1: current value is 0"],
    [{ "reduction.lr": "0" }, "reduction.lr must be > 0: current value is 0"],
    [{ "reduction.probes": "0" }, "reduction.probes must be an integer >= 1: current value is 0"],
    [
      { "reduction.liftGap": "1" },
      "reduction.liftGap must be in [0, 1) (an accuracy difference, e.g. 0.02): current value is 1",
    ],
    [
      { "reduction.select": "lift-ceiling", "reduction.ranks": "2,2" },
      'reduction.ranks fixes the ranks, so reduction.select must be "epsilon": current value is "lift-ceiling" with ranks [2,2]',
    ],
    [
      { "reduction.priorScoreTime": "0" },
      "reduction.priorScoreTime must be in (0, 1) (a diffusion time; small, e.g. 0.01): current value is 0",
    ],
  ]);
});

Deno.test("config eval section: every check names its key and value", () => {
  assertRefused([
    [{ "eval.conditional": "0" }, "eval.conditional must be an integer >= 1: current value is 0"],
    [
      { "eval.unconditional": "1" },
      "eval.unconditional must be an integer >= 2: current value is 1",
    ],
    [
      { "eval.subsetsPerSize": "0" },
      "eval.subsetsPerSize must be an integer >= 1: current value is 0",
    ],
    [
      { "eval.tuplesBySize": "1,2" },
      "eval.tuplesBySize must give one count per number of given modalities (1) or be empty: current value is [1,2]",
    ],
    [
      { "eval.tuplesBySize": "0" },
      "eval.tuplesBySize[0] must be an integer >= 1: current value is 0",
    ],
    [
      { "eval.outcomesPerGiven": "0" },
      "eval.outcomesPerGiven must be an integer >= 1: current value is 0",
    ],
    [
      { "eval.tuplesLastGiven": "-1" },
      "eval.tuplesLastGiven must be an integer >= 0: current value is -1",
    ],
    [{ "eval.bootstrap": "9" }, "eval.bootstrap must be an integer >= 10: current value is 9"],
  ]);
});

Deno.test("config mmvaeplus and joint sections: the checks the methods' tests leave out", () => {
  assertRefused([
    [
      { "mmvaeplus.latentPrivate": "0" },
      "mmvaeplus.latentPrivate must be an integer >= 1: current value is 0",
    ],
    [
      { "mmvaeplus.latentShared": "9000" },
      "mmvaeplus.latentShared must be <= 8192 (a latent width): current value is 9000",
    ],
    [
      { "mmvaeplus.latentPrivate": "9000" },
      "mmvaeplus.latentPrivate must be <= 8192 (a latent width): current value is 9000",
    ],
    [
      { "mmvaeplus.hidden": "8,0" },
      "mmvaeplus.hidden[1] must be an integer >= 1: current value is 0",
    ],
    [
      { "mmvaeplus.hidden": "9000" },
      "mmvaeplus.hidden[0] must be <= 8192 (a layer width): current value is 9000",
    ],
    [{ "mmvaeplus.steps": "0" }, "mmvaeplus.steps must be an integer >= 1: current value is 0"],
    [{ "mmvaeplus.batch": "0" }, "mmvaeplus.batch must be an integer >= 1: current value is 0"],
    [{ "mmvaeplus.lr": "0" }, "mmvaeplus.lr must be > 0: current value is 0"],
    [
      { "joint.latent": "9000" },
      "joint.latent must be <= 8192 (a latent width): current value is 9000",
    ],
    [{ "joint.hidden": "8,0" }, "joint.hidden[1] must be an integer >= 1: current value is 0"],
    [
      { "joint.hidden": "9000" },
      "joint.hidden[0] must be <= 8192 (a layer width): current value is 9000",
    ],
    [{ "joint.beta": "-1" }, "joint.beta must be >= 0: current value is -1"],
    [{ "joint.steps": "0" }, "joint.steps must be an integer >= 1: current value is 0"],
    [{ "joint.batch": "0" }, "joint.batch must be an integer >= 1: current value is 0"],
    [{ "joint.lr": "0" }, "joint.lr must be > 0: current value is 0"],
    [{ "joint.maxGradNorm": "-1" }, "joint.maxGradNorm must be >= 0: current value is -1"],
  ]);
});
