import assert from "node:assert/strict";
import { resolveConfig } from "../pipeline/config/mod.ts";
import { METHOD_NAMES, methodsNamed } from "./mod.ts";

Deno.test("methodsNamed() keeps registry order, rejects unknown names, and defaults to all", () => {
  assert.deepEqual(METHOD_NAMES, [
    "sbm-ae",
    "sbm-srr",
    "whitened",
    "mmvaeplus",
    "mopoe",
    "mvtcae",
    "independent",
  ]);
  assert.deepEqual(methodsNamed(["independent", "sbm-ae"]).map((m) => m.name), [
    "sbm-ae",
    "independent",
  ]);
  assert.deepEqual(methodsNamed(undefined).map((m) => m.name), METHOD_NAMES);
  assert.throws(() => methodsNamed(["sbm-ae", "mvae"]), /"mvae".*registered methods/);
});

Deno.test("methods is a config key: a comma-separated list of distinct names", () => {
  // The joint-posterior baselines are opt-in (`--set methods=…`): the default run does not pay for them.
  const joint = ["mmvaeplus", "mopoe", "mvtcae"];
  assert.deepEqual(resolveConfig("tiny").methods, METHOD_NAMES.filter((n) => !joint.includes(n)));
  assert.deepEqual(resolveConfig("tiny", { methods: "sbm-ae, independent" }).methods, [
    "sbm-ae",
    "independent",
  ]);
  assert.throws(() => resolveConfig("tiny", { methods: "sbm-ae,sbm-ae" }), /distinct/);
  assert.throws(() => resolveConfig("tiny", { methods: "" }), /distinct/);
});

Deno.test("a method that needs the reduction says which setting turns it on", async () => {
  const [srr] = methodsNamed(["sbm-srr"]);
  assert.equal(srr.needsReduction, true);
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => srr.train({ reduction: null } as any, 1),
    /reduction\.enabled=true/,
  );
});

Deno.test("the joint section: the papers' settings in polymnist, scaled down elsewhere, bad values named", () => {
  const pm = resolveConfig("polymnist").joint;
  assert.deepEqual(
    [pm.latent, pm.beta, pm.alpha, pm.likelihood, pm.scale, pm.batch, pm.lr, pm.steps],
    [512, 2.5, 5 / 6, "laplace", 0.75, 256, 5e-4, 70000],
  );
  const tiny = resolveConfig("tiny").joint;
  assert.ok(tiny.steps <= 300 && tiny.latent <= 16 && tiny.likelihood === "gaussian");
  assert.equal(resolveConfig("tiny", { "joint.beta": "1.5" }).joint.beta, 1.5);
  const bad: [string, string, RegExp][] = [
    ["joint.alpha", "1.5", /joint\.alpha must be in \[0, 1\].*current value is 1\.5/],
    ["joint.latent", "0", /joint\.latent must be an integer >= 1: current value is 0/],
    ["joint.likelihood", "normal", /joint\.likelihood must be one of laplace, gaussian/],
    ["joint.hidden", "", /joint\.hidden must list at least one width/],
    ["joint.lrFinal", "0", /joint\.lrFinal must be in \(0, 1\]/],
    ["joint.scale", "-1", /joint\.scale must be > 0: current value is -1/],
  ];
  for (const [key, value, re] of bad) {
    assert.throws(() => resolveConfig("tiny", { [key]: value }), re, `${key}=${value}`);
  }
});
