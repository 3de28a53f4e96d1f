/**
 * The dataset interface the training stages use: a multimodal dataset has modalities (image, mask
 * or attributes, each with a shape), a train and a test split of aligned tuples, and a class label
 * per tuple for evaluation. Samples are stored as uint8 (images/masks 0–255, attributes 0/1) and
 * become f32 only when a batch is gathered. Splits may be stored arrays or computed on demand
 * (PolyMNIST); both are read through `Split.read`.
 */

import type { Rng } from "../../engine/random.ts";
import { modalityOf, type ModalitySpec } from "../modality.ts";

export type { ModalityKind, ModalitySpec } from "../modality.ts";

/** A set of aligned tuples: sample i of every modality belongs to the same tuple, with label i. */
export interface Split {
  /** The modalities, in order; the same array as the dataset's. */
  readonly modalities: readonly ModalitySpec[];
  /** Number of tuples N. */
  readonly count: number;
  /** (N) class label per tuple (the digit for PolyMNIST/MNIST; 0 where the dataset has no classes). */
  readonly labels: Uint8Array;
  /** Copies sample `i` of modality `m` (uint8, `sampleSize(spec)` values, C-major) into `out` at `offset`. */
  read(m: number, i: number, out: Uint8Array, offset: number): void;
}

/** A multimodal dataset with a train and a test split. */
export interface MultimodalDataset {
  name: string;
  modalities: ModalitySpec[];
  train: Split;
  test: Split;
  /** Number of label classes (10 for digits); 0 when labels carry no class. */
  numClasses: number;
}

/** Progress callback: (done, total) over the items of a long operation. */
export type Progress = (done: number, total: number) => void;

/** Number of values in one sample of a modality (the product of its shape). */
export function sampleSize(spec: ModalitySpec): number {
  return spec.shape.reduce((a, b) => a * b, 1);
}

/** A split whose modalities are stored as uint8 arrays of shape (N, …). */
export class ArraySplit implements Split {
  readonly modalities: readonly ModalitySpec[];
  readonly count: number;
  readonly labels: Uint8Array;
  readonly data: Uint8Array[]; // per modality (N, prod(shape))

  /**
   * @param modalities the modality specs
   * @param labels (N) labels
   * @param data per modality a (N, prod(shape)) uint8 array
   * @throws {TypeError} when an array's length does not match N × prod(shape)
   */
  constructor(modalities: readonly ModalitySpec[], labels: Uint8Array, data: Uint8Array[]) {
    if (data.length !== modalities.length) {
      throw new TypeError(
        `Cannot create split: need one array per modality (${modalities.length}): current value is ${data.length}`,
      );
    }
    modalities.forEach((spec, m) => {
      const want = labels.length * sampleSize(spec);
      if (data[m].length !== want) {
        throw new TypeError(
          `Cannot create split: modality ${spec.name} must have ${labels.length}x${
            sampleSize(spec)
          } values: current value is ${data[m].length}`,
        );
      }
    });
    this.modalities = modalities;
    this.count = labels.length;
    this.labels = labels;
    this.data = data;
  }

  read(m: number, i: number, out: Uint8Array, offset: number): void {
    const n = sampleSize(this.modalities[m]);
    out.set(this.data[m].subarray(i * n, (i + 1) * n), offset);
  }
}

function checkIndex(split: Split, m: number, indices: ArrayLike<number>): void {
  if (!Number.isInteger(m) || m < 0 || m >= split.modalities.length) {
    throw new RangeError(
      `Cannot gather batch: modality index must be in [0, ${split.modalities.length}): current value is ${m}`,
    );
  }
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b];
    if (!Number.isInteger(i) || i < 0 || i >= split.count) {
      throw new RangeError(
        `Cannot gather batch: sample index must be in [0, ${split.count}): current value is ${i}`,
      );
    }
  }
}

/** Gathers modality `m` of the given tuples as uint8, (B, …shape). */
export function gatherBatchU8(split: Split, m: number, indices: ArrayLike<number>): Uint8Array {
  checkIndex(split, m, indices);
  const n = sampleSize(split.modalities[m]);
  const out = new Uint8Array(indices.length * n);
  for (let b = 0; b < indices.length; b++) split.read(m, indices[b], out, b * n);
  return out;
}

/**
 * Gathers modality `m` of the given tuples as f32 in [0, 1], (B, …shape): images and masks are
 * divided by 255, attributes (stored 0/1) are copied. Writes into `out` when given (reuse it
 * across steps), which must hold exactly B × prod(shape) values.
 *
 * @example
 * ```ts
 * const split = new ArraySplit([{ name: "a", kind: "image", shape: [1, 1, 2] }], new Uint8Array([3]), [
 *   new Uint8Array([0, 255]),
 * ]);
 * gatherBatch(split, 0, [0]); // Float32Array [0, 1]
 * ```
 */
