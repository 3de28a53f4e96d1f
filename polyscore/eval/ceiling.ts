/**
 * What the autoencoders allow, measured once per run and shared by every method: the classifiers'
 * score on each test tuple's reconstruction (the reconstruction ceiling — no prior can make a
 * generated modality more coherent than its decoder allows — kept per tuple so it can be averaged
 * over exactly the tuples coherence uses), the predicted digits of the reconstructions (for the
 * unconditional ceiling), the reconstruction error, and feature statistics of real test images and
 * of their reconstructions (the references of the Fréchet distances).
 */
import { modalityOf } from "../modality.ts";
import * as ops from "../../engine/ops/mod.ts";
import { noGrad, tidy } from "../../engine/tensor.ts";
import type { Autoencoder } from "../models/conv_vae.ts";
import { batchTensor, chunks, type PipelineContext } from "../pipeline/context.ts";
import {
  classifierFeatures,
  predictWithFeatures,
  scoreBatchWithFeatures,
  type Scorer,
} from "../pipeline/stage_classifier.ts";
import { frechetDistance, meanCov } from "./frechet.ts";

/** Mean and covariance of classifier features. */
export type FeatureStats = ReturnType<typeof meanCov>;

/** The per-run reference of the evaluation. */
export interface ReconstructionStats {
  /** Mean score of the reconstructions over all test tuples, per modality (null: not scored). */
  ceiling: (number | null)[];
  mse: number[];
  /** Score of each test tuple's reconstruction, per modality (null: not scored). */
  outcomes: (Float64Array | null)[];
  /** Digit predicted from each test tuple's reconstruction (null: no digit classifier). */
  predictions: (Int32Array | null)[];
  /** Feature statistics of the first `featureRows` real test images and of their reconstructions. */
  real: (FeatureStats | null)[];
  reconstructed: (FeatureStats | null)[];
  featureRows: number;
}

/**
 * Scores every test tuple's reconstruction and gathers the Fréchet references from the first
 * `featureRows` test tuples.
 */
export async function reconstructionStats(
  ctx: PipelineContext,
  aes: Autoencoder[],
  scorers: Scorer[],
  featureRows = Math.min(ctx.cfg.eval.unconditional, ctx.test.count),
): Promise<ReconstructionStats> {
  const out: ReconstructionStats = {
    ceiling: [],
    mse: [],
    outcomes: [],
    predictions: [],
    real: [],
    reconstructed: [],
    featureRows,
  };
  const count = ctx.test.count;
  for (const [m, spec] of ctx.dataset.modalities.entries()) {
    const scorer = scorers[m];
    const scored = scorer.kind !== "direct" || modalityOf(spec).scoring !== "classifier";
    const outcomes = new Float64Array(count);
    const preds = scorer.kind === "digit" ? new Int32Array(count) : null;
    const realF: number[] = [], reconF: number[] = [];
    let fdim = 0, sq = 0;
    for (const idx of chunks(count, 256)) {
      const t = tidy(() =>
        noGrad(() => {
          const x = batchTensor(ctx.backend, spec, ctx.test.data[m], idx);
          const r = ops.sigmoid(aes[m].decode(aes[m].encode(x).mu));
          return { x, r, err: ops.meanAll(ops.square(ops.sub(r, x))) };
        })
      );
      sq += (await t.err.item()) * idx.length;
      const take = Math.max(0, Math.min(idx.length, featureRows - idx[0]));
      const wantFeatures = take > 0 && scorer.kind !== "direct";
      // The reconstructions' features come from the pass that scores them (one classifier pass).
      let fc: Float32Array | Float64Array | null = null;
      if (preds) {
        const { digits: p, features } = await predictWithFeatures(scorer, t.r, wantFeatures);
        preds.set(p!, idx[0]);
        p!.forEach((d, b) => outcomes[idx[b]] = d === ctx.test.labels[idx[b]] ? 1 : 0);
        fc = features;
      } else if (scored) {
        const { scores, features } = await scoreBatchWithFeatures(
          ctx,
          scorer,
          spec,
          () => t.r,
          idx,
          m,
          wantFeatures,
        );
        outcomes.set(scores, idx[0]);
        fc = features;
      } // (not scored: a direct scorer, which has no features)
      if (wantFeatures) {
        const fr = (await classifierFeatures(scorer, t.x))!;
        fdim = fr.length / idx.length;
        realF.push(...fr.subarray(0, take * fdim));
        reconF.push(...fc!.subarray(0, take * fdim));
      }
      for (const v of [t.x, t.r, t.err]) v.dispose();
    }
    out.mse.push(sq / count);
    out.outcomes.push(scored ? outcomes : null);
    out.ceiling.push(scored ? outcomes.reduce((a, b) => a + b, 0) / count : null);
    out.predictions.push(preds);
    const stats = (f: number[]) => fdim ? meanCov(Float64Array.from(f), featureRows, fdim) : null;
    out.real.push(stats(realF));
    out.reconstructed.push(stats(reconF));
  }
  return out;
}

/** The Fréchet distance between reconstructions and real images per modality (the blur floor). */
export function reconstructionFrechet(stats: ReconstructionStats): (number | null)[] {
  return stats.real.map((r, m) => {
    const c = stats.reconstructed[m];
    return r && c ? frechetDistance(c, r) : null;
  });
}

/**
 * Agreement of M predictions per row: the size of the largest group of equal predictions, for
 * each row of (M arrays of) predicted digits.
 */
export function agreementCounts(preds: readonly Int32Array[], rows: number): Uint8Array {
  const out = new Uint8Array(rows);
  const counts = new Map<number, number>();
  for (let r = 0; r < rows; r++) {
    counts.clear();
    let best = 0;
    for (const p of preds) {
      const c = (counts.get(p[r]) ?? 0) + 1;
      counts.set(p[r], c);
      if (c > best) best = c;
    }
    out[r] = best;
  }
  return out;
}

/** Fractions of rows whose largest agreeing group has ≥ k members, k = 2 … M ("k" → fraction). */
export function atLeastAgree(agree: Uint8Array, modalities: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let k = 2; k <= modalities; k++) {
    out[String(k)] = agree.reduce((a, c) => a + (c >= k ? 1 : 0), 0) / Math.max(1, agree.length);
  }
  return out;
}
