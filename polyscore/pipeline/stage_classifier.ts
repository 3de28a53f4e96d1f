/**
 * Stage 2: the evaluation "oracles", one per image modality, trained on real data: a digit
 * classifier when the dataset has classes (PolyMNIST), else an attribute predictor from the image
 * (CelebAMask-HQ). Masks and attribute vectors are scored directly against the truth (F1), so they
 * need none. Test accuracy is reported.
 */
import { modalityOf } from "../modality.ts";
import { shiftBatch } from "../data/augment.ts";
import { type ModalitySpec, sampleSize } from "../data/dataset.ts";
import { ConvClassifier } from "../models/classifier.ts";
import { Init } from "../../engine/nn/module.ts";
import * as ops from "../../engine/ops/mod.ts";
import { RandomStream } from "../../engine/ops/random.ts";
import { Adam, cosineLr } from "../../engine/optim.ts";
import { backward, noGrad, Tensor, tidy } from "../../engine/tensor.ts";
import { BatchOrder, batchTensor, chunks, hostBatch, type PipelineContext } from "./context.ts";
import { jobCheckpoint, type ModalityWorkers, trainInWorkers } from "./modality_workers.ts";
import { trainStage } from "./train_stage.ts";

/** How a modality's generated samples are scored. */
export type Scorer =
  | { kind: "digit"; clf: ConvClassifier }
  | { kind: "attributes-from-image"; clf: ConvClassifier; attrModality: number }
  | { kind: "direct" };

/** One-hot rows of labels, (B, K). */
export function oneHot(labels: ArrayLike<number>, k: number): Float32Array {
  const out = new Float32Array(labels.length * k);
  for (let i = 0; i < labels.length; i++) out[i * k + labels[i]] = 1;
  return out;
}

function attributeModality(ctx: PipelineContext): number {
  return ctx.dataset.modalities.findIndex((s) => s.kind === "attributes");
}

/** Whether modality m gets a trained scorer (a classifier), and of how many classes. */
function classifierClasses(ctx: PipelineContext, m: number): number | null {
  const { dataset } = ctx;
  const attrM = attributeModality(ctx);
  const digits = dataset.numClasses > 0;
  if (modalityOf(dataset.modalities[m]).scoring !== "classifier" || (!digits && attrM < 0)) {
    return null;
  }
  return digits ? dataset.numClasses : dataset.modalities[attrM].shape[0];
}

/** The modalities that get a trained classifier (the others are scored directly). */
export function classifiedModalities(ctx: PipelineContext): number[] {
  return [...ctx.dataset.modalities.keys()].filter((m) => classifierClasses(ctx, m) !== null);
}

/**
 * Trains (or restores) the scorer of every modality; returns them with their test accuracy. With
 * `workers`, the classifiers are trained a few at a time in Deno workers first (the same bits).
 */
export async function trainClassifiers(
  ctx: PipelineContext,
  workers?: ModalityWorkers,
): Promise<{ scorers: Scorer[]; accuracy: (number | null)[] }> {
  const { cfg, dataset } = ctx;
  if (workers) await trainInWorkers(ctx, "classifier", classifiedModalities(ctx), workers);
  const scorers: Scorer[] = [];
  const accuracy: (number | null)[] = [];
  const attrM = attributeModality(ctx);
  for (const [m, spec] of dataset.modalities.entries()) {
    if (classifierClasses(ctx, m) === null) {
      scorers.push({ kind: "direct" });
      accuracy.push(null);
      continue;
    }
    const clf = await trainClassifier(ctx, m);
    const scorer: Scorer = dataset.numClasses > 0
      ? { kind: "digit", clf }
      : { kind: "attributes-from-image", clf, attrModality: attrM };
    scorers.push(scorer);
    const acc = await scoreReal(ctx, m, spec, scorer);
    accuracy.push(acc);
    ctx.run.metric(`classifier/${spec.name}`, cfg.classifier.steps, { test_accuracy: acc });
    ctx.log(`classifier/${spec.name}`, `test accuracy ${acc.toFixed(4)}`);
  }
  return { scorers, accuracy };
}

