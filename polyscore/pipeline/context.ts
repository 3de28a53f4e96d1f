/**
 * What every pipeline stage receives: the config, the backend, the dataset (materialised as uint8),
 * the run it writes to, and deterministic batch order for exact resumption.
 */
import type { Backend } from "../../engine/backend.ts";
import {
  materialize,
  type ModalitySpec,
  type MultimodalDataset,
  sampleSize,
} from "../data/dataset.ts";
import { modalityOf } from "../modality.ts";
import { hash32, Rng } from "../../engine/random.ts";
import { Tensor } from "../../engine/tensor.ts";
import type { PipelineConfig } from "./config/mod.ts";
import type { HostTensor } from "./checkpoint.ts";

/** The subset of the run store the pipeline writes through (polyscore/runs/store.ts implements it). */
export interface RunSink {
  setStage(stage: string, progress: number): void;
  metric(stage: string, step: number, values: Record<string, number>): void;
  deleteMetricsAfter(stage: string, step: number): void;
  /** The metric rows of `stage` recorded so far (a stage's sanity checks read its final loss). */
  metrics(opts: { stage?: string }): { step: number; name: string; value: number }[];
  event(level: "info" | "warn" | "error", stage: string, message: string): void;
  saveCheckpoint(
    name: string,
    tensors: Record<string, HostTensor>,
    metadata?: Record<string, string>,
  ): void;
  loadCheckpoint(
    name: string,
  ): { tensors: Record<string, HostTensor>; metadata: Record<string, string> } | null;
  /** Sets a checkpoint aside under another name (a diverged stage is then trained again). */
  renameCheckpoint(from: string, to: string): void;
  writeFile(relPath: string, data: Uint8Array | string): void;
  readFile(relPath: string): Uint8Array | null;
}

/** A split with every modality materialised as (N, …shape) uint8. */
export interface DenseSplit {
  count: number;
  labels: Uint8Array;
  data: Uint8Array[];
}

/** Everything a stage needs. */
export interface PipelineContext {
  cfg: PipelineConfig;
  backend: Backend;
  run: RunSink;
  dataset: MultimodalDataset;
  train: DenseSplit;
  test: DenseSplit;
  quiet: boolean;
  /** Load finished stages only; a missing checkpoint is an error instead of a training run. */
  restoreOnly?: boolean;
  /** Prints a line for the user (and records it as an event). */
  log(stage: string, message: string): void;
}

/** Materialises both splits of a dataset (uint8, compact). */
export function densify(ds: MultimodalDataset): { train: DenseSplit; test: DenseSplit } {
  const dense = (s: MultimodalDataset["train"]): DenseSplit => ({
    count: s.count,
    labels: s.labels,
    data: ds.modalities.map((_, m) => materialize(s, m)),
  });
  return { train: dense(ds.train), test: dense(ds.test) };
}

/**
 * The tuple indices of training step `step`: epochs are fresh permutations drawn from
 * (seed, stream, epoch), so any step's batch can be recomputed after a restart.
 */
export class BatchOrder {
  readonly perEpoch: number;
  #epoch = -1;
  #perm: Uint32Array = new Uint32Array(0);
  constructor(
    readonly count: number,
    readonly batch: number,
    readonly seed: number,
    readonly stream: number,
  ) {
    if (count < batch) {
      throw new RangeError(
        `Cannot make batches: batch size ${batch} exceeds the ${count} training tuples: lower the batch or raise trainLimit`,
      );
    }
    this.perEpoch = Math.floor(count / batch);
  }
  indices(step: number): Uint32Array {
    const e = Math.floor(step / this.perEpoch);
    if (e !== this.#epoch) {
      this.#epoch = e;
      this.#perm = new Rng(hash32((this.seed * 7919 + this.stream * 104729 + e) >>> 0)).permutation(
        this.count,
      );
    }
    const s = (step % this.perEpoch) * this.batch;
    return this.#perm.subarray(s, s + this.batch);
  }
}

/**
 * Gathers modality m of the given tuples into a (B, …shape) f32 tensor in [0, 1]. Training loops
 * pass a `scratch` host buffer of at least B·size floats so a step allocates nothing on the host.
 */
export function batchTensor(
  backend: Backend,
  spec: ModalitySpec,
  data: Uint8Array,
  indices: ArrayLike<number>,
  scratch?: Float32Array,
): Tensor {
  return Tensor.from(backend, hostBatch(spec, data, indices, scratch), [
    indices.length,
    ...spec.shape,
  ]);
}

/** The host floats of {@link batchTensor} (for augmenting before the upload). */
export function hostBatch(
  spec: ModalitySpec,
  data: Uint8Array,
  indices: ArrayLike<number>,
  scratch?: Float32Array,
): Float32Array {
  const n = sampleSize(spec);
  const len = indices.length * n;
  const out = scratch && scratch.length >= len ? scratch.subarray(0, len) : new Float32Array(len);
  const scale = modalityOf(spec).scale;
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b] * n;
    for (let j = 0; j < n; j++) out[b * n + j] = data[src + j] * scale;
  }
  return out;
}

/** 0..n−1 in chunks of `size` (the last may be shorter). */
export function* chunks(n: number, size: number): Generator<Uint32Array> {
  for (let s = 0; s < n; s += size) {
    yield Uint32Array.from({ length: Math.min(size, n - s) }, (_, i) => s + i);
  }
}
