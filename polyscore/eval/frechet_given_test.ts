import assert from "node:assert/strict";
import { Rng } from "../../engine/random.ts";
import { resolveConfig } from "../pipeline/config/mod.ts";
import { meanCov } from "./frechet.ts";
import { FeatureBank, frechetByGiven, frechetPlan } from "./frechet_given.ts";
import { evalPlan } from "./protocol.ts";

/** Rows of target m with k given, counted from the plan itself. */
function rowsOf(plan: ReturnType<typeof evalPlan>, m: number, k: number): number[] {
  const out: number[] = [];
  plan.rows.subset.forEach((si, r) => {
    const s = plan.subsets[si];
    if (s.length === k && !s.includes(m)) out.push(r);
  });
  return out;
}

Deno.test("frechetPlan: every given count of a target gets the same n_m rows, one slot each, spread over subsets and distinct tuples first", () => {
  for (const [mods, refRows] of [[5, 200], [4, 1000], [7, 150]] as const) {
    const cfg = resolveConfig("quick", { modalities: String(mods) }).eval;
    const plan = evalPlan(cfg, mods, 600, 3);
    const fp = frechetPlan(plan, refRows);
    for (let m = 0; m < mods; m++) {
      const counts = [...plan.tuples.keys()].map((k) => rowsOf(plan, m, k).length)
        .filter((c) => c > 0);
      assert.equal(fp.rows[m], Math.min(refRows, ...counts), `M=${mods} m=${m}: n_m`);
      for (const k of plan.tuples.keys()) {
        const rows = rowsOf(plan, m, k);
        if (!rows.length) continue;
        const used = rows.filter((r) => fp.slot[m][r] >= 0);
        const slots = used.map((r) => fp.slot[m][r]).sort((a, b) => a - b);
        assert.deepEqual(slots, Array.from({ length: fp.rows[m] }, (_, i) => i), `m=${m} k=${k}`);
        const nk = plan.tuples.get(k)!.length;
        const tuples = used.map((r) => plan.rows.tuple[r]);
        // Distinct tuples as long as there are enough (pass 0), then each at most ⌈n/n_k⌉ times.
        const most = Math.max(...[...Map.groupBy(tuples, (t) => t).values()].map((g) => g.length));
        assert.equal(most, Math.ceil(fp.rows[m] / nk), `m=${m} k=${k}: repeats of a tuple`);
        // Every subset of (m, k) contributes: within a pass over the tuples the shares differ by
        // at most one row, so overall by at most the number of passes.
        const per = Map.groupBy(used, (r) => plan.rows.subset[r]);
        const subsets = new Set(rows.map((r) => plan.rows.subset[r])).size;
        const share = [...per.values()].map((g) => g.length);
        if (fp.rows[m] >= subsets) assert.equal(per.size, subsets, `m=${m} k=${k}: subsets`);
        assert.ok(
          Math.max(...share) - Math.min(...share) <= Math.ceil(fp.rows[m] / nk),
          `m=${m} k=${k}: shares ${share}`,
        );
      }
    }
    // Rows outside (m, k) — m given — are never used.
    plan.rows.subset.forEach((si, r) => {
      for (const m of plan.subsets[si]) assert.equal(fp.slot[m][r], -1);
    });
  }
});

Deno.test("FeatureBank: the distance of the rows' features is the one of their mean and covariance, and a skipped row is an error", () => {
  const cfg = resolveConfig("quick", { modalities: "3", "eval.tuplesBySize": "6,5" }).eval;
  const plan = evalPlan(cfg, 3, 20, 1);
  const fp = frechetPlan(plan, 100);
  assert.deepEqual(fp.rows, [5, 5, 5]); // k = 2 has one subset per target and 5 tuples
  const d = 3, rng = new Rng(4);
  const feat = (r: number, m: number) =>
    Array.from({ length: d }, (_, j) => Math.sin(r * 1.7 + j * 0.3 + m) + 0.1 * rng.normal());
  const bank = new FeatureBank(fp);
  const kept = new Map<string, number[]>();
  for (let m = 0; m < 3; m++) {
    const rows = [...rowsOf(plan, m, 1), ...rowsOf(plan, m, 2)];
    const f = rows.map((r) => feat(r, m));
    assert.equal(bank.wants(m, rows), true);
    bank.add(m, rows, f.flat());
    rows.forEach((r, i) => {
      if (fp.slot[m][r] < 0) return;
      const key = `${m},${fp.given[r]}`;
      kept.set(key, [...(kept.get(key) ?? []), ...f[i]]);
    });
  }
  assert.equal(bank.bytes, 3 * 2 * 5 * d * 4);
  const ref = meanCov(Float64Array.from({ length: 40 * d }, () => rng.normal()), 40, d);
  const out = frechetByGiven(bank, { real: [ref, null, ref], reconstructed: [null, ref, ref] });
  for (const k of ["1", "2"]) {
    assert.equal(out.real[k][1], null);
    assert.equal(out.reconstructed[k][0], null);
    for (const m of [0, 2]) {
      const own = meanCov(Float32Array.from(kept.get(`${m},${k}`)!), 5, d);
      const again = frechetByGiven(bank, { real: [own, own, own], reconstructed: [ref, ref, ref] });
      assert.ok(Math.abs(again.real[k][m]!) < 1e-9, `FD of a set to itself: ${again.real[k][m]}`);
      assert.ok(out.real[k][m]! > 0.1);
    }
  }
  const partial = new FeatureBank(fp);
  const rows = rowsOf(plan, 0, 1).filter((r) => fp.slot[0][r] >= 0).slice(1);
  partial.add(0, rows, rows.flatMap((r) => feat(r, 0)));
  assert.throws(
    () => frechetByGiven(partial, { real: [ref, null, null], reconstructed: [null, null, null] }),
    /Cannot compute the Fréchet distance of modality 0 given 1: 4 of its 5 rows were gathered/,
  );
});