/** Trains (or restores) the classifier of modality m (one that {@link classifiedModalities} lists). */
export async function trainClassifier(ctx: PipelineContext, m: number): Promise<ConvClassifier> {
  const { cfg, dataset } = ctx;
  const spec = dataset.modalities[m];
  const classes = classifierClasses(ctx, m);
  if (classes === null) {
    throw new RangeError(
      `Cannot train a classifier for modality ${spec.name}: it is scored directly`,
    );
  }
  const digits = dataset.numClasses > 0;
  const attrM = attributeModality(ctx);
  const clf = new ConvClassifier(
    new Init(ctx.backend, cfg.seed * 2000 + m),
    spec.shape,
    cfg.classifier.hidden,
    cfg.classifier.features,
    classes,
    { norm: cfg.classifier.norm, stem: cfg.classifier.stem, kernel: cfg.classifier.kernel },
  );
  const opt = new Adam(clf.parameters(), {
    lr: cfg.classifier.lr,
    maxGradNorm: cfg.classifier.maxGradNorm,
  });
  const order = new BatchOrder(ctx.train.count, cfg.classifier.batch, cfg.seed, 200 + m);
  const scratch = new Float32Array(cfg.classifier.batch * sampleSize(spec));
  const oneImage = new Float32Array(sampleSize(spec));
  const shift = spec.shape.length === 3 ? cfg.classifier.shift : 0;
  await trainStage(ctx, {
    stage: `classifier/${spec.name}`,
    checkpoint: jobCheckpoint("classifier", spec),
    module: clf,
    opt,
    noise: new RandomStream(0),
    steps: cfg.classifier.steps,
    metrics: ["loss"],
    lrAt: (i) => cosineLr(i, cfg.classifier.steps, cfg.classifier.lr, cfg.classifier.lrFinal),
    unit: "img",
    unitsPerStep: cfg.classifier.batch,
    step: (i) => {
      const idx = order.indices(i);
      const host = hostBatch(spec, ctx.train.data[m], idx, scratch);
      shiftBatch(host, idx.length, spec.shape, shift, cfg.seed * 100 + m, i, oneImage);
      const x = Tensor.from(ctx.backend, host, [idx.length, ...spec.shape]);
      const target = digits
        ? Tensor.from(ctx.backend, oneHot(Array.from(idx, (j) => ctx.train.labels[j]), classes), [
          idx.length,
          classes,
        ])
        : batchTensor(ctx.backend, dataset.modalities[attrM], ctx.train.data[attrM], idx);
      const logits = clf.forward(x);
      const loss = digits ? ops.crossEntropy(logits, target) : ops.bceWithLogits(logits, target);
      backward(loss, opt.params);
      opt.update();
      return { loss };
    },
  });
  opt.dispose();
  return clf;
}

/** Mean score of the scorer on the real test images of modality m. */
async function scoreReal(
  ctx: PipelineContext,
  m: number,
  spec: ModalitySpec,
  scorer: Scorer,
): Promise<number> {
  let total = 0;
  for (const idx of chunks(ctx.test.count, 256)) {
    const scores = await scoreBatch(
      ctx,
      scorer,
      spec,
      (be) => batchTensor(be, spec, ctx.test.data[m], idx),
      idx,
    );
    total += scores.reduce((a, b) => a + b, 0);
  }
  return total / ctx.test.count;
}

/**
 * Per-sample scores in [0, 1] of a batch of modality samples against test tuples `idx`: digit
 * accuracy (0/1), or sample-wise F1 of predicted attributes / mask pixels (sklearn's
 * average="samples" convention: both empty → 0).
 */
export async function scoreBatch(
  ctx: PipelineContext,
  scorer: Scorer,
  spec: ModalitySpec,
  samples: (be: PipelineContext["backend"]) => Tensor,
  idx: ArrayLike<number>,
  m?: number,
): Promise<number[]> {
  return (await scoreBatchWithFeatures(ctx, scorer, spec, samples, idx, m, false)).scores;
}

/**
 * {@link scoreBatch}, and with `features` the classifier's penultimate features (B, F) of the
 * same forward pass — logits = out(features), the very ops `clf.forward` runs, so the scores are
 * bitwise those of {@link scoreBatch} and nothing is classified twice (null for directly scored
 * modalities, which have no classifier).
 */
