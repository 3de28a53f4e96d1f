/**
 * The protocol between `backend.ts` (main thread) and `_worker.ts` (workers): the kernel
 * table, the layout of the control block in shared memory, and the argument-spreading call helper.
 * Internal to the Wasm CPU backend.
 */

/** Exported Rust kernels, indexed by job op code. Every one takes `(…, tid, nt)` last. */
export const KERNELS = [
  "fill",
  "copy_blocks",
  "affine",
  "unary",
  "unary_backward",
  "unary_second",
  "binary",
  "reduce_sum",
  "sum_squares_part",
  "matmul",
  "permute",
  "im2col",
  "col2im",
  "norm_forward",
  "norm_backward",
  "norm_param_grads",
  "log_softmax",
  "log_softmax_backward",
  "time_embedding",
  "adam",
  "random",
  "sde_update",
  "langevin_update",
  "probe_stack",
] as const;

/** Name of one exported kernel. */
export type KernelName = typeof KERNELS[number];

/** Op code of each kernel. */
export const OP: Record<KernelName, number> = Object.fromEntries(
  KERNELS.map((k, i) => [k, i]),
) as Record<KernelName, number>;

/**
 * Int32 slots of the control block (relative to its base). A job: the main thread writes OP, NARGS
 * and the arguments, bumps GEN and notifies. A woken worker t joins job g only by moving STATE + t
 * from g − 1 to g (compare-exchange); when done it stores g in DONE + t and notifies. After its own
 * share the main thread *revokes* every worker that has not joined (the same compare-exchange) and
 * runs that worker's share itself, so a worker the OS has not scheduled never delays an op; it
 * waits (blocking) only for workers that joined.
 */
export const CTL = {
  /** Job generation, bumped by the main thread to start a job; workers wait on it. */
  GEN: 0,
  /** Op code of the current job. */
  OP: 2,
  /** Number of f64 arguments. */
  NARGS: 3,
  /** Set to 1 by a worker whose kernel threw. */
  ERR: 4,
  /** Set to 1 to make workers exit. */
  QUIT: 5,
  /**
   * Microseconds a thread polls for the next job (workers) or for a worker's share (main) before
   * it blocks in `Atomics.wait`; 0 = block at once.
   */
  SPIN_US: 6,
  /** Work counter that kernels with dynamic scheduling claim chunks from; zeroed per job. */
  COUNTER: 8,
  /** STATE + t: the last job worker t joined or was revoked from. */
  STATE: 16,
  /** DONE + t: the last job worker t finished. */
  DONE: 80,
} as const;

/** `Atomics.pause` where the runtime has it (a spin-wait hint to the CPU), else nothing. */
const pause: () => void = typeof (Atomics as { pause?: () => void }).pause === "function"
  ? () => (Atomics as unknown as { pause: () => void }).pause()
  : () => {};

/**
 * Polls `ctl[index]` while it still holds `seen`, for at most `micros` (pausing between reads,
 * reading the clock every 64 polls); returns the last value read. The same contract as
 * `Atomics.wait(ctl, index, seen)`, which the caller calls next if nothing changed: a thread that
 * polls picks up a change within a microsecond, where a futex wake takes tens of µs.
 */
export function spinWhile(ctl: Int32Array, index: number, seen: number, micros: number): number {
  let v = Atomics.load(ctl, index);
  if (micros <= 0 || v !== seen) return v;
  const end = performance.now() + micros / 1000;
  for (let i = 1;; i++) {
    pause();
    v = Atomics.load(ctl, index);
    if (v !== seen || ((i & 63) === 0 && performance.now() > end)) return v;
  }
}

/** Most threads (main + workers) the control block has slots for. */
export const MAX_THREADS = 64;

/** Byte offsets inside the control block. */
export const CTL_LAYOUT = {
  /** Float64 job arguments (at most `MAX_ARGS`). */
  ARGS: 640,
  /** Per-call parameter area (shapes, strides, geometry) read by kernels through a pointer. */
  PARAMS: 1024,
  PARAMS_BYTES: 4096,
  /** f32 partial results of `sum_squares_part`, one per chunk (`SUM_SQUARES_PARTS` at most). */
  PARTIALS: 1024 + 4096,
  /** Total size of the control block. */
  BYTES: 8192,
} as const;

/** Most chunks (hence partials) of one `sum_squares_part` job; they fit in `CTL_LAYOUT.PARTIALS`. */
export const SUM_SQUARES_PARTS = 64;

/** Most arguments a kernel takes, before `tid, nt`. */
export const MAX_ARGS = 14;

/**
 * Instantiates the kernel module over `memory`, linking `env.micro_fma` to an instance of the FMA
 * micro-kernel module (or to a stub that throws, when there is none: then `set_fma(0)` keeps it
 * unused).
 */
export function instantiateKernels(
  module: WebAssembly.Module,
  fmaModule: WebAssembly.Module | null,
  memory: WebAssembly.Memory,
): WebAssembly.Instance {
  const microFma = fmaModule
    ? new WebAssembly.Instance(fmaModule, { env: { memory } }).exports.micro
    : () => {
      throw new Error("Cannot run micro_fma: relaxed SIMD is unavailable");
    };
  return new WebAssembly.Instance(module, { env: { memory, micro_fma: microFma } });
}

/** A kernel export: numbers in, nothing out. */
export type KernelFn = (...args: number[]) => void;

/** Calls `f(args[0..n), tid, nt)` without allocating. */
export function callKernel(
  f: KernelFn,
  a: ArrayLike<number>,
  n: number,
  tid: number,
  nt: number,
): void {
  switch (n) {
    case 1:
      return f(a[0], tid, nt);
    case 2:
      return f(a[0], a[1], tid, nt);
    case 3:
      return f(a[0], a[1], a[2], tid, nt);
    case 4:
      return f(a[0], a[1], a[2], a[3], tid, nt);
    case 5:
      return f(a[0], a[1], a[2], a[3], a[4], tid, nt);
    case 6:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], tid, nt);
    case 7:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], tid, nt);
    case 8:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], tid, nt);
    case 9:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], tid, nt);
    case 10:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], tid, nt);
    case 11:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], tid, nt);
    case 12:
      return f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], tid, nt);
    case 13:
      return f(
        a[0],
        a[1],
        a[2],
        a[3],
        a[4],
        a[5],
        a[6],
        a[7],
        a[8],
        a[9],
        a[10],
        a[11],
        a[12],
        tid,
        nt,
      );
    case 14:
      return f(
        a[0],
        a[1],
        a[2],
        a[3],
        a[4],
        a[5],
        a[6],
        a[7],
        a[8],
        a[9],
        a[10],
        a[11],
        a[12],
        a[13],
        tid,
        nt,
      );
    default:
      throw new RangeError(`Cannot call kernel: unsupported argument count: current value is ${n}`);
  }
}

/** Message that starts a worker. */
export interface WorkerInit {
  module: WebAssembly.Module;
  /** The relaxed-SIMD FMA micro-kernel module, or null where the runtime rejects it. */
  fmaModule: WebAssembly.Module | null;
  memory: WebAssembly.Memory;
  ctlPtr: number;
  tid: number;
  nt: number;
  /** Top (highest address, 16-aligned) of this worker's own stack region. */
  stackTop: number;
}