export function gatherBatch(
  split: Split,
  m: number,
  indices: ArrayLike<number>,
  out?: Float32Array,
): Float32Array {
  const u8 = gatherBatchU8(split, m, indices);
  const scale = modalityOf(split.modalities[m]).scale;
  if (out && out.length !== u8.length) {
    throw new TypeError(
      `Cannot gather batch: out must have ${indices.length}x${
        u8.length / Math.max(1, indices.length)
      } values: current value is ${out.length}`,
    );
  }
  const dst = out ?? new Float32Array(u8.length);
  for (let i = 0; i < u8.length; i++) dst[i] = u8[i] * scale;
  return dst;
}

/**
 * All samples of modality `m` as one (N, …shape) uint8 array. For an {@link ArraySplit} this is
 * the stored array itself (no copy): treat it as read-only.
 */
export function materialize(split: Split, m: number): Uint8Array {
  if (split instanceof ArraySplit) return split.data[m];
  const idx = new Uint32Array(split.count);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return gatherBatchU8(split, m, idx);
}

/** Options for {@link batches}. */
export interface BatchOptions {
  /** "drop" (default) skips a final short batch; "keep" yields it. */
  last?: "drop" | "keep";
}

/**
 * One epoch of shuffled mini-batches: the tuple indices 0..count−1 in a fresh permutation drawn
 * from `rng`, cut into batches of `batchSize` (the last short batch dropped unless `last: "keep"`).
 *
 * @example
 * ```ts
 * import { Rng } from "../../engine/random.ts";
 * for (const idx of batches(10, 4, new Rng(1))) console.log(idx.length); // 4, 4
 * ```
 */
export function* batches(
  count: number | Split,
  batchSize: number,
  rng: Rng,
  options: BatchOptions = {},
): Generator<Uint32Array> {
  const n = typeof count === "number" ? count : count.count;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot make batches: batch size must be a positive integer: current value is ${batchSize}`,
    );
  }
  const perm = rng.permutation(n);
  const keep = options.last === "keep";
  for (let s = 0; s < n; s += batchSize) {
    if (s + batchSize > n && !keep) break;
    yield perm.slice(s, Math.min(n, s + batchSize));
  }
}

/** Count of each label 0..numClasses−1 in a split (length max(numClasses, 1)); larger labels count in the last slot. */
export function labelCounts(split: Split, numClasses: number): number[] {
  const counts = new Array(Math.max(numClasses, 1)).fill(0);
  for (const l of split.labels) counts[Math.min(l, counts.length - 1)]++;
  return counts;
}

/** A subset of a split: the tuples `indices` (in that order), as a new split that reads through. */
export function subsetSplit(split: Split, indices: Uint32Array): Split {
  const labels = new Uint8Array(indices.length);
  indices.forEach((i, k) => (labels[k] = split.labels[i]));
  return {
    modalities: split.modalities,
    count: indices.length,
    labels,
    read: (m, i, out, offset) => split.read(m, indices[i], out, offset),
  };
}

/**
 * A view of a dataset with every image/mask modality zero-padded by `pad` pixels on each side,
 * (C, H, W) → (C, H + 2·pad, W + 2·pad), like torchvision's `Pad(pad)`; SBM pads PolyMNIST 28 → 32.
 * Attributes pass through unchanged.
 */
export function padImages(ds: MultimodalDataset, pad: number): MultimodalDataset {
  if (!Number.isInteger(pad) || pad < 0) {
    throw new RangeError(
      `Cannot pad images: pad must be a non-negative integer: current value is ${pad}`,
    );
  }
  const modalities = ds.modalities.map((s) =>
    !modalityOf(s).spatial
      ? s
      : { ...s, shape: [s.shape[0], s.shape[1] + 2 * pad, s.shape[2] + 2 * pad] }
  );
  const view = (split: Split): Split => {
    const scratch = ds.modalities.map((s) => new Uint8Array(sampleSize(s)));
    return {
      modalities,
      count: split.count,
      labels: split.labels,
      read(m, i, out, offset) {
        const src = ds.modalities[m];
        if (!modalityOf(src).spatial || pad === 0) return split.read(m, i, out, offset);
        const [c, h, w] = src.shape, H = h + 2 * pad, W = w + 2 * pad;
        split.read(m, i, scratch[m], 0);
        out.fill(0, offset, offset + c * H * W);
        for (let ch = 0; ch < c; ch++) {
          for (let y = 0; y < h; y++) {
            out.set(
              scratch[m].subarray((ch * h + y) * w, (ch * h + y + 1) * w),
              offset + (ch * H + y + pad) * W + pad,
            );
          }
        }
      },
    };
  };
  return { ...ds, modalities, train: view(ds.train), test: view(ds.test) };
}
