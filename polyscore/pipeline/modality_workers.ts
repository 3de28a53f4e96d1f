/**
 * Per-modality stages (autoencoders, classifiers) trained several modalities at once in Deno
 * workers. Why: at quick sizes (batch 64, 28×28 convolutions) one network keeps two cores only
 * partly busy, so 1-thread workers side by side train more images per second than one network on
 * two threads (quick's five autoencoders: 190 s all at once, 270 s one at a time; README, "Modality
 * workers"). Each worker trains one modality with the very code of the sequential stage
 * (stage_ae.ts, stage_classifier.ts, via modality_worker_serve.ts) on its own 1-thread Wasm
 * backend; the Wasm kernels give the same bits on any thread count, so the checkpoints are those
 * one-at-a-time training writes. The worker's run writes (metrics, events, checkpoints) come back
 * as messages and go to the run here, so a killed run resumes from the workers' partial
 * checkpoints as from its own.
 */
import { NonFiniteLossError } from "../../engine/train/loop.ts";
import { Progress } from "../../engine/progress.ts";
import type { PipelineConfig } from "./config/mod.ts";
import type { HostTensor } from "./checkpoint.ts";
import type { DenseSplit, PipelineContext } from "./context.ts";
import type { ModalitySpec } from "../data/dataset.ts";

/** How to train per-modality stages in workers (from the composition root, cli/train.ts). */
export interface ModalityWorkers {
  /** The worker entry module: it calls `serveModalityJobs` (modality_worker_serve.ts). */
  url: string | URL;
  /** Modalities trained at once (< 2: one at a time on the run's own backend; Infinity: all). */
  count: number;
}

/** The per-modality stages a worker can train. */
export type ModalityJobKind = "ae" | "classifier";

/** What a worker is sent: one modality's job and the data it reads. */
export interface ModalityJob {
  kind: ModalityJobKind;
  m: number;
  cfg: PipelineConfig;
  dataset: { name: string; modalities: ModalitySpec[]; numClasses: number };
  /** The train split; modalities the job does not read are empty arrays. */
  train: DenseSplit;
  /** The stage's checkpoint so far (a resumed run), or null. */
  checkpoint: { tensors: Record<string, HostTensor>; metadata: Record<string, string> } | null;
}

/**
 * What a worker sends back: the run writes of the stage, then "done" or "error". No stage
 * progress: the main thread sets one stage for the whole group from the metric steps.
 */
export type WorkerMessage =
  | { type: "metric"; stage: string; step: number; values: Record<string, number> }
  | { type: "deleteMetricsAfter"; stage: string; step: number }
  | { type: "event"; level: "info" | "warn" | "error"; stage: string; message: string }
  | {
    type: "checkpoint";
    name: string;
    tensors: Record<string, HostTensor>;
    metadata: Record<string, string>;
  }
  | { type: "done" }
  | {
    type: "error";
    name: string;
    message: string;
    stack?: string;
    nonFinite?: { stage: string; fromStep: number; toStep: number; metric: string };
  };

/** The checkpoint of modality `spec`'s stage (the sequential stages name theirs with it too). */
export function jobCheckpoint(kind: ModalityJobKind, spec: ModalitySpec): string {
  return `${kind}_${spec.name}`;
}

/** The run's stage while a group trains in workers, e.g. "ae/5 modalities". */
export function groupStage(kind: ModalityJobKind, count: number): string {
  return `${kind}/${count} modalities`;
}

/** The modalities whose data a job reads (the classifier of an attribute dataset reads both). */
function modalitiesRead(ctx: PipelineContext, kind: ModalityJobKind, m: number): number[] {
  if (kind === "classifier" && ctx.dataset.numClasses === 0) {
    const attr = ctx.dataset.modalities.findIndex((s) => s.kind === "attributes");
    if (attr >= 0 && attr !== m) return [m, attr];
  }
  return [m];
}

/**
 * Trains the jobs of `kind` for modalities `ms` that have no finished checkpoint, `w.count` at a
 * time in workers, in whole rounds of `w.count`, writing their checkpoints and metrics to the run;
 * the caller's sequential stage then restores them and trains the rest (fewer than `w.count`) on
 * all threads. Does nothing when fewer than two are left to train, when `w.count` < 2, or when the
 * run only restores.
 * @throws the first worker's error (a non-finite loss as {@link NonFiniteLossError}); the other
 *   workers are stopped and every checkpoint written so far is kept.
 */
