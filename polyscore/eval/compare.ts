/**
 * From per-tuple outcomes to what a researcher can trust: per method and given count, the mean
 * with a bootstrap CI (over tuples, and seeds when several); for every pair of methods and given
 * count, the paired difference with its CI and whether it excludes 0; the incremental protocol;
 * and the ceilings averaged over exactly the tuples and pairs coherence uses.
 */
import type { MethodResult } from "../pipeline/stage_eval.ts";
import type { ReconstructionStats } from "./ceiling.ts";
import { agreementCounts, atLeastAgree } from "./ceiling.ts";
import type { PairedReport } from "../report/report.ts";
import { type EvalPlan, pairKey, pairsOfSize } from "./protocol.ts";
import { bootstrapMean, type BootstrapOptions, pairedDifference } from "./stats.ts";

/** One row of the paired-difference table: the report's own type. */
export type PairedRow = PairedReport;

/** Per-method statistics beyond the per-seed means. */
export interface MethodStats {
  ci_by_given: Record<string, [number, number]>;
  se_by_given: Record<string, number>;
  incremental: number[];
  incremental_ci: [number, number][];
}

/** Per tuple of the size-k tuples: the mean outcome over the (subset, target) pairs of size k. */
export function tupleScores(plan: EvalPlan, res: MethodResult, k: number): Float64Array {
  const pairs = pairsOfSize(plan, k);
  const n = plan.tuples.get(k)!.length;
  const out = new Float64Array(n);
  for (const [s, m] of pairs) {
    const o = res.outcomes.get(pairKey(s, m))!;
    for (let t = 0; t < n; t++) out[t] += o[t] / pairs.length;
  }
  return out;
}

/** Outcomes of the incremental protocol's step i (1-based) for one result. */
function incrementalOutcomes(plan: EvalPlan, res: MethodResult, i: number): Float64Array {
  return res.outcomes.get(pairKey(plan.incremental.subsets[i - 1], plan.incremental.target))!;
}

const givens = (plan: EvalPlan) => [...plan.tuples.keys()].sort((a, b) => a - b);

/** Means, CIs and the incremental curve of one method over its seeds. */
export function methodStats(
  plan: EvalPlan,
  runs: readonly MethodResult[],
  opts: BootstrapOptions,
): MethodStats {
  const out: MethodStats = {
    ci_by_given: {},
    se_by_given: {},
    incremental: [],
    incremental_ci: [],
  };
  for (const k of givens(plan)) {
    const e = bootstrapMean(runs.map((r) => tupleScores(plan, r, k)), opts);
    out.ci_by_given[String(k)] = [e.lo, e.hi];
    out.se_by_given[String(k)] = e.se;
  }
  for (let i = 1; i <= plan.incremental.subsets.length; i++) {
    const e = bootstrapMean(runs.map((r) => incrementalOutcomes(plan, r, i)), opts);
    out.incremental.push(e.mean);
    out.incremental_ci.push([e.lo, e.hi]);
  }
  return out;
}

/** Paired differences for every pair of methods (in the given order) and every given count. */
export function pairedTable(
  plan: EvalPlan,
  results: Readonly<Record<string, readonly MethodResult[]>>,
  opts: BootstrapOptions,
): PairedRow[] {
  const names = Object.keys(results);
  const rows: PairedRow[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = results[names[i]], b = results[names[j]];
      if (a.length !== b.length) continue;
      for (const k of givens(plan)) {
        const e = pairedDifference(
          a.map((r) => tupleScores(plan, r, k)),
          b.map((r) => tupleScores(plan, r, k)),
          opts,
        );
        rows.push({
          a: names[i],
          b: names[j],
          given: String(k),
          diff: e.mean,
          se: e.se,
          lo: e.lo,
          hi: e.hi,
          significant: e.significant,
        });
      }
    }
  }
  return rows;
}

/**
 * The reconstruction ceiling on the tuples and pairs of coherence: by given count (null when a
 * target modality is not scored) and along the incremental protocol.
 */
export function ceilingOnPlan(plan: EvalPlan, recon: ReconstructionStats) {
  const byGiven: Record<string, number> = {};
  for (const k of givens(plan)) {
    const tuples = plan.tuples.get(k)!;
    const pairs = pairsOfSize(plan, k);
    if (pairs.some(([, m]) => !recon.outcomes[m])) continue;
    let sum = 0;
    for (const [, m] of pairs) for (const t of tuples) sum += recon.outcomes[m]![t];
    byGiven[String(k)] = sum / (pairs.length * tuples.length);
  }
  const target = recon.outcomes[plan.incremental.target];
  const incremental = target
    ? plan.incremental.subsets.map((s) => {
      const tuples = plan.tuples.get(s.length)!;
      let sum = 0;
      for (const t of tuples) sum += target[t];
      return sum / tuples.length;
    })
    : null;
  return { byGiven, incremental };
}

/**
 * The unconditional ceiling: over all test tuples, the fraction whose M reconstructions are all
 * classified alike, and the "≥ k agree" fractions; null without a digit classifier per modality.
 */
export function unconditionalCeiling(recon: ReconstructionStats) {
  if (recon.predictions.some((p) => !p)) return null;
  const preds = recon.predictions as Int32Array[];
  const m = preds.length;
  const atLeast = atLeastAgree(agreementCounts(preds, preds[0].length), m);
  return { all_agree: atLeast[String(m)], at_least: atLeast };
}
