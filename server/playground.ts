/**
 * The server side of the sampling playground: the `SamplerProvider` seam (default: the pipeline's
 * `polyscore/pipeline/playground.ts` on this thread; the dashboard runs each session in its own Deno
 * worker (see sampler_worker_host.ts) so loading and sampling never block the request loop; tests
 * inject a double), a small cache of open sessions, and ONE bounded job queue per server so two
 * samplers never run at once on one device. A full queue answers 429 with `Retry-After`; a job that
 * outlives its deadline answers 503 and its session (a worker) is closed.
 */

import { basename, dirname } from "node:path";
import type { BackendSelector } from "../polyscore/pipeline/run.ts";
import { JobQueue, QueueFullError } from "../polyscore/runs/job_queue.ts";
import type { ModalityKind } from "../polyscore/modality.ts";
import { HttpError } from "./http.ts";
import type { RenderedOutput } from "./sample_render.ts";

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
  /** Memory the session holds, bytes, as measured when it was opened (0: not measured). */
  memoryBytes?: number;
  /** True once the session can no longer answer (its worker failed or was stopped). */
  readonly closed?: boolean;
  testExample(modality: number, index: number): Float32Array | Promise<Float32Array>;
  sample(req: {
    method: string;
    observed: { modality: number; index?: number; data?: Float32Array }[];
    steps: number;
    count: number;
    seed: number;
  }): Promise<{
    outputs: { modality: number; samples: Float32Array[] }[];
    /** The outputs already rendered (a worker session renders them off the request loop). */
    rendered?: RenderedOutput[];
  }>;
  dispose(): void;
}

/** Opens playground sessions for run folders. */
export interface SamplerProvider {
  open(runDir: string): Promise<PlaygroundSession>;
}

/**
 * `openPlayground` from polyscore/pipeline/playground.ts on THIS thread, loaded on first use (a
 * literal dynamic import: lazy at run time, yet type-checked and part of a compiled binary). It
 * blocks the caller's event loop while it loads and samples: the dashboard uses a worker provider.
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
  /**
   * Deadline of a request from its arrival (queue wait included), ms (default 60,000). Past it the
   * request answers 503; a job still running is stopped by closing its session.
   */
  deadlineMs?: number;
}

/**
 * Owns the sessions and the queue. `run` executes `fn` on the session of `runDir`, one job at a time
 * across the whole server; opening a session is itself a queued job.
 */
export class PlaygroundHost {
  readonly queue: JobQueue;
  readonly maxSessions: number;
  /** A request's deadline from arrival, ms (may be changed while serving). */
  deadlineMs: number;
  readonly #provider: SamplerProvider;
  readonly #sessions = new Map<string, Promise<PlaygroundSession>>();
  /** Mean job duration (exponential average), ms: the basis of `Retry-After`. */
  #meanJobMs = 1000;
  #closed = false;

  constructor(opts: PlaygroundHostOptions) {
    this.#provider = opts.provider;
    this.queue = new JobQueue(opts.maxQueue ?? 8);
    this.maxSessions = opts.maxSessions ?? 2;
    this.deadlineMs = opts.deadlineMs ?? 60_000;
  }

  async #session(runDir: string): Promise<PlaygroundSession> {
    if (this.#closed) throw new HttpError(503, "Cannot sample: the server is shutting down");
    let s = this.#sessions.get(runDir);
    if (s) {
      this.#sessions.delete(runDir); // re-insert: most recently used last
      const open = await s;
      if (!open.closed) {
        this.#sessions.set(runDir, s);
        return open;
      }
    }
    s = this.#provider.open(runDir).catch((e) => {
      if (e instanceof HttpError) throw e;
      // Name the run, not where the server keeps it: answers never carry absolute server paths.
      const msg = (e as Error).message.replaceAll(runDir, basename(runDir))
        .replaceAll(dirname(runDir), "<runs>");
      throw new HttpError(409, `Cannot open the sampler for this run: ${msg}`);
    });
    this.#sessions.set(runDir, s);
    s.catch(() => this.#sessions.delete(runDir));
    while (this.#sessions.size > this.maxSessions) {
      const [oldDir, old] = this.#sessions.entries().next().value!;
      this.#sessions.delete(oldDir);
      old.then((x) => x.dispose(), () => {});
    }
    return await s;
  }

  /** Closes the session of `runDir` (a worker is terminated, stopping whatever it runs). */
  #evict(runDir: string): void {
    const s = this.#sessions.get(runDir);
    if (!s) return;
    this.#sessions.delete(runDir);
    s.then((x) => x.dispose(), () => {});
  }

  /** Seconds a client should wait before retrying: the queue's backlog at the mean job time. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.queue.pending * this.#meanJobMs) / 1000));
  }

  /**
   * Runs `fn(session)` in the server's queue. 429 (with `Retry-After`) when the queue is full; 503
   * when the request passes its deadline (a running job's session is closed to stop it).
   */
  async run<T>(runDir: string, fn: (s: PlaygroundSession) => T | Promise<T>): Promise<T> {
    let started = false, expired = false;
    let job: Promise<T>;
    try {
      job = this.queue.push(async () => {
        if (expired) throw new HttpError(503, "Cannot sample: the request expired in the queue");
        started = true;
        const t0 = performance.now();
        try {
          return await fn(await this.#session(runDir));
        } finally {
          this.#meanJobMs = 0.7 * this.#meanJobMs + 0.3 * (performance.now() - t0);
        }
      });
    } catch (e) {
      if (e instanceof QueueFullError) {
        const wait = this.retryAfterSeconds();
        throw new HttpError(429, `${e.message}: try again in ${wait} s`, {
          "retry-after": String(wait),
        });
      }
      throw e;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        if (started) this.#evict(runDir);
        const s = (this.deadlineMs / 1000).toFixed(1);
        reject(
          new HttpError(
            503,
            started
              ? `Cannot sample: the request ran past its ${s} s deadline and was stopped; ask for fewer steps or samples`
              : `Cannot sample: the request waited past its ${s} s deadline in the queue; try again later`,
            { "retry-after": String(this.retryAfterSeconds()) },
          ),
        );
      }, this.deadlineMs);
    });
    job.catch(() => {}); // answered by the race below, or already timed out
    try {
      return await Promise.race([job, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs a cheap `fn` (metadata, a test example) on an already open session without queueing
   * behind samplers; opens the session through the queue when it is not open yet.
   */
  async peek<T>(runDir: string, fn: (s: PlaygroundSession) => T | Promise<T>): Promise<T> {
    const open = await this.#sessions.get(runDir)?.catch(() => null);
    if (open && !open.closed) return await fn(open);
    return await this.run(runDir, fn);
  }

  /** Disposes every session (stopping a running job), then waits for the queue to drain. */
  async close(): Promise<void> {
    this.#closed = true;
    const open = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of open) await s.then((x) => x.dispose(), () => {});
    await this.queue.close();
  }
}
