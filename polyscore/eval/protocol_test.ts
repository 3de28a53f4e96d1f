/**
 * The evaluation plan: the tuple rule's counts for the presets, that the plan is a function of
 * the configuration and the run's seed only (so every method and prior seed gets the same tuples
 * and rows), nested tuple sets, and the incremental protocol's subsets.
 */
import assert from "node:assert/strict";
import { resolveConfig } from "../pipeline/config/mod.ts";
import { callSeed } from "../pipeline/stage_eval.ts";
import { evalPlan, pairsOfSize, tuplesPerSize } from "./protocol.ts";
import { conditioningSubsets } from "./subsets.ts";

Deno.test("tuple rule: quick gets 125/100/125/1000 tuples (≥ 2,500 outcomes per given count)", () => {
  const cfg = resolveConfig("quick");
  const counts = tuplesPerSize(cfg.eval, conditioningSubsets(5, 5, 1), 5, 2000);
  assert.deepEqual([...counts], [[1, 125], [2, 100], [3, 125], [4, 1000]]);
  for (const [k, n] of counts) {
    const pairs = conditioningSubsets(5, 5, 1).filter((s) => s.length === k).length * (5 - k);
    assert.ok(pairs * n >= cfg.eval.outcomesPerGiven, `k = ${k}: ${pairs} × ${n}`);
  }
  // polymnist keeps its 1,000 per subset (eval.conditional is the floor); tiny uses all 512.
  const poly = resolveConfig("polymnist");
  assert.deepEqual(
    [...tuplesPerSize(poly.eval, conditioningSubsets(5, 5, 1), 5, 10000).values()],
    [1000, 1000, 1000, 1000],
  );
  const tiny = resolveConfig("tiny");
  assert.deepEqual([...tuplesPerSize(tiny.eval, [[0], [1]], 2, 512)], [[1, 512]]);
  // Explicit counts win, capped by the test set.
  const set = resolveConfig("quick", { "eval.tuplesBySize": "10,20,30,5000" });
  assert.deepEqual(
    [...tuplesPerSize(set.eval, conditioningSubsets(5, 5, 1), 5, 2000).values()],
    [10, 20, 30, 2000],
  );
  assert.throws(
    () => resolveConfig("quick", { "eval.tuplesBySize": "10,20" }),
    /eval.tuplesBySize must give one count per number of given modalities \(4\)/,
  );
});

Deno.test("evalPlan: nested tuple sets from the run's seed, rows grouped by subset", () => {
  const cfg = resolveConfig("quick").eval;
  const a = evalPlan(cfg, 5, 2000, 1), b = evalPlan(cfg, 5, 2000, 1);
  assert.deepEqual(a.rows, b.rows, "the plan is a function of (config, M, test count, run seed)");
  assert.equal(a.rows.subset.length, 5 * 125 + 10 * 100 + 10 * 125 + 5 * 1000);
  const t1 = a.tuples.get(1)!, t4 = a.tuples.get(4)!;
  assert.deepEqual(Array.from(t1), Array.from(t4.subarray(0, 125)), "smaller sets are prefixes");
  assert.equal(new Set(t4).size, 1000, "no tuple twice");
  assert.notDeepEqual(Array.from(t1.subarray(0, 20)), Array.from({ length: 20 }, (_, i) => i));
  // Rows of one subset are contiguous and list that size's tuples in order.
  for (let r = 1; r < a.rows.subset.length; r++) {
    assert.ok(a.rows.subset[r] >= a.rows.subset[r - 1]);
  }
  const first4 = a.rows.subset.indexOf(a.subsets.findIndex((s) => s.length === 4));
  assert.deepEqual(Array.from(a.rows.tuple.subarray(first4, first4 + 1000)), Array.from(t4));
  assert.equal(pairsOfSize(a, 2).length, 30);
  assert.notDeepEqual(
    evalPlan(cfg, 5, 2000, 2).tuples.get(1),
    t1,
    "another run seed, other tuples",
  );
});

Deno.test("evalPlan: the incremental protocol's subsets are evaluated even when subsets are sampled", () => {
  const cfg = resolveConfig("extended").eval;
  const plan = evalPlan(cfg, 10, 10000, 1);
  assert.equal(plan.incremental.target, 0);
  assert.deepEqual(plan.incremental.subsets[2], [1, 2, 3]);
  for (const s of plan.incremental.subsets) {
    assert.ok(plan.subsets.some((t) => t.join() === s.join()), `missing [${s}]`);
  }
});

Deno.test("callSeed: depends on the prior seed, the call and the stream, and nothing else", () => {
  assert.equal(callSeed(1, 0, "conditional"), callSeed(1, 0, "conditional"));
  const seeds = new Set<number>();
  for (let s = 1; s <= 5; s++) {
    for (let c = 0; c < 4; c++) {
      for (const k of ["conditional", "unconditional"] as const) seeds.add(callSeed(s, c, k));
    }
  }
  assert.equal(seeds.size, 40, "no two (seed, call, stream) share noise");
});
