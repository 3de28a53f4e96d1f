/**
 * From per-tuple outcomes to the report's statistics, on synthetic outcomes with known answers:
 * tuple scores average to coherence_by_given's definition, the paired table finds a planted
 * difference and not a null one, and the ceilings average over exactly the plan's cells.
 */
import assert from "node:assert/strict";
import { Rng } from "../../engine/random.ts";
import { resolveConfig } from "../pipeline/config/mod.ts";
import type { MethodResult } from "../pipeline/stage_eval.ts";
import type { ReconstructionStats } from "./ceiling.ts";
import { ceilingOnPlan, methodStats, pairedTable, tupleScores } from "./compare.ts";
import { type EvalPlan, evalPlan, pairKey } from "./protocol.ts";

/** A result whose outcome on (pair, tuple) is Bernoulli(p(pair)) from `seed`. */
function synthetic(plan: EvalPlan, p: (s: number[], m: number) => number, seed: number) {
  const rng = new Rng(seed);
  const outcomes = new Map<string, Float64Array>();
  for (const s of plan.subsets) {
    const n = plan.tuples.get(s.length)!.length;
    for (let m = 0; m < plan.modalities; m++) {
      if (s.includes(m)) continue;
      outcomes.set(
        pairKey(s, m),
        Float64Array.from({ length: n }, () => +(rng.uniform() < p(s, m))),
      );
    }
  }
  return { outcomes } as MethodResult;
}

const cfg = resolveConfig("quick", { modalities: "3", "eval.tuplesBySize": "300,200" }).eval;
const plan = evalPlan(cfg, 3, 400, 1);

Deno.test("tupleScores: their mean is the mean over (subset, target) pairs of size k", () => {
  const r = synthetic(plan, (s, m) => 0.1 + 0.2 * m + 0.1 * s.length, 3);
  for (const k of [1, 2]) {
    const keys = [...r.outcomes.keys()].filter((key) => key.split("->")[0].split(",").length === k);
    const pairMean = keys.map((key) =>
      r.outcomes.get(key)!.reduce((a, b) => a + b, 0) /
      r.outcomes.get(key)!.length
    ).reduce((a, b) => a + b, 0) / keys.length;
    const ts = tupleScores(plan, r, k);
    assert.ok(Math.abs(ts.reduce((a, b) => a + b, 0) / ts.length - pairMean) < 1e-12);
  }
});

Deno.test("pairedTable: a planted +0.15 is significant, two draws of the same method are not", () => {
  const good = [1, 2].map((s) => synthetic(plan, () => 0.45, s));
  const base = [1, 2].map((s) => synthetic(plan, () => 0.3, 10 + s));
  const same = [1, 2].map((s) => synthetic(plan, () => 0.3, 20 + s));
  const rows = pairedTable(plan, { good, base, same }, { reps: 500 });
  assert.equal(rows.length, 3 * 2, "3 pairs × 2 given counts");
  for (const r of rows.filter((x) => x.a === "good")) {
    assert.ok(r.significant && r.lo < 0.15 && 0.15 < r.hi, JSON.stringify(r));
  }
  for (const r of rows.filter((x) => x.a === "base" && x.b === "same")) {
    assert.ok(Math.abs(r.diff) < 3 * r.se, JSON.stringify(r));
  }
  const st = methodStats(plan, good, { reps: 500 });
  assert.ok(st.ci_by_given["1"][0] < 0.45 && 0.45 < st.ci_by_given["1"][1]);
  assert.equal(st.incremental.length, 2);
});

Deno.test("ceilingOnPlan: averages the reconstruction outcomes over the plan's tuples only", () => {
  // Tuple t's reconstruction is right iff t < 200 for m0, always for m1, never for m2.
  const outcomes = [
    Float64Array.from({ length: 400 }, (_, t) => +(t < 200)),
    new Float64Array(400).fill(1),
    new Float64Array(400),
  ];
  const recon = { outcomes } as unknown as ReconstructionStats;
  const c = ceilingOnPlan(plan, recon);
  const frac = (k: number) =>
    Array.from(plan.tuples.get(k)!).filter((t) => t < 200).length / plan.tuples.get(k)!.length;
  // Given 1: pairs {0}->1, {0}->2, {1}->0, {1}->2, {2}->0, {2}->1.
  assert.ok(Math.abs(c.byGiven["1"] - (2 * frac(1) + 2 * 1 + 2 * 0) / 6) < 1e-12);
  assert.ok(Math.abs(c.byGiven["2"] - (frac(2) + 1 + 0) / 3) < 1e-12);
  assert.deepEqual(c.incremental, [frac(1), frac(2)]);
});
