/**
 * Stage 4, evaluation, the same for every method: conditional coherence for every conditioning
 * subset (batched into few sampler runs), unconditional coherence (all classifiers agree),
 * Fréchet distances in our classifiers' feature space (not Inception FID), and sample grids.
 * A method is anything that returns decoded samples of the unobserved modalities: a
 * {@link TrainedMethod} (polyscore/methods/).
 */
import { modalityOf } from "../modality.ts";
import { encodePng } from "../data/png.ts";
import { noGrad, Tensor, tidy } from "../../engine/tensor.ts";
import type { TrainedMethod } from "../methods/method.ts";
import type { PipelineContext } from "./context.ts";
import { frechetDistance, meanCov } from "../eval/frechet.ts";
import { scoreBatch, type Scorer } from "./stage_classifier.ts";

/** The results of one method, as `report.json` stores them (means; stds are added across seeds). */
export interface MethodResult {
  coherence_by_given: Record<string, number>;
  coherence_by_target: number[];
  coherence_by_subset: Record<string, number>;
  unconditional_coherence: number | null;
  fd_by_modality: (number | null)[];
  wall_seconds: number;
}

const DECODE_CHUNK = 512;

/** Mean scores per (subset, target) of a method's conditional generations on test tuples. */
async function conditional(
  ctx: PipelineContext,
  method: TrainedMethod,
  scorers: Scorer[],
  subsets: number[][],
  seed: number,
): Promise<Map<string, number>> {
  const mods = ctx.dataset.modalities.length;
  const n = Math.min(ctx.cfg.eval.conditional, ctx.test.count);
  const rowsPerRun = Math.max(n, Math.floor(8192 / n) * n);
  const out = new Map<string, number>();
  for (let s0 = 0; s0 < subsets.length; s0 += Math.max(1, rowsPerRun / n)) {
    const group = subsets.slice(s0, s0 + Math.max(1, rowsPerRun / n));
    const rows = group.length * n;
    const mask = new Uint8Array(rows * mods);
    const tuples = new Uint32Array(rows);
    group.forEach((s, g) => {
      for (let i = 0; i < n; i++) {
        const r = g * n + i;
        for (const m of s) mask[r * mods + m] = 1;
        tuples[r] = i;
      }
    });
    const gen = await method.generate({ rows, mask, tuples }, { seed: seed + s0 });
    for (let m = 0; m < mods; m++) {
      const spec = ctx.dataset.modalities[m];
      const targetRows: number[] = [];
      group.forEach((s, g) => {
        if (!s.includes(m)) { for (let i = 0; i < n; i++) targetRows.push(g * n + i); }
      });
      const scores: number[] = [];
      for (let c = 0; c < targetRows.length; c += DECODE_CHUNK) {
        const which = targetRows.slice(c, c + DECODE_CHUNK);
        const tuple = which.map((r) => r % n);
        scores.push(
          ...await scoreBatch(ctx, scorers[m], spec, () => gen.decoded(m, which), tuple, m),
        );
      }
      let k = 0;
      group.forEach((s) => {
        if (s.includes(m)) return;
        let sum = 0;
        for (let i = 0; i < n; i++) sum += scores[k++];
        out.set(`${s.join(",")}->${m}`, sum / n);
      });
    }
    gen.dispose();
    ctx.run.setStage(`eval/${method.name}`, Math.min(1, (s0 + group.length) / subsets.length));
  }
  return out;
}

/** Predicted digit per row from a digit scorer's logits. */
async function predictDigits(scorer: Scorer, x: Tensor): Promise<Int32Array> {
  if (scorer.kind !== "digit") {
    throw new Error("Cannot predict digits: modality has no digit classifier");
  }
  const logits = tidy(() => noGrad(() => scorer.clf.forward(x)));
  const v = await logits.data();
  logits.dispose();
  const k = scorer.clf.classes, rows = x.shape[0];
  const out = new Int32Array(rows);
  for (let b = 0; b < rows; b++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (v[b * k + j] > v[b * k + best]) best = j;
    out[b] = best;
  }
  return out;
}

async function features(scorer: Scorer, x: Tensor): Promise<Float32Array | Float64Array | null> {
  if (scorer.kind === "direct") return null;
  const f = tidy(() => noGrad(() => scorer.clf.featuresOf(x)));
  const v = await f.data();
  f.dispose();
  return v;
}

