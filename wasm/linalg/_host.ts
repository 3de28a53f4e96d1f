/**
 * Host imports of `wasm/lib/linalg.wasm`, shared by the main thread (`mod.ts`) and its workers
 * (`_worker.ts`): the shared memory, and the blocking wait / wake on it that Rust 1.63
 * cannot emit itself (par.rs).
 *
 * @module
 */

/** Pages the shared memory starts with (at least the module's declared minimum, 17). */
const INITIAL_PAGES = 32;
/** Largest size of the shared memory: 4 GiB, the wasm32 limit, as linked (`wasm/build.ts`). */
const MAXIMUM_PAGES = 65536;

/** A new shared memory for one linalg module and its workers. */
export function createLinalgMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
}

/**
 * The import object for one instance over `memory`.
 *
 * @param memory the shared memory of the module and all its workers.
 */
export function linalgImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  // The control words live in the module's static data, inside the initial pages, so a view made
  // now stays valid however the memory grows.
  const words = new Int32Array(memory.buffer);
  return {
    env: {
      memory,
      linalg_wait: (ptr: number, expected: number) => {
        Atomics.wait(words, ptr >>> 2, expected);
      },
      linalg_notify: (ptr: number) => {
        Atomics.notify(words, ptr >>> 2);
      },
    },
  };
}

/** What the main thread sends a new worker. */
export interface LinalgWorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Top of the worker's own stack (its region is allocated by the main thread). */
  stackTop: number;
}
