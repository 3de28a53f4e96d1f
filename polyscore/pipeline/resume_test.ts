import assert from "node:assert/strict";
import { ConfigError, listKeys, resolveConfig } from "./config/mod.ts";
import { resumeConfig } from "./resume.ts";

const saved = () => resolveConfig("tiny");

Deno.test("gh-19: resumeConfig() accepts safe keys and reports each change", () => {
  const base = saved();
  const { cfg, changes } = resumeConfig(
    base,
    {
      "prior.lr": "1e-4",
      "prior.maxGradNorm": "0.5",
      "eval.conditional": "8",
      "ae.lr": String(base.ae.lr),
    },
    {},
  );
  assert.equal(cfg.prior.lr, 1e-4);
  assert.equal(cfg.prior.maxGradNorm, 0.5);
  assert.equal(cfg.eval.conditional, 8);
  assert.deepEqual(changes, [
    { key: "prior.lr", from: base.prior.lr, to: 1e-4 },
    { key: "prior.maxGradNorm", from: base.prior.maxGradNorm, to: 0.5 },
    { key: "eval.conditional", from: base.eval.conditional, to: 8 },
  ], "ae.lr set to its own value: no change recorded");
});

Deno.test("gh-19: resumeConfig() refuses keys that would mix two configs, naming the key", () => {
  for (const key of ["ae.latent", "modalities", "seed", "backend", "reduction.epsilonFraction"]) {
    assert.throws(
      () => resumeConfig(saved(), { [key]: "4" }, {}),
      (e: Error) => e instanceof ConfigError && e.message.includes(`Cannot change "${key}"`),
      key,
    );
  }
  assert.throws(() => resumeConfig(saved(), { preset: "quick" }, {}), /Cannot change "preset"/);
});

Deno.test("gh-19: resumeConfig() changes a stage's steps only while none of its modules finished", () => {
  const partial = { ae_m0: { step: "120", done: "0" } };
  assert.equal(resumeConfig(saved(), { "ae.steps": "400" }, partial).cfg.ae.steps, 400);
  assert.throws(
    () => resumeConfig(saved(), { "ae.steps": "100" }, partial),
    /already at step 120; give at least 120/,
  );
  const oneDone = { ae_m0: { step: "150", done: "1" }, ae_m1: { step: "40", done: "0" } };
  assert.throws(
    () => resumeConfig(saved(), { "ae.steps": "400" }, oneDone),
    /Cannot change "ae.steps" when resuming: the stage already finished ae_m0/,
  );
  // The prior's steps stay free while only the autoencoders finished.
  assert.equal(resumeConfig(saved(), { "prior.steps": "50" }, oneDone).cfg.prior.steps, 50);
});

Deno.test("gh-19: preset is not a --set key; config keys for gradient clipping exist", () => {
  assert.throws(() => resolveConfig("tiny", { preset: "quick" }), /Cannot set "preset" with --set/);
  const keys = listKeys();
  assert.ok(!keys.includes("preset"));
  for (const k of ["ae", "classifier", "prior", "reduction"]) {
    assert.ok(keys.includes(`${k}.maxGradNorm`), k);
  }
  assert.throws(
    () => resolveConfig("tiny", { "prior.maxGradNorm": "-1" }),
    /prior.maxGradNorm must be >= 0/,
  );
});

Deno.test("gh-19: sizes that would grow memory without bound are refused, naming the key", () => {
  assert.throws(() => resolveConfig("tiny", { modalities: "1000" }), /modalities must be <= 32/);
  assert.throws(
    () => resolveConfig("tiny", { "ae.hidden": "999999999" }),
    /ae.hidden\[0\] must be <= 8192/,
  );
});
