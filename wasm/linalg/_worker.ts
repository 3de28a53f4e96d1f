/**
 * A worker thread of the linear-algebra module: instantiates it over the shared memory with its own
 * stack, joins, and runs `linalg_worker` (par.rs), which shares eigh's parallel regions and returns
 * only when the main thread stops the workers (`stopLinalgThreads` in `mod.ts`). If it throws (a
 * trap), the worker reports it through `linalg_worker_failed`, so that the main thread stops
 * waiting for the chunk it held, and tells the main thread why.
 */
/// <reference lib="deno.worker" />
import { linalgImports, type LinalgWorkerInit } from "./_host.ts";

self.onmessage = (e: MessageEvent<LinalgWorkerInit>) => {
  const { module, memory, stackTop } = e.data;
  const ex = new WebAssembly.Instance(module, linalgImports(memory)).exports;
  (ex.__stack_pointer as WebAssembly.Global).value = stackTop;
  (ex.linalg_worker_join as () => void)();
  self.postMessage({ kind: "ready" });
  try {
    (ex.linalg_worker as () => void)();
    self.postMessage({ kind: "exited" });
  } catch (err) {
    (ex.linalg_worker_failed as () => void)();
    self.postMessage({ kind: "failed", message: err instanceof Error ? err.message : String(err) });
  }
  self.close();
};
