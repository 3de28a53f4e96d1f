/**
 * `reduction.select` "lift-ceiling": the total rank chosen by what the lift keeps, not by ε. The
 * lift ceiling (polyscore/eval/lift_ceiling.ts) of the R leading eigenvectors across blocks (the
 * same global greedy order as ε's selection) is measured on *train* tuples, so the test tuples that
 * evaluation uses choose nothing, and the smallest R whose mean over modalities is within
 * `reduction.liftGap` of full rank's is kept (binary search: the ceiling grows with R up to noise).
 * The ranks are saved as a checkpoint, so a resumed run, `polyscore eval` and the playground
 * restore them without classifiers.
 */
import { type LatentScorer, liftRoundTrip } from "../eval/lift_ceiling.ts";
import type { BlockSpectrum } from "../reduction/diagnostic.ts";
import { selectReduction } from "../reduction/diagnostic.ts";
import type { LiftComplement } from "../reduction/reduce.ts";
import type { Whitening } from "../reduction/whitening.ts";
import { Rng } from "../../engine/random.ts";
import type { PipelineContext } from "./context.ts";
import type { Latents } from "./stage_latents.ts";

/** One measured point of the search. */
export interface LiftSearchPoint {
  total_rank: number;
  ranks: number[];
  /** Mean lift ceiling over the scored modalities. */
  lift: number;
}

/** The search's record, for the report. */
export interface LiftSearch {
  gap: number;
  tuples: number;
  /** Mean accuracy of the full-rank lift (the reconstructions) on the same train tuples. */
  full: number;
  points: LiftSearchPoint[];
}

/**
 * Ranks of the R largest eigenvalues across the blocks' spectra, every block keeping at least one
 * (a modality with no coordinate would have nothing to condition on); ties go to the earlier block.
 */
export function ranksForTotal(spectra: readonly Pick<BlockSpectrum, "values">[], total: number) {
  const m = spectra.length;
  const dims = spectra.map((s) => s.values.length);
  const max = dims.reduce((a, b) => a + b, 0);
  if (!Number.isInteger(total) || total < m || total > max) {
    throw new RangeError(
      `Cannot choose ranks: the total rank must be an integer in [${m}, ${max}]: current value is ${total}`,
    );
  }
  const ranks = dims.map(() => 1);
  const rest: { v: number; b: number; i: number }[] = [];
  spectra.forEach((s, b) => s.values.forEach((v, i) => i > 0 && rest.push({ v, b, i })));
  // Descending values; within a block the spectrum is already descending, so prefixes are taken.
  rest.sort((x, y) => y.v - x.v || x.b - y.b || x.i - y.i);
  for (let k = 0; k < total - m; k++) ranks[rest[k].b]++;
  return ranks;
}

const CHECKPOINT = "reduction_ranks";

/**
 * The ranks of `reduction.select` "lift-ceiling": restored from the run's checkpoint, or searched
 * (needs `score`, the train-tuple scorer) and saved.
 */
export async function liftSelectedRanks(
  ctx: PipelineContext,
  h: Float64Array,
  whitening: Whitening,
  lat: Latents,
  complement: LiftComplement,
  score: LatentScorer | undefined,
): Promise<{ ranks: number[]; search: LiftSearch | null }> {
  const ck = ctx.run.loadCheckpoint(CHECKPOINT);
  if (ck?.metadata.done === "1") {
    const ranks = Array.from(ck.tensors.ranks.data, Number);
    ctx.log("reduction", `ranks chosen by the lift ceiling restored: [${ranks}]`);
    return { ranks, search: ck.metadata.search ? JSON.parse(ck.metadata.search) : null };
  }
  if (ctx.restoreOnly || !score) {
    throw new RangeError(
      `Cannot select ranks by the lift ceiling: the run has no ${CHECKPOINT} checkpoint and no scorer was given (reduction.select=lift-ceiling is chosen while training, after the classifiers)`,
    );
  }
  const r = ctx.cfg.reduction;
  const n = Math.min(ctx.train.count, r.liftTuples || ctx.train.count);
  const z = lat.train.subarray(0, n * lat.total);
  const rng = new Rng(ctx.cfg.seed * 7919 + 29);
  const xi = Float64Array.from({ length: n * lat.total }, () => rng.normal());
  const spectra = selectReduction(h, lat.dims, { ranks: lat.dims.map(() => 0) }).spectra;
  const meanLift = async (ranks: number[]) => {
    const sel = selectReduction(h, lat.dims, { ranks });
    const lifted = liftRoundTrip(whitening, sel, z, n, xi, complement);
    let sum = 0, count = 0;
    for (let m = 0; m < lat.dims.length; m++) {
      const s = await score(m, lifted, n);
      if (s) sum += s.reduce((a, b) => a + b, 0) / n, count++;
    }
    return count ? sum / count : NaN;
  };
  const full = await meanLift([...lat.dims]);
  const points: LiftSearchPoint[] = [];
  const ok = async (total: number) => {
    const ranks = ranksForTotal(spectra, total);
    const lift = await meanLift(ranks);
    points.push({ total_rank: total, ranks, lift });
    return lift >= full - r.liftGap;
  };
  // Smallest total in [M, D] that passes; D passes by definition (its lift is exact).
  let lo = lat.dims.length, hi = lat.total;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  const ranks = ranksForTotal(spectra, lo);
  const search: LiftSearch = { gap: r.liftGap, tuples: n, full, points };
  ctx.log(
    "reduction",
    `lift-ceiling selection on ${n} train tuples (${complement.kind} complement, gap ${r.liftGap}): full rank ${
      full.toFixed(3)
    }; ${
      points.map((p) => `${p.total_rank}: ${p.lift.toFixed(3)}`).join(", ")
    } → total ${lo} [${ranks}]`,
  );
  ctx.run.saveCheckpoint(CHECKPOINT, {
    ranks: { shape: [ranks.length], data: Float32Array.from(ranks) },
  }, { done: "1", search: JSON.stringify(search) });
  return { ranks, search };
}
