import assert from "node:assert/strict";
import { methodsNamed } from "../methods/mod.ts";
import { resolveConfig } from "./config/mod.ts";
import { reductionWanted } from "./stage_reduction.ts";

Deno.test("reductionWanted: a method that needs the reduction gets it; otherwise reduction.enabled decides", () => {
  const off = resolveConfig("tiny", {
    "reduction.enabled": "false",
    methods: "sbm-ae,independent",
  });
  assert.equal(reductionWanted(off, methodsNamed(off.methods)), false);
  // Before, `enabled=false` silently dropped sbm-srr and whitened from the run.
  for (const m of ["sbm-srr", "whitened"]) {
    const cfg = resolveConfig("tiny", { "reduction.enabled": "false", methods: `sbm-ae,${m}` });
    assert.equal(reductionWanted(cfg, methodsNamed(cfg.methods)), true, m);
  }
  const on = resolveConfig("tiny", { methods: "sbm-ae" });
  assert.equal(on.reduction.enabled, true);
  assert.equal(reductionWanted(on, methodsNamed(on.methods)), true);
});
