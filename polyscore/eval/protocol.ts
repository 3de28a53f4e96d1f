/**
 * The evaluation protocol: which conditioning subsets, which test tuples for each number of given
 * modalities, the incremental protocol's subsets, and the row layout of the sampler calls. Nothing
 * here depends on the method or on the prior's seed, so every method (and every seed) is scored on
 * the same tuples, with the same rows in the same sampler calls: the comparisons are paired.
 */
import { hash32, Rng } from "../../engine/random.ts";
import type { EvalConfig } from "../pipeline/config/mod.ts";
import { conditioningSubsets } from "./subsets.ts";

/** The rule behind the default tuple counts, as the report states it. */
export const TUPLE_RULE =
  "n_k = min(test tuples, max(eval.conditional, ceil(eval.outcomesPerGiven / pairs_k))), and at " +
  "least eval.tuplesLastGiven for k = M − 1; pairs_k = (subsets with k given) × (M − k) targets: " +
  "the binomial SE of each given-k mean is ≤ 0.5 / sqrt(outcomesPerGiven) per seed (0.01 at " +
  "2,500; the bootstrap SE in the report includes the correlation between targets of one tuple)";

/** One evaluation's plan, shared by every method and seed. */
export interface EvalPlan {
  modalities: number;
  /** Conditioning subsets (sorted modality indices), by size then lexicographically. */
  subsets: number[][];
  /** k → the test tuples scored with k given modalities (the first n_k of one permutation). */
  tuples: Map<number, Uint32Array>;
  /** The incremental protocol: one target, given the first i others (i = 1 … M − 1). */
  incremental: { target: number; subsets: number[][] };
  /** Conditional rows in sampler order: subset index and test tuple of each row. */
  rows: { subset: Uint32Array; tuple: Uint32Array };
}

/** Key of a (subset, target) pair, as `coherence_by_subset` names it: "0,2->1". */
export function pairKey(subset: readonly number[], target: number): string {
  return `${subset.join(",")}->${target}`;
}

/** (subset, target) pairs with k given modalities. */
export function pairsOfSize(plan: EvalPlan, k: number): [number[], number][] {
  const out: [number[], number][] = [];
  for (const s of plan.subsets) {
    if (s.length !== k) continue;
    for (let m = 0; m < plan.modalities; m++) if (!s.includes(m)) out.push([s, m]);
  }
  return out;
}

/** Tuples per number of given modalities k = 1 … M − 1, by {@link TUPLE_RULE} or as configured. */
export function tuplesPerSize(
  cfg: EvalConfig,
  subsets: readonly number[][],
  modalities: number,
  testCount: number,
): Map<number, number> {
  const out = new Map<number, number>();
  for (let k = 1; k < modalities; k++) {
    const pairs = subsets.filter((s) => s.length === k).length * (modalities - k);
    if (pairs === 0) continue;
    const given = cfg.tuplesBySize[k - 1];
    const n = cfg.tuplesBySize.length ? given : Math.max(
      cfg.conditional,
      Math.ceil(cfg.outcomesPerGiven / pairs),
      k === modalities - 1 ? cfg.tuplesLastGiven ?? 0 : 0,
    );
    out.set(k, Math.min(testCount, n));
  }
  return out;
}

/**
 * The plan of one evaluation. The tuple permutation is drawn from the run's seed (`runSeed`), not
 * a prior's, so seeds share tuples too (the bootstrap over seeds relies on it). The incremental
 * protocol's subsets are added when a sampled subset list (M > 5) lacks them.
 */
export function evalPlan(
  cfg: EvalConfig,
  modalities: number,
  testCount: number,
  runSeed: number,
): EvalPlan {
  const subsets = conditioningSubsets(modalities, cfg.subsetsPerSize, runSeed);
  const target = 0;
  const incremental = Array.from(
    { length: modalities - 1 },
    (_, i) => Array.from({ length: i + 1 }, (_, j) => j + 1),
  );
  for (const s of incremental) {
    if (!subsets.some((t) => t.join() === s.join())) subsets.push(s);
  }
  subsets.sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()));
  const counts = tuplesPerSize(cfg, subsets, modalities, testCount);
  const perm = new Rng(hash32((runSeed * 40503 + 0xe7a1) >>> 0)).permutation(testCount);
  const tuples = new Map<number, Uint32Array>();
  for (const [k, n] of counts) tuples.set(k, perm.slice(0, n));
  const total = subsets.reduce((a, s) => a + tuples.get(s.length)!.length, 0);
  const subset = new Uint32Array(total), tuple = new Uint32Array(total);
  let r = 0;
  subsets.forEach((s, i) => {
    for (const t of tuples.get(s.length)!) {
      subset[r] = i;
      tuple[r++] = t;
    }
  });
  return {
    modalities,
    subsets,
    tuples,
    incremental: { target, subsets: incremental },
    rows: { subset, tuple },
  };
}
