/**
 * Playground sessions in Deno workers, so that loading a run and sampling (seconds of CPU) never
 * run on the server's request loop. One worker per open session: `dispose` terminates it, which
 * frees everything the session held (weights, test set, backend threads) and is the only way to
 * stop a sampler that ran past its deadline. Both sides of the message protocol live here; the
 * worker entry files (`_sampler_worker.ts`, the test double's) only name the `open` they serve.
 */

import type { PlaygroundSession, SamplerProvider } from "./playground.ts";
import { renderOutputs } from "./sample_render.ts";

/** The messages a session worker answers. */
type WorkerRequest =
  | { op: "open"; id: number; runDir: string }
  | { op: "example"; id: number; modality: number; index: number }
  | { op: "sample"; id: number; req: Parameters<PlaygroundSession["sample"]>[0] };

/** A request before its id is assigned (distributes over the union). */
type Unsent<T> = T extends unknown ? Omit<T, "id"> : never;

type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string } };

/** Session metadata sent back by `open`. */
interface OpenInfo {
  modalities: PlaygroundSession["modalities"];
  testCount: number;
  methods: string[];
  memoryBytes: number;
}

/** Isolate memory now (JS heap + ArrayBuffers/Wasm memories owned by this isolate), bytes. */
function isolateBytes(): number {
  const m = Deno.memoryUsage();
  return m.heapTotal + m.external;
}

/**
 * The worker side: answers `open`, `example` and `sample` messages with `open(runDir)`'s session.
 * Errors travel back with their name (RangeError/TypeError stay the caller's mistake).
 */
export function serveSessionInWorker(
  open: (runDir: string) => Promise<PlaygroundSession>,
): void {
  // deno-lint-ignore no-explicit-any
  const scope = globalThis as any;
  let session: PlaygroundSession | null = null;
  scope.onmessage = async (e: MessageEvent<WorkerRequest>) => {
    const msg = e.data;
    // Copied, not transferred: a session may hand out views of buffers it keeps.
    const reply = (r: Reply) => scope.postMessage(r);
    try {
      if (msg.op === "open") {
        session = await open(msg.runDir);
        const info: OpenInfo = {
          modalities: session.modalities,
          testCount: session.testCount,
          methods: session.methods,
          // The worker's isolate holds this session and nothing else: its size is the session's.
          memoryBytes: isolateBytes(),
        };
        reply({ id: msg.id, ok: true, value: info });
      } else if (!session) {
        throw new Error("Cannot use the sampler worker: no session is open");
      } else if (msg.op === "example") {
        reply({ id: msg.id, ok: true, value: await session.testExample(msg.modality, msg.index) });
      } else {
        const res = await session.sample(msg.req);
        // Rendered here, off the request loop; the raw samples are not sent back.
        const rendered = renderOutputs(res.outputs, session.modalities);
        reply({ id: msg.id, ok: true, value: { outputs: [], rendered } });
      }
    } catch (err) {
      const e = err as Error;
      reply({
        id: msg.id,
        ok: false,
        error: { name: e?.name ?? "Error", message: e?.message ?? String(err) },
      });
    }
  };
  // Messages posted before this handler existed may be lost (module graphs with top-level await):
  // the host sends nothing until it hears this.
  scope.postMessage({ ready: true });
}

function rebuildError(e: { name: string; message: string }): Error {
  if (e.name === "RangeError") return new RangeError(e.message);
  if (e.name === "TypeError") return new TypeError(e.message);
  return new Error(e.message);
}

class WorkerSession implements PlaygroundSession {
  modalities: PlaygroundSession["modalities"] = [];
  testCount = 0;
  methods: string[] = [];
  memoryBytes = 0;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #next = 1;
  #dead: Error | null = null;
  readonly #ready: Promise<void>;

  constructor(url: URL) {
    this.#worker = new Worker(url.href, { type: "module" });
    let ready!: () => void;
    this.#ready = new Promise((r) => ready = r);
    this.#worker.onmessage = (e: MessageEvent<Reply | { ready: true }>) => {
      if ("ready" in e.data) return ready();
      const p = this.#pending.get(e.data.id);
      if (!p) return;
      this.#pending.delete(e.data.id);
      if (e.data.ok) p.resolve(e.data.value);
      else p.reject(rebuildError(e.data.error));
    };
    this.#worker.onerror = (e) => {
      e.preventDefault();
      this.#fail(new Error(`the sampler worker failed: ${e.message}`));
    };
  }

  get closed(): boolean {
    return this.#dead !== null;
  }

  #fail(e: Error): void {
    this.#dead ??= e;
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  #call<T>(msg: Unsent<WorkerRequest>): Promise<T> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#ready.then(() => {
        if (this.#pending.has(id)) this.#worker.postMessage({ ...msg, id });
      });
    });
  }

  async open(runDir: string): Promise<this> {
    const info = await this.#call<OpenInfo>({ op: "open", runDir });
    this.modalities = info.modalities;
    this.testCount = info.testCount;
    this.methods = info.methods;
    this.memoryBytes = info.memoryBytes;
    return this;
  }

  testExample(modality: number, index: number): Promise<Float32Array> {
    return this.#call<Float32Array>({ op: "example", modality, index });
  }

  sample(req: Parameters<PlaygroundSession["sample"]>[0]) {
    return this.#call<Awaited<ReturnType<PlaygroundSession["sample"]>>>({ op: "sample", req });
  }

  dispose(): void {
    this.#worker.terminate();
    this.#fail(new Error("the sampler session was closed"));
  }
}

/**
 * A provider whose sessions each live in a worker started from `workerUrl` (a module that calls
 * {@link serveSessionInWorker}). A failed open terminates its worker.
 */
export function workerSamplerProvider(workerUrl: URL): SamplerProvider {
  return {
    async open(runDir: string): Promise<PlaygroundSession> {
      const s = new WorkerSession(workerUrl);
      try {
        return await s.open(runDir);
      } catch (e) {
        s.dispose();
        throw e;
      }
    },
  };
}
