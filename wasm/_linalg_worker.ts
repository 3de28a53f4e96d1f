/**
 * A worker thread of the linear-algebra module: instantiates it over the shared memory with its own
 * stack, joins, and runs `linalg_worker` (par.rs), which shares eigh's parallel regions and returns
 * only when the main thread stops the workers (`stopLinalgThreads` in `mod.ts`).
 */
/// <reference lib="deno.worker" />
import { linalgImports, type LinalgWorkerInit } from "./_linalg_host.ts";

self.onmessage = (e: MessageEvent<LinalgWorkerInit>) => {
  const { module, memory, stackTop } = e.data;
  const ex = new WebAssembly.Instance(module, linalgImports(memory)).exports;
  (ex.__stack_pointer as WebAssembly.Global).value = stackTop;
  (ex.linalg_worker_join as () => void)();
  self.postMessage("ready");
  (ex.linalg_worker as () => void)();
  self.postMessage("exited");
  self.close();
};
