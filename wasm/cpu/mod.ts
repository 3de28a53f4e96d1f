/**
 * The Wasm CPU compute backend: the `cpu` crate's kernels (Rust + a hand-written WAT FMA
 * micro-kernel) on all cores over one shared memory, behind the engine's Backend contract. The
 * linear-algebra library is a separate module, `wasm/linalg/mod.ts`.
 *
 * @module
 */

export {
  createWasmCpuBackend,
  DEFAULT_SPIN_MICROS,
  PARALLEL_MIN,
  WasmCpuBackend,
  type WasmCpuOptions,
} from "./backend.ts";
