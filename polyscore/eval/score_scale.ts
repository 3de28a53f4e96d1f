/**
 * γ, the sampler's factor on every score (`prior.scoreScale`), chosen from the data
 * (`prior.scoreScaleAuto`): the largest γ of a grid whose unconditional samples have all M
 * classifiers agreeing no more often than the reconstructions of real train tuples do. Why that
 * target: γ > 1 samples a sharper prior p^γ, whose modalities agree more and vary less. Real
 * tuples share one digit, but seen through the same autoencoders and classifiers they agree only
 * as often as the decoders and classifiers allow; a prior whose samples agree more often than that
 * buys coherence with diversity the data have. Train tuples only (the test tuples stay for the
 * evaluation), and sampler seeds of the calibration's own (the evaluation's samples are not the
 * ones γ was chosen on).
 */
import * as ops from "../../engine/ops/mod.ts";
import type { MultimodalDataset } from "../data/dataset.ts";
import { modalityOf } from "../modality.ts";
import { noGrad, type Tensor, tidy } from "../../engine/tensor.ts";
import type { Autoencoder } from "../models/conv_vae.ts";
import type { TrainedMethod } from "../methods/method.ts";
import { batchTensor, chunks, type PipelineContext } from "../pipeline/context.ts";
import { predictWithFeatures, type Scorer } from "../pipeline/stage_classifier.ts";
import type { ScoreScaleChoice } from "../report/report.ts";
import { agreementCounts, atLeastAgree } from "./ceiling.ts";

/**
 * The largest γ of the ascending `grid` with `agreeAt(γ)` ≤ `target`, found by bisection (the
 * agreement grows with γ, so about log₂ of the grid's length γ are tried); the smallest γ when
 * even it agrees more often.
 */
export async function chooseScoreScale(
  grid: readonly number[],
  target: number,
  agreeAt: (gamma: number) => Promise<number>,
): Promise<Pick<ScoreScaleChoice, "chosen" | "tried" | "below_grid">> {
  const tried: { gamma: number; agree: number }[] = [];
  // Invariant: grid[lo] agrees at most the target (or lo = −1), grid[hi] more (or hi = length).
  let lo = -1, hi = grid.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const agree = await agreeAt(grid[mid]);
    tried.push({ gamma: grid[mid], agree });
    if (agree <= target) lo = mid;
    else hi = mid;
  }
  return { chosen: grid[Math.max(0, lo)], tried, below_grid: lo < 0 };
}

/** The classifiers' digits of every modality, for `rows` decoded on demand. */
async function predictions(
  scorers: readonly Scorer[],
  rows: number,
  decoded: (m: number, which: Uint32Array) => Tensor,
): Promise<Int32Array[]> {
  const out: Int32Array[] = [];
  for (const [m, s] of scorers.entries()) {
    const p = new Int32Array(rows);
    for (const which of chunks(rows, 512)) {
      const x = decoded(m, which);
      p.set((await predictWithFeatures(s, x, false)).digits!, which[0]);
      x.dispose();
    }
    out.push(p);
  }
  return out;
}

/** Fraction of rows on which all M predictions agree (the evaluation's "≥ M agree"). */
function allAgree(preds: Int32Array[], rows: number): number {
  return atLeastAgree(agreementCounts(preds, rows), preds.length)[String(preds.length)];
}

/**
 * Whether every modality of `dataset` gets a digit classifier (stage_classifier.ts), which the
 * rule needs: digits to compare; masks and attribute vectors are scored without one.
 */
export function digitsOnEveryModality(
  dataset: Pick<MultimodalDataset, "numClasses" | "modalities">,
): boolean {
  return dataset.numClasses > 0 &&
    dataset.modalities.every((s) => modalityOf(s).scoring === "classifier");
}

/** Throws unless every modality is scored by a digit classifier (what the agreement needs). */
export function requireDigitScorers(scorers: readonly Scorer[]): void {
  const bad = scorers.findIndex((s) => s.kind !== "digit");
  if (bad >= 0) {
    throw new Error(
      `Cannot choose prior.scoreScale from the data (prior.scoreScaleAuto=true): modality ${bad} ` +
        `has no digit classifier, and the rule compares the modalities' predicted digits; set ` +
        `prior.scoreScaleAuto=false and a fixed prior.scoreScale`,
    );
  }
}

/**
 * The target: the fraction of the first `n` train tuples (capped at the train set) whose
 * reconstructions all M classifiers give the same digit.
 */
export async function trainAgreement(
  ctx: PipelineContext,
  aes: readonly Autoencoder[],
  scorers: readonly Scorer[],
  n: number,
): Promise<number> {
  requireDigitScorers(scorers);
  const rows = Math.min(n, ctx.train.count);
  const preds = await predictions(scorers, rows, (m, which) =>
    tidy(() =>
      noGrad(() => {
        const spec = ctx.dataset.modalities[m];
        const x = batchTensor(ctx.backend, spec, ctx.train.data[m], which);
        return ops.sigmoid(aes[m].decode(aes[m].encode(x).mu));
      })
    ));
  return allAgree(preds, rows);
}

/** {@link trainAgreement} computed on first use for each n, then kept (the same for every method). */
export function agreementTargets(
  ctx: PipelineContext,
  aes: readonly Autoencoder[],
  scorers: readonly Scorer[],
): (n: number) => Promise<number> {
  const done = new Map<number, Promise<number>>();
  return (n) => {
    if (!done.has(n)) done.set(n, trainAgreement(ctx, aes, scorers, n));
    return done.get(n)!;
  };
}

/**
 * Chooses γ for one trained score-prior method: `samples` unconditional rows at each γ tried, all
 * drawn with the same sampler seed (common random numbers, so the agreement moves with γ alone).
 */
export async function calibrateScoreScale(
  ctx: PipelineContext,
  method: TrainedMethod,
  scorers: readonly Scorer[],
  target: number,
  seed: number,
): Promise<ScoreScaleChoice> {
  requireDigitScorers(scorers);
  const { scoreScaleGrid: grid, scoreScaleSamples: rows } = ctx.cfg.prior;
  const mods = ctx.dataset.modalities.length;
  const choice = await chooseScoreScale(grid, target, async (gamma) => {
    const gen = await method.generate(
      { rows, mask: new Uint8Array(rows * mods), tuples: new Uint32Array(rows) },
      { seed, scoreScale: gamma },
    );
    try {
      return allAgree(
        await predictions(scorers, rows, (m, which) => gen.decoded(m, Array.from(which))),
        rows,
      );
    } finally {
      gen.dispose();
    }
  });
  return { ...choice, target, samples: rows };
}
