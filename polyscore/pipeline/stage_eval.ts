/**
 * Stage 4, evaluation, the same for every method: conditional coherence for every conditioning
 * subset on the plan's tuples (polyscore/eval/protocol.ts; the same tuples, rows and sampler calls
 * for every method, so methods are paired), with every per-tuple outcome kept for the confidence
 * intervals; unconditional coherence (all classifiers agree, and "≥ k agree"); Fréchet distances in
 * our classifiers' feature space (not Inception FID) against real test images and against the
 * autoencoders' reconstructions of them; and sample grids. A method is anything that returns
 * decoded samples of the unobserved modalities: a {@link TrainedMethod} (polyscore/methods/).
 */
import { modalityOf } from "../modality.ts";
import { encodePng } from "../data/png.ts";
import { hash32 } from "../../engine/random.ts";
import { Progress } from "../../engine/progress.ts";
import type { TrainedMethod } from "../methods/method.ts";
import type { PipelineContext } from "./context.ts";
import { agreementCounts, atLeastAgree, type ReconstructionStats } from "../eval/ceiling.ts";
import { frechetDistance, meanCov } from "../eval/frechet.ts";
import {
  FeatureBank,
  type FrechetByGiven,
  frechetByGiven,
  frechetPlan,
} from "../eval/frechet_given.ts";
import { type EvalPlan, pairKey } from "../eval/protocol.ts";
import { predictWithFeatures, scoreBatchWithFeatures, type Scorer } from "./stage_classifier.ts";
import { calibrateScoreScale } from "../eval/score_scale.ts";
import type { ScoreScaleChoice } from "../report/report.ts";

/** The results of one method with one seed (means; the report adds stds and CIs across seeds). */
export interface MethodResult {
  coherence_by_given: Record<string, number>;
  coherence_by_target: number[];
  coherence_by_subset: Record<string, number>;
  unconditional_coherence: number | null;
  /** Fractions of unconditional samples whose largest agreeing group has ≥ k members. */
  unconditional_at_least: Record<string, number> | null;
  fd_by_modality: (number | null)[];
  /** Fréchet distance against the autoencoders' reconstructions of the same test images. */
  fd_vs_reconstruction: (number | null)[];
  /**
   * Fréchet distance of the conditional samples of each target modality by number of given
   * modalities ("k" → per target; null: no classifier features), against the real test images and
   * against their reconstructions: polyscore/eval/frechet_given.ts.
   */
  fd_by_given: FrechetByGiven;
  fd_by_given_vs_reconstruction: FrechetByGiven;
  wall_seconds: number;
  /** γ, the factor on every score the sampler used (null: the method samples no score prior). */
  score_scale: number | null;
  /** How γ was chosen from the data (`prior.scoreScaleAuto`), or null: the configured γ. */
  score_scale_choice: ScoreScaleChoice | null;
  /** pairKey(S, m) → outcome of each of the plan's tuples for |S| (in the plan's order). */
  outcomes: Map<string, Float64Array>;
}

/** The scoring references a method's evaluation needs. */
export interface EvalReference {
  plan: EvalPlan;
  scorers: Scorer[];
  recon: ReconstructionStats;
  /**
   * The all-agree fraction of the reconstructions of the first n train tuples, the target of
   * `prior.scoreScaleAuto` (polyscore/eval/score_scale.ts; computed on first use, then kept).
   */
  agreementTarget?: (n: number) => Promise<number>;
}

const DECODE_CHUNK = 512;
/** Rows per generate call: one call per method for the quick preset (10k rows). */
const CALL_ROWS = 16384;

/** Seconds between the run store's progress updates during an evaluation (the dashboard's view). */
const STAGE_EVERY_S = 2;

/**
 * Progress of one method's evaluation in generated rows (the conditional rows of the plan, then
 * the unconditional ones): the progress line as the training stages' (silenced by --quiet), and
 * the stage's progress in the run store for the dashboard, which also keeps the heartbeat fresh
 * while a long sampler call blocks the event loop. Only observes: no number depends on it.
 */
class EvalProgress {
  readonly #bar: Progress;
  #lastStage = -Infinity;

  constructor(
    readonly ctx: PipelineContext,
    readonly stage: string,
    readonly total: number,
    readonly note: string,
  ) {
    this.#bar = new Progress(stage, total, "rows", ctx.quiet);
  }