export async function trainInWorkers(
  ctx: PipelineContext,
  kind: ModalityJobKind,
  ms: number[],
  w: ModalityWorkers,
): Promise<void> {
  if (ctx.restoreOnly || w.count < 2) return;
  const specs = ctx.dataset.modalities;
  const ckpts = new Map(ms.map((m) => [m, ctx.run.loadCheckpoint(jobCheckpoint(kind, specs[m]))]));
  const left = ms.filter((m) => ckpts.get(m)?.metadata.done !== "1");
  // Whole rounds only: a modality left over would run alone on one thread while the other cores
  // idle, so it is left to the sequential stage, which trains it on all of the backend's threads.
  const at = Math.min(w.count, left.length);
  const todo = left.slice(0, left.length - (left.length % Math.max(1, at)));
  if (todo.length < 2) return;
  const section = kind === "ae" ? ctx.cfg.ae : ctx.cfg.classifier;
  const perJob = section.steps * section.batch;
  ctx.log(
    kind,
    `training ${todo.map((m) => specs[m].name).join(", ")} ${at} at a time in workers ` +
      `(one Wasm thread each; the same bits as one at a time)`,
  );
  // One stage for the whole group, in the terminal and in the run's meta (the dashboard's stage and
  // progress): per-modality stages would take turns there as the workers report.
  const label = groupStage(kind, todo.length);
  const progress = new Progress(label, todo.length * perJob, "img", ctx.quiet);
  ctx.run.setStage(label, 0);
  const done = new Map<string, number>();
  // Each running worker's way to stop it and settle its promise.
  const live = new Map<Worker, (err?: Error) => void>();
  let failed: Error | null = null;

  const runOne = (m: number) =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(w.url, { type: "module" });
      const finish = (err?: Error) => {
        if (!live.delete(worker)) return;
        worker.terminate();
        err ? reject(err) : resolve();
      };
      live.set(worker, finish);
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        const msg = e.data;
        try {
          switch (msg.type) {
            case "metric":
              ctx.run.metric(msg.stage, msg.step, msg.values);
              done.set(msg.stage, msg.step * section.batch);
              {
                const sum = [...done.values()].reduce((a, b) => a + b, 0);
                ctx.run.setStage(label, sum / (todo.length * perJob));
                progress.update(sum, `${msg.stage} loss ${msg.values.loss?.toPrecision(4)}`);
              }
              break;
            case "deleteMetricsAfter":
              ctx.run.deleteMetricsAfter(msg.stage, msg.step);
              break;
            case "event":
              ctx.log(msg.stage, msg.message);
              break;
            case "checkpoint":
              ctx.run.saveCheckpoint(msg.name, msg.tensors, msg.metadata);
              break;
            case "done":
              finish();
              break;
            case "error":
              finish(workerError(msg));
              break;
          }
        } catch (err) {
          finish(err as Error);
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        finish(new Error(`Cannot train ${kind}/${specs[m].name} in a worker: ${e.message}`));
      };
      const job: ModalityJob = {
        kind,
        m,
        cfg: ctx.cfg,
        dataset: { name: ctx.dataset.name, modalities: specs, numClasses: ctx.dataset.numClasses },
        train: {
          count: ctx.train.count,
          labels: ctx.train.labels,
          data: ctx.train.data.map((d, j) =>
            modalitiesRead(ctx, kind, m).includes(j) ? d : new Uint8Array(0)
          ),
        },
        checkpoint: ckpts.get(m) ?? null,
      };
      worker.postMessage(job);
    });

  // A fixed pool: each slot takes the next modality in order when its worker finishes.
  const queue = [...todo];
  const slot = async () => {
    while (queue.length && !failed) {
      const m = queue.shift()!;
      try {
        await runOne(m);
      } catch (err) {
        failed ??= err as Error;
        for (const stop of [...live.values()]) stop(new Error("stopped: another worker failed"));
      }
    }
  };
  await Promise.all(Array.from({ length: at }, slot));
  if (failed) throw failed;
  progress.update(todo.length * perJob);
  progress.finish();
}

/** The worker's error as the main thread's: a non-finite loss keeps its class (run.ts adds the hint). */
function workerError(msg: Extract<WorkerMessage, { type: "error" }>): Error {
  if (msg.nonFinite) {
    const n = msg.nonFinite;
    return new NonFiniteLossError(n.stage, n.fromStep, n.toStep, n.metric);
  }
  const err = new Error(msg.message);
  err.name = msg.name;
  if (msg.stack) err.stack = msg.stack;
  return err;
}