export async function scoreBatchWithFeatures(
  ctx: PipelineContext,
  scorer: Scorer,
  spec: ModalitySpec,
  samples: (be: PipelineContext["backend"]) => Tensor,
  idx: ArrayLike<number>,
  m: number | undefined,
  features: boolean,
): Promise<{ scores: number[]; features: Float32Array | Float64Array | null }> {
  if (scorer.kind === "digit") {
    const x = tidy(() => noGrad(() => samples(ctx.backend)));
    const { digits, features: feats } = await predictWithFeatures(scorer, x, features);
    x.dispose();
    return {
      scores: Array.from(idx, (t, b) => digits![b] === ctx.test.labels[t] ? 1 : 0),
      features: feats,
    };
  }
  if (scorer.kind !== "direct") {
    const t = tidy(() =>
      noGrad(() => {
        const f = scorer.clf.featuresOf(samples(ctx.backend));
        return { f, logits: scorer.clf.out.forward(f) };
      })
    );
    const v = await t.logits.data();
    const feats = features ? await t.f.data() : null;
    t.f.dispose();
    t.logits.dispose();
    const k = scorer.clf.classes;
    const truth = ctx.test.data[scorer.attrModality];
    const scores = Array.from(
      idx,
      (t, b) => f1(Array.from({ length: k }, (_, j) => v[b * k + j] > 0), truth, t * k, k),
    );
    return { scores, features: feats };
  }
  const x = tidy(() => samples(ctx.backend));
  const v = await x.data();
  x.dispose();
  const n = spec.shape.reduce((p, q) => p * q, 1);
  const truth = ctx.test.data[m!];
  const thr = modalityOf(spec).threshold;
  const scores = Array.from(
    idx,
    (t, b) =>
      f1(
        Array.from({ length: n }, (_, j) => v[b * n + j] > thr),
        truth,
        t * n,
        n,
        modalityOf(spec).threshold / modalityOf(spec).scale,
      ),
  );
  return { scores, features: null };
}

/** F1 of `pred` against the stored truth values above `truthOn` (stored units). */
function f1(pred: boolean[], truth: Uint8Array, off: number, n: number, truthOn = 0.5): number {
  let tp = 0, fp = 0, fn = 0;
  for (let j = 0; j < n; j++) {
    const t = truth[off + j] > truthOn;
    if (pred[j] && t) tp++;
    else if (pred[j]) fp++;
    else if (t) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/**
 * The predicted digits (null unless a digit scorer) and the penultimate features (null for
 * directly scored modalities) of samples (B, …shape) from one forward pass: the unconditional
 * evaluation needs both, and classifying twice would double its classifier cost.
 */
export async function predictWithFeatures(
  scorer: Scorer,
  x: Tensor,
  features = false,
): Promise<{ digits: Int32Array | null; features: Float32Array | Float64Array | null }> {
  if (scorer.kind === "direct") return { digits: null, features: null };
  if (scorer.kind !== "digit") {
    return { digits: null, features: features ? await classifierFeatures(scorer, x) : null };
  }
  const t = tidy(() =>
    noGrad(() => {
      const f = scorer.clf.featuresOf(x);
      return { f, logits: scorer.clf.out.forward(f) };
    })
  );
  const v = await t.logits.data();
  const feats = features ? await t.f.data() : null;
  t.f.dispose();
  t.logits.dispose();
  const k = scorer.clf.classes, rows = x.shape[0];
  const out = new Int32Array(rows);
  for (let b = 0; b < rows; b++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (v[b * k + j] > v[b * k + best]) best = j;
    out[b] = best;
  }
  return { digits: out, features: feats };
}

/** The classifier's penultimate features of samples (B, F); null for directly scored modalities. */
export async function classifierFeatures(
  scorer: Scorer,
  x: Tensor,
): Promise<Float32Array | Float64Array | null> {
  if (scorer.kind === "direct") return null;
  const f = tidy(() => noGrad(() => scorer.clf.featuresOf(x)));
  const v = await f.data();
  f.dispose();
  return v;
}