  /** Sets the rows generated so far. */
  update(done: number): void {
    this.#bar.update(done, this.note);
    const now = this.#bar.elapsed;
    if (now - this.#lastStage < STAGE_EVERY_S) return;
    this.#lastStage = now;
    this.ctx.run.setStage(this.stage, Math.min(1, done / Math.max(1, this.total)));
  }

  /** Prints the final line and records the stage as done. */
  finish(): void {
    this.#bar.update(this.total);
    this.#bar.finish(this.note);
    this.ctx.run.setStage(this.stage, 1);
  }
}

/** The seed of sampler call `call` of an evaluation with prior seed `seed` (method-independent). */
export function callSeed(
  seed: number,
  call: number,
  stream: "conditional" | "unconditional" | "calibration",
) {
  const k = stream === "conditional" ? 1 : stream === "unconditional" ? 2 : 3;
  return hash32((seed * 7919 + call * 104729 + k) >>> 0);
}

/**
 * Per-tuple outcomes of a method's conditional generations, for every (subset, target) pair, and
 * the classifier features of the rows the conditional Fréchet distances use (taken from the same
 * forward pass that scores them).
 */
async function conditional(
  ctx: PipelineContext,
  method: TrainedMethod,
  ref: EvalReference,
  seed: number,
  progress: EvalProgress,
  scoreScale: number | undefined,
): Promise<{ outcomes: Map<string, Float64Array>; bank: FeatureBank }> {
  const { plan, scorers } = ref;
  const bank = new FeatureBank(frechetPlan(plan, ref.recon.featureRows));
  const mods = plan.modalities, total = plan.rows.subset.length;
  const first = new Uint32Array(plan.subsets.length);
  for (let r = total - 1; r >= 0; r--) first[plan.rows.subset[r]] = r;
  const out = new Map<string, Float64Array>();
  for (const s of plan.subsets) {
    const n = plan.tuples.get(s.length)!.length;
    for (let m = 0; m < mods; m++) if (!s.includes(m)) out.set(pairKey(s, m), new Float64Array(n));
  }
  for (let c0 = 0, call = 0; c0 < total; c0 += CALL_ROWS, call++) {
    const rows = Math.min(CALL_ROWS, total - c0);
    const mask = new Uint8Array(rows * mods);
    for (let i = 0; i < rows; i++) {
      for (const m of plan.subsets[plan.rows.subset[c0 + i]]) mask[i * mods + m] = 1;
    }
    const tuples = plan.rows.tuple.slice(c0, c0 + rows);
    const gen = await method.generate({ rows, mask, tuples }, {
      seed: callSeed(seed, call, "conditional"),
      scoreScale,
      onProgress: (done) => progress.update(c0 + done),
    });
    progress.update(c0 + rows);
    for (let m = 0; m < mods; m++) {
      const which: number[] = [];
      for (let i = 0; i < rows; i++) if (!mask[i * mods + m]) which.push(i);
      for (let c = 0; c < which.length; c += DECODE_CHUNK) {
        const part = which.slice(c, c + DECODE_CHUNK);
        const rowsOf = part.map((i) => c0 + i);
        const { scores, features } = await scoreBatchWithFeatures(
          ctx,
          scorers[m],
          ctx.dataset.modalities[m],
          () => gen.decoded(m, part),
          part.map((i) => tuples[i]),
          m,
          bank.wants(m, rowsOf),
        );
        part.forEach((i, b) => {
          const r = c0 + i, si = plan.rows.subset[r];
          out.get(pairKey(plan.subsets[si], m))![r - first[si]] = scores[b];
        });
        if (features) bank.add(m, rowsOf, features);
      }
    }
    gen.dispose();
  }
  return { outcomes: out, bank };
}

/** Unconditional coherence ("all agree" and "≥ k agree") and Fréchet distances. */
async function unconditional(
  ctx: PipelineContext,
  method: TrainedMethod,
  ref: EvalReference,
  seed: number,
  progress: EvalProgress,
  scoreScale: number | undefined,
) {
  const mods = ctx.dataset.modalities.length;
  const rows = ctx.cfg.eval.unconditional;
  const before = ref.plan.rows.subset.length;
  const gen = await method.generate(
    { rows, mask: new Uint8Array(rows * mods), tuples: new Uint32Array(rows) },
    {
      seed: callSeed(seed, 0, "unconditional"),
      scoreScale,
      onProgress: (done) => progress.update(before + done),
    },
  );
  progress.update(before + rows);
  const { scorers, recon } = ref;
  const digits = scorers.every((s) => s.kind === "digit");
  const preds: Int32Array[] = [];
  const fd: (number | null)[] = [], fdRecon: (number | null)[] = [];
  for (let m = 0; m < mods; m++) {
    const genFeat: number[] = [];
    const mPreds = new Int32Array(rows);
    let fdim = 0;
    for (let c = 0; c < rows; c += DECODE_CHUNK) {
      const which = Array.from({ length: Math.min(DECODE_CHUNK, rows - c) }, (_, i) => c + i);
      const xi = gen.decoded(m, which);
      const { digits: p, features: f } = await predictWithFeatures(scorers[m], xi, true);
      if (digits) mPreds.set(p!, c);
      if (f) {
        fdim = f.length / which.length;
        genFeat.push(...f);
      }
      xi.dispose();
    }
    preds.push(mPreds);
    const real = recon.real[m], rec = recon.reconstructed[m];
    const stats = fdim ? meanCov(Float64Array.from(genFeat), rows, fdim) : null;
    fd.push(stats && real ? frechetDistance(stats, real) : null);
    fdRecon.push(stats && rec ? frechetDistance(stats, rec) : null);
  }
  gen.dispose();
  if (!digits) return { coherence: null, atLeast: null, fd, fdRecon };
  const atLeast = atLeastAgree(agreementCounts(preds, rows), mods);
  return { coherence: atLeast[String(mods)], atLeast, fd, fdRecon };
}

const mean = (xs: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / Math.max(1, xs.length);
};

/** Evaluates one method with one seed on the plan of `ref`. */
export async function evaluateMethod(
  ctx: PipelineContext,
  method: TrainedMethod,
  ref: EvalReference,
  seed: number,
): Promise<MethodResult> {
  const t0 = performance.now();
  const { plan } = ref;
  const mods = plan.modalities;
  const progress = new EvalProgress(
    ctx,
    `eval/${method.name}`,
    plan.rows.subset.length + ctx.cfg.eval.unconditional,
    `seed ${seed}`,
  );
  const p = ctx.cfg.prior;
  let choice: ScoreScaleChoice | null = null;
  if (p.scoreScaleAuto && method.scoreScaled) {
    if (!ref.agreementTarget) {
      throw new Error("Cannot choose prior.scoreScale: the evaluation reference has no target");
    }
    const target = await ref.agreementTarget(p.scoreScaleSamples);
    choice = await calibrateScoreScale(
      ctx,
      method,
      ref.scorers,
      target,
      callSeed(seed, 0, "calibration"),
    );
    ctx.log(
      `eval/${method.name}`,
      `seed ${seed}: score × ${choice.chosen} chosen (all ${mods} agree on ${
        choice.tried.map((t) => `${t.agree.toFixed(3)} at ${t.gamma}`).join(", ")
      }; train reconstructions ${target.toFixed(3)})`,
    );
  }
  const scoreScale = choice?.chosen;
  const { outcomes, bank } = await conditional(ctx, method, ref, seed, progress, scoreScale);
  const fdGiven = frechetByGiven(bank, ref.recon);
  const bySubset: Record<string, number> = {};
  for (const [k, v] of outcomes) bySubset[k] = mean(v);
  const byGiven: Record<string, number> = {};
  for (let k = 1; k < mods; k++) {
    const vals = plan.subsets.filter((s) => s.length === k).flatMap((s) =>
      Array.from({ length: mods }, (_, m) => m).filter((m) => !s.includes(m)).map((m) =>
        bySubset[pairKey(s, m)]
      )
    );
    if (vals.length) byGiven[String(k)] = mean(vals);
  }
  const byTarget = Array.from(
    { length: mods },
    (_, m) => mean(plan.subsets.filter((s) => !s.includes(m)).map((s) => bySubset[pairKey(s, m)])),
  );
  const unc = await unconditional(ctx, method, ref, seed, progress, scoreScale);
  progress.finish();
  return {
    coherence_by_given: byGiven,
    coherence_by_target: byTarget,
    coherence_by_subset: bySubset,
    unconditional_coherence: unc.coherence,
    unconditional_at_least: unc.atLeast,
    fd_by_modality: unc.fd,
    fd_vs_reconstruction: unc.fdRecon,
    fd_by_given: fdGiven.real,
    fd_by_given_vs_reconstruction: fdGiven.reconstructed,
    wall_seconds: (performance.now() - t0) / 1000,
    score_scale: method.scoreScaled ? scoreScale ?? p.scoreScale : null,
    score_scale_choice: choice,
    outcomes,
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
