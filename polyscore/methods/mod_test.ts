import assert from "node:assert/strict";
import { resolveConfig } from "../pipeline/config.ts";
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
