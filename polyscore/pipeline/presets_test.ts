import assert from "node:assert/strict";
import { evalPlan } from "../eval/protocol.ts";
import { resolveConfig } from "./config/mod.ts";

Deno.test("extended-quick: 10 modalities, and the evaluation it was sized for (7,350 rows, ≥ 100 tuples per given count)", () => {
  const cfg = resolveConfig("extended-quick");
  assert.equal(cfg.modalities, 10);
  assert.equal(cfg.data, "polymnist");
  // The time estimate in README ("The extended-quick preset") assumes this plan: a change of the
  // protocol or the preset that grows it must revisit the estimate.
  const plan = evalPlan(cfg.eval, cfg.modalities, cfg.testLimit, cfg.seed);
  assert.equal(plan.rows.tuple.length, 7350);
  for (const [k, t] of plan.tuples) assert.ok(t.length >= 100, `given ${k}: ${t.length} tuples`);
  assert.equal(plan.tuples.get(9)!.length, 500);
  // The same preset with M = 5 (the mission grid's other axis value) is valid too.
  assert.equal(resolveConfig("extended-quick", { modalities: "5" }).modalities, 5);
});
