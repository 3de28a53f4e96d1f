/**
 * The worker side of modality_workers.ts: receives one {@link ModalityJob}, trains it with the
 * sequential stage's own function on a backend the entry module creates (1 Wasm thread), and
 * sends every run write back as a message. The entry module (cli/modality_worker.ts) only names
 * the backend, so the pipeline stays free of backend choices.
 */
/// <reference lib="deno.worker" />
import type { Backend } from "../../engine/backend.ts";
import { NonFiniteLossError } from "../../engine/train/loop.ts";
import type { MultimodalDataset, Split } from "../data/dataset.ts";
import type { PipelineContext, RunSink } from "./context.ts";
import type { ModalityJob, WorkerMessage } from "./modality_workers.ts";
import { trainAutoencoder } from "./stage_ae.ts";
import { trainClassifier } from "./stage_classifier.ts";

/** A split a worker cannot read: the job's data come in `ctx.train` (DenseSplit). */
function unreadableSplit(modalities: MultimodalDataset["modalities"]): Split {
  return {
    modalities,
    count: 0,
    labels: new Uint8Array(0),
    read() {
      throw new Error("Cannot read a split in a modality worker: the job's data are in ctx.train");
    },
  };
}

/** The run, as messages to the main thread; reads other than the job's checkpoint are refused. */
function messageSink(post: (m: WorkerMessage) => void, job: ModalityJob): RunSink {
  const refuse = (what: string) => {
    throw new Error(`Cannot ${what} in a modality worker: only the main thread reads the run`);
  };
  return {
    setStage: () => {}, // the main thread shows the group's stage, from the metric steps
    metric: (stage, step, values) => post({ type: "metric", stage, step, values }),
    deleteMetricsAfter: (stage, step) => post({ type: "deleteMetricsAfter", stage, step }),
    metrics: () => refuse("read metrics"),
    event: (level, stage, message) => post({ type: "event", level, stage, message }),
    saveCheckpoint: (name, tensors, metadata = {}) =>
      post({ type: "checkpoint", name, tensors, metadata }),
    loadCheckpoint: () => job.checkpoint,
    renameCheckpoint: () => refuse("rename a checkpoint"),
    writeFile: () => refuse("write a run file"),
    readFile: () => refuse("read a run file"),
  };
}

/** Trains one job on `backend`, posting its run writes; resolves when the stage is saved. */
export async function runModalityJob(
  job: ModalityJob,
  backend: Backend,
  post: (m: WorkerMessage) => void,
): Promise<void> {
  const dataset: MultimodalDataset = {
    ...job.dataset,
    train: unreadableSplit(job.dataset.modalities),
    test: unreadableSplit(job.dataset.modalities),
  };
  const ctx: PipelineContext = {
    cfg: job.cfg,
    backend,
    run: messageSink(post, job),
    dataset,
    train: job.train,
    test: { count: 0, labels: new Uint8Array(0), data: [] },
    quiet: true,
    log: (stage, message) => post({ type: "event", level: "info", stage, message }),
  };
  if (job.kind === "ae") (await trainAutoencoder(ctx, job.m)).dispose();
  else (await trainClassifier(ctx, job.m)).dispose();
}

/** Serves one job per worker: `createBackend` is called once, for that job. */
export function serveModalityJobs(createBackend: () => Promise<Backend>): void {
  const post = (m: WorkerMessage) => self.postMessage(m);
  self.onmessage = async (e: MessageEvent<ModalityJob>) => {
    let backend: Backend | null = null;
    try {
      backend = await createBackend();
      await runModalityJob(e.data, backend, post);
      post({ type: "done" });
    } catch (err) {
      const x = err as Error;
      post({
        type: "error",
        name: x.name,
        message: x.message,
        stack: x.stack,
        nonFinite: x instanceof NonFiniteLossError
          ? { stage: x.stage, fromStep: x.fromStep, toStep: x.toStep, metric: x.metric }
          : undefined,
      });
    } finally {
      backend?.destroy();
    }
  };
}