/** Unconditional coherence and per-modality Fréchet distances against real test images. */
async function unconditional(
  ctx: PipelineContext,
  method: TrainedMethod,
  scorers: Scorer[],
  seed: number,
): Promise<{ coherence: number | null; fd: (number | null)[] }> {
  const mods = ctx.dataset.modalities.length;
  const rows = ctx.cfg.eval.unconditional;
  const gen = await method.generate(
    { rows, mask: new Uint8Array(rows * mods), tuples: new Uint32Array(rows) },
    { seed },
  );
  const digits = scorers.every((s) => s.kind === "digit");
  const preds: Int32Array[] = [];
  const fd: (number | null)[] = [];
  for (let m = 0; m < mods; m++) {
    const spec = ctx.dataset.modalities[m];
    const genFeat: number[] = [], realFeat: number[] = [];
    const mPreds = new Int32Array(rows);
    let fdim = 0;
    for (let c = 0; c < rows; c += DECODE_CHUNK) {
      const which = Array.from({ length: Math.min(DECODE_CHUNK, rows - c) }, (_, i) => c + i);
      const xi = gen.decoded(m, which);
      if (digits) mPreds.set(await predictDigits(scorers[m], xi), c);
      const f = await features(scorers[m], xi);
      if (f) {
        fdim = f.length / which.length;
        genFeat.push(...f);
      }
      xi.dispose();
    }
    preds.push(mPreds);
    if (fdim === 0) {
      fd.push(null);
      continue;
    }
    const nReal = Math.min(rows, ctx.test.count);
    const n = spec.shape.reduce((a, b) => a * b, 1);
    for (let c = 0; c < nReal; c += DECODE_CHUNK) {
      const len = Math.min(DECODE_CHUNK, nReal - c);
      const data = new Float32Array(len * n);
      for (let j = 0; j < len * n; j++) data[j] = ctx.test.data[m][c * n + j] / 255;
      const x = Tensor.from(ctx.backend, data, [len, ...spec.shape]);
      realFeat.push(...(await features(scorers[m], x))!);
      x.dispose();
    }
    fd.push(
      frechetDistance(
        meanCov(Float64Array.from(genFeat), rows, fdim),
        meanCov(Float64Array.from(realFeat), nReal, fdim),
      ),
    );
  }
  gen.dispose();
  let coherence: number | null = null;
  if (digits) {
    let agree = 0;
    for (let r = 0; r < rows; r++) if (preds.every((p) => p[r] === preds[0][r])) agree++;
    coherence = agree / rows;
  }
  return { coherence, fd };
}

/** Evaluates one method with one seed. */
export async function evaluateMethod(
  ctx: PipelineContext,
  method: TrainedMethod,
  scorers: Scorer[],
  subsets: number[][],
  seed: number,
): Promise<MethodResult> {
  const t0 = performance.now();
  const mods = ctx.dataset.modalities.length;
  const cond = await conditional(ctx, method, scorers, subsets, seed);
  const byGiven: Record<string, number> = {};
  for (let k = 1; k < mods; k++) {
    const vals = subsets.filter((s) => s.length === k).flatMap((s) =>
      Array.from({ length: mods }, (_, m) => m).filter((m) => !s.includes(m)).map((m) =>
        cond.get(`${s.join(",")}->${m}`)!
      )
    );
    if (vals.length) byGiven[String(k)] = vals.reduce((a, b) => a + b, 0) / vals.length;
  }
  const byTarget = Array.from({ length: mods }, (_, m) => {
    const vals = subsets.filter((s) => !s.includes(m)).map((s) =>
      cond.get(`${s.join(",")}->${m}`)!
    );
    return vals.reduce((a, b) => a + b, 0) / Math.max(1, vals.length);
  });
  const unc = await unconditional(ctx, method, scorers, seed + 7777);
  return {
    coherence_by_given: byGiven,
    coherence_by_target: byTarget,
    coherence_by_subset: Object.fromEntries(cond),
    unconditional_coherence: unc.coherence,
    fd_by_modality: unc.fd,
    wall_seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * A PNG grid of generations: row 0 the observed modality of a few test tuples, then one row per
 * other modality generated from it (given = one modality), plus the truth below when images.
 */
export async function conditionalGrid(
  ctx: PipelineContext,
  method: TrainedMethod,
  given: number,
  cols: number,
  seed: number,
): Promise<Uint8Array | null> {
  const mods = ctx.dataset.modalities.length;
  const specs = ctx.dataset.modalities;
  if (specs.some((s) => !modalityOf(s).spatial)) return null;
  const [, h, w] = specs[0].shape;
  if (specs.some((s) => s.shape[1] !== h || s.shape[2] !== w)) return null;
  const n = Math.min(cols, ctx.test.count);
  const mask = new Uint8Array(n * mods);
  const tuples = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) mask[i * mods + given] = 1;
  const gen = await method.generate({ rows: n, mask, tuples }, { seed });
  const pad = 2, W = n * (w + pad) + pad, H = mods * (h + pad) + pad;
  const img = new Uint8Array(W * H * 3).fill(255);
  for (let m = 0; m < mods; m++) {
    const spec = specs[m];
    let pix: ArrayLike<number>;
    if (m === given) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      pix = Array.from(ctx.test.data[m].subarray(0, n * size), (v) => v / 255);
    } else {
      const x = gen.decoded(m, Array.from({ length: n }, (_, i) => i));
      pix = await x.data();
      x.dispose();
    }
    const ch = spec.shape[0];
    for (let i = 0; i < n; i++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          for (let k = 0; k < 3; k++) {
            const src = ((i * ch + (ch === 1 ? 0 : k)) * h + y) * w + xx;
            const dst = ((pad + m * (h + pad) + y) * W + pad + i * (w + pad) + xx) * 3 + k;
            img[dst] = Math.max(0, Math.min(255, Math.round(pix[src] * 255)));
          }
        }
      }
    }
  }
  gen.dispose();
  return encodePng({ width: W, height: H, channels: 3, data: img });
}
