/**
 * The server side of the sampling playground: the `SamplerProvider` seam (default: the pipeline's
 * `polyscore/pipeline/playground.ts`, imported lazily on first use; tests inject a double), a small
 * cache of open sessions, and ONE job queue per server so two samplers never
 * run at once on one device. A full queue answers 429.
 */

import type { BackendSelector } from "../polyscore/pipeline/run.ts";
import { JobQueue, QueueFullError } from "../polyscore/runs/job_queue.ts";
import type { ModalityKind } from "../polyscore/modality.ts";
import { HttpError } from "./http.ts";

/** One modality as the playground shows it. */
export interface PlaygroundModality {
  name: string;
  kind: ModalityKind;
  shape: number[];
}

/** A loaded finished run that can sample (implemented by polyscore/pipeline/playground.ts). */
export interface PlaygroundSession {
  modalities: PlaygroundModality[];
  testCount: number;
  methods: string[];
  testExample(modality: number, index: number): Float32Array;
  sample(req: {
    method: string;
    observed: { modality: number; index?: number; data?: Float32Array }[];
    steps: number;
    count: number;
    seed: number;
  }): Promise<{ outputs: { modality: number; samples: Float32Array[] }[] }>;
  dispose(): void;
}

/** Opens playground sessions for run folders. */
export interface SamplerProvider {
  open(runDir: string): Promise<PlaygroundSession>;
}

/**
 * The default provider: `openPlayground` from polyscore/pipeline/playground.ts, loaded on first use (a
 * literal dynamic import: lazy at run time, yet type-checked and part of a compiled binary).
 */
export function pipelineSamplerProvider(selectBackend?: BackendSelector): SamplerProvider {
  return {
    async open(runDir: string): Promise<PlaygroundSession> {
      const { openPlayground } = await import("../polyscore/pipeline/playground.ts");
      return await openPlayground(runDir, { selectBackend });
    },
  };
}

/** Playground options of the server. */
export interface PlaygroundHostOptions {
  provider: SamplerProvider;
  /** Jobs queued or running before 429 (default 8). */
  maxQueue?: number;
  /** Open sessions kept (least recently used dropped; default 2). */
  maxSessions?: number;
}

/**
 * Owns the sessions and the queue. `run` executes `fn` on the session of `runDir`, one job at a time
 * across the whole server; opening a session is itself a queued job.
 */
export class PlaygroundHost {
  readonly queue: JobQueue;
  readonly #provider: SamplerProvider;
  readonly #maxSessions: number;
  readonly #sessions = new Map<string, Promise<PlaygroundSession>>();

  constructor(opts: PlaygroundHostOptions) {
    this.#provider = opts.provider;
    this.queue = new JobQueue(opts.maxQueue ?? 8);
    this.#maxSessions = opts.maxSessions ?? 2;
  }

  async #session(runDir: string): Promise<PlaygroundSession> {
    let s = this.#sessions.get(runDir);
    if (s) {
      this.#sessions.delete(runDir); // re-insert: most recently used last
      this.#sessions.set(runDir, s);
      return await s;
    }
    s = this.#provider.open(runDir).catch((e) => {
      if (e instanceof HttpError) throw e;
      throw new HttpError(409, `Cannot open the sampler for this run: ${(e as Error).message}`);
    });
    this.#sessions.set(runDir, s);
    s.catch(() => this.#sessions.delete(runDir));
    while (this.#sessions.size > this.#maxSessions) {
      const [oldDir, old] = this.#sessions.entries().next().value!;
      this.#sessions.delete(oldDir);
      old.then((x) => x.dispose(), () => {});
    }
    return await s;
  }

  /** Runs `fn(session)` in the server's queue; 429 when the queue is full. */
  async run<T>(runDir: string, fn: (s: PlaygroundSession) => T | Promise<T>): Promise<T> {
    try {
      return await this.queue.push(async () => fn(await this.#session(runDir)));
    } catch (e) {
      if (e instanceof QueueFullError) throw new HttpError(429, `${e.message}: try again shortly`);
      throw e;
    }
  }

  /**
   * Runs a cheap synchronous `fn` (metadata, a test example) on an already open session without
   * queueing behind samplers; opens the session through the queue when it is not open yet.
   */
  async peek<T>(runDir: string, fn: (s: PlaygroundSession) => T): Promise<T> {
    const open = this.#sessions.get(runDir);
    if (open) return fn(await open);
    return await this.run(runDir, fn);
  }

  /** Waits for queued jobs, then disposes every session. */
  async close(): Promise<void> {
    await this.queue.close();
    for (const s of this.#sessions.values()) await s.then((x) => x.dispose(), () => {});
    this.#sessions.clear();
  }
}
