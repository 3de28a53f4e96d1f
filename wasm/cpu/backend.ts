/**
 * The `wasm` compute backend: every kernel of `engine/backend.ts` in Rust→WebAssembly SIMD
 * (`wasm/cpu/`, built to `wasm/lib/cpu.wasm`), run on all cores. Buffers are regions of one shared
 * `WebAssembly.Memory`; worker threads instantiate the same module over it, each with its own
 * stack. Kernels run synchronously: the main thread splits an op, wakes the workers with
 * `Atomics.notify`, does its own share, runs the share of any worker that has not started yet
 * (the OS may not have scheduled it), then waits for the workers that did. A waiting thread polls
 * for `spinMicros` (a worker for the next op, the main thread for a share) and then blocks in
 * `Atomics.wait`, so an idle backend uses no CPU. Small ops run on the main thread alone. The
 * calling thread must be allowed to block (Deno's main thread, or a worker in a browser). Partial
 * sums are per chunk, never per thread, and are added in a fixed order, so results are bitwise the
 * same however the threads' claims interleave and on any number of threads (`wasm/cpu/README.md`).
 * Not here: shape validation (the ops layer does it).
 */
import type {
  AdamBuffers,
  AdamSpec,
  AffineSpec,
  Backend,
  BinaryBuffers,
  BinaryOp,
  BinarySpec,
  Col2imSpec,
  ConvGeometry,
  CopyBlocksSpec,
  DeviceBuffer,
  LangevinSpec,
  LogSoftmaxBackwardBuffers,
  MatmulSpec,
  NormBackwardBuffers,
  NormForwardBuffers,
  NormSpec,
  PermuteSpec,
  RandomSpec,
  ReduceSumSpec,
  RowsSpec,
  SamplerBuffers,
  SdeUpdateSpec,
  SumSquaresSpec,
  TimeEmbeddingSpec,
  UnaryBackwardBuffers,
  UnaryOp,
  UnarySecondBuffers,
  UnarySpec,
} from "../../engine/backend.ts";
import { assetUrl } from "../../engine/assets.ts";
import { streamKey } from "../../engine/random.ts";
import { WasmHeap } from "./_heap.ts";
import { loadWasmBytes } from "../_load.ts";
import {
  callKernel,
  CTL,
  CTL_LAYOUT,
  instantiateKernels,
  type KernelFn,
  type KernelName,
  KERNELS,
  MAX_THREADS,
  OP,
  spinWhile,
  SUM_SQUARES_PARTS,
  type WorkerInit,
} from "./_protocol.ts";

const UNARY: Record<UnaryOp, number> = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  square: 4,
  abs: 5,
  relu: 6,
  leaky_relu: 7,
  silu: 8,
  gelu: 9,
  sigmoid: 10,
  tanh: 11,
  softplus: 12,
};
const BINARY: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, bce_logits: 4 };

/**
 * Work sizes (in elements touched, or multiply-adds for matmul) from which an op is split across
 * threads; below them waking a worker (a futex wake, then tens of µs until it runs) costs more
 * than it saves. Estimates for an idle machine: on the shared 2-core development machine (load
 * 4–10) a second thread gave no speed-up below ~1 ms of work (measured by timing one op with
 * `threads: 1` and with `threads: 2, splitAll: true`), and ops whose worker is late run its share
 * on the main thread anyway (see `CTL`).
 */
export const PARALLEL_MIN = { elementwise: 1 << 15, matmul: 1 << 17, rows: 1 << 14 } as const;

const STACK_BYTES = 256 * 1024;
const WORKER_URL = assetUrl("wasm/cpu/_worker.ts");
let modulePromise: Promise<[WebAssembly.Module, WebAssembly.Module | null]> | null = null;

/**
 * Compiles `wasm/lib/cpu.wasm` and the relaxed-SIMD FMA micro-kernel `wasm/lib/cpu_fma.wasm`
 * (null where the runtime does not validate relaxed SIMD) once per process.
 */
function loadModules(): Promise<[WebAssembly.Module, WebAssembly.Module | null]> {
  modulePromise ??= Promise.all([
    loadWasmBytes("cpu.wasm").then((b) => WebAssembly.compile(b)),
    loadWasmBytes("cpu_fma.wasm").then((b) => WebAssembly.compile(b)).catch(() => null),
  ]);
  return modulePromise;
}

class WasmBuffer implements DeviceBuffer {
  freed = false;
  constructor(readonly size: number, readonly ptr: number, readonly cls: number) {}
}

function p(buf: DeviceBuffer): number {
  return (buf as WasmBuffer).ptr;
}

/** Drops size-1 dims and merges dims that are contiguous in every strides list. */
function coalesce(
  shape: readonly number[],
  strides: (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const out: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = out.length - 1;
    if (last >= 0 && strides.every((s, k) => st[k][last] === s[d] * shape[d])) {
      out[last] *= shape[d];
      strides.forEach((s, k) => st[k][last] = s[d]);
    } else {
      out.push(shape[d]);
      strides.forEach((s, k) => st[k].push(s[d]));
    }
  }
  if (out.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: out, strides: st };
}

/** Rust→Wasm SIMD implementation of `Backend` on all cores. Create with `createWasmCpuBackend`. */
export class WasmCpuBackend implements Backend {
  readonly name = "wasm" as const;
  readonly f64 = false;
  /** Number of threads (main + workers) an op is split across. */
  readonly threads: number;
  readonly #heap: WasmHeap;
  readonly #fns: KernelFn[];
  readonly #workers: Worker[];
  readonly #ctl: Int32Array;
  readonly #args: Float64Array;
  readonly #ctlPtr: number;
  readonly #scratch: number;
  readonly #minScale: number;
  readonly #joined = new Uint8Array(MAX_THREADS);
  readonly #setClaimSchedule: (seed: number) => void;
  /** Whether the test schedule of `debugScheduleClaims` is on (then no worker is revoked). */
  #scheduled = false;
  /** Whether GEMM uses the relaxed-SIMD FMA micro-kernel. */
  readonly fma: boolean;
  #live = 0;
  #destroyed = false;

  /** @internal Use `createWasmCpuBackend`. */
  constructor(
    heap: WasmHeap,
    instance: WebAssembly.Instance,
    workers: Worker[],
    ctlPtr: number,
    scratch: number,
    splitAll: boolean,
    fma: boolean,
  ) {
    this.fma = fma;
    this.#minScale = splitAll ? 0 : 1;
    this.#heap = heap;
    this.#fns = KERNELS.map((k) => instance.exports[k] as KernelFn);
    this.#setClaimSchedule = instance.exports.set_claim_schedule as (seed: number) => void;
    this.#workers = workers;
    this.threads = workers.length + 1;
    this.#ctlPtr = ctlPtr;
    this.#ctl = new Int32Array(heap.memory.buffer, ctlPtr, CTL_LAYOUT.ARGS / 4);
    this.#args = new Float64Array(heap.memory.buffer, ctlPtr + CTL_LAYOUT.ARGS, 16);
    this.#scratch = scratch;
  }

  /** Microseconds a thread polls before it blocks (see `WasmCpuOptions.spinMicros`). */
  get spinMicros(): number {
    return Atomics.load(this.#ctl, CTL.SPIN_US);
  }
  set spinMicros(us: number) {
    checkSpin("set spinMicros", us);
    Atomics.store(this.#ctl, CTL.SPIN_US, us);
  }

  /** Number of buffers allocated and not yet freed (for leak tests). */
  get liveBuffers(): number {
    return this.#live;
  }

  /** Bytes of the wasm memory (the heap's high-water mark plus the module's own data). */
  get memoryBytes(): number {
    return this.#heap.memoryBytes;
  }

  /** Bytes held by live buffers. */
  get bytesInUse(): number {
    return this.#heap.bytesInUse;
  }

  /**
   * Runs kernel `name` with `args` (pointers and numbers), split across every thread when
   * `work` (> 0) reaches `min`, else on the main thread alone. With `force`, every worker runs its
   * own share (nothing is revoked).
   */
  #run(name: KernelName, args: number[], work: number, min: number, force = false): void {
    if (this.#destroyed) throw new Error("Cannot run kernel: the wasm backend was destroyed");
    const op = OP[name];
    const f = this.#fns[op];
    const nt = this.threads;
    this.#ctl[CTL.COUNTER] = 0;
    if (nt === 1 || work <= 0 || work < min * this.#minScale) {
      callKernel(f, args, args.length, 0, 1);
      return;
    }
    const ctl = this.#ctl;
    for (let i = 0; i < args.length; i++) this.#args[i] = args[i];
    ctl[CTL.NARGS] = args.length;
    ctl[CTL.OP] = op;
    const gen = ctl[CTL.GEN] + 1;
    Atomics.store(ctl, CTL.GEN, gen);
    Atomics.notify(ctl, CTL.GEN);
    callKernel(f, args, args.length, 0, nt);
    // Workers that have not joined yet are revoked; their shares run here instead of waiting.
    const joined = this.#joined;
    for (let t = 1; t < nt; t++) {
      const revoked = !force && !this.#scheduled &&
        Atomics.compareExchange(ctl, CTL.STATE + t, gen - 1, gen) === gen - 1;
      joined[t] = revoked ? 0 : 1;
      if (revoked) callKernel(f, args, args.length, t, nt);
    }
    for (let t = 1; t < nt; t++) {
      if (joined[t] === 0) continue;
      for (
        let d = Atomics.load(ctl, CTL.DONE + t);
        d !== gen;
        d = Atomics.load(ctl, CTL.DONE + t)
      ) {
        // DONE + t changes only when the worker finishes this job: poll for that, then block.
        if (spinWhile(ctl, CTL.DONE + t, d, ctl[CTL.SPIN_US]) === d) {
          Atomics.wait(ctl, CTL.DONE + t, d);
        }
      }
    }
    if (ctl[CTL.ERR] !== 0) {
      ctl[CTL.ERR] = 0;
      throw new Error(`Cannot run kernel ${name}: a worker thread trapped`);
    }
  }

  /** Writes i32 parameters into the parameter area and returns its address. */
  #params(values: number[]): number {
    const base = this.#ctlPtr + CTL_LAYOUT.PARAMS;
    new Int32Array(this.#heap.memory.buffer, base, values.length).set(values);
    return base;
  }

  alloc(size: number): DeviceBuffer {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(
        `Cannot allocate buffer: size must be a non-negative integer: current value is ${size}`,
      );
    }
    const { ptr, cls } = this.#heap.alloc(size * 4);
    this.#live++;
    return new WasmBuffer(size, ptr, cls);
  }
  free(buf: DeviceBuffer): void {
    const b = buf as WasmBuffer;
    if (b.freed) throw new Error("Cannot free buffer: it was already freed");
    b.freed = true;
    this.#heap.release(b.ptr, b.cls);
    this.#live--;
  }
  write(buf: DeviceBuffer, data: ArrayLike<number>, offset = 0): void {
    this.#heap.f32.set(data, p(buf) / 4 + offset);
  }
  read(buf: DeviceBuffer): Promise<Float32Array> {
    const i = p(buf) / 4;
    return Promise.resolve(this.#heap.f32.slice(i, i + buf.size));
  }
  /** Synchronous `read`: a copy of the buffer (all work is already done when a kernel returns). */
  readSync(buf: DeviceBuffer): Float32Array {
    const i = p(buf) / 4;
    return this.#heap.f32.slice(i, i + buf.size);
  }
  flush(): void {}
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const ctl = this.#ctl;
    Atomics.store(ctl, CTL.QUIT, 1);
    Atomics.add(ctl, CTL.GEN, 1);
    Atomics.notify(ctl, CTL.GEN);
    for (const w of this.#workers) w.terminate();
  }

  fill(out: DeviceBuffer, value: number, n = out.size): void {
    this.#run("fill", [p(out), value, n], n, PARALLEL_MIN.elementwise);
  }

  copyBlocks(src: DeviceBuffer, dst: DeviceBuffer, s: CopyBlocksSpec): void {
    this.#run(
      "copy_blocks",
      [
        p(src) + 4 * s.srcOffset,
        p(dst) + 4 * s.dstOffset,
        s.outer,
        s.inner,
        s.srcStride,
        s.dstStride,
        s.accumulate ? 1 : 0,
      ],
      s.outer * s.inner,
      PARALLEL_MIN.elementwise,
    );
  }

  unary(x: DeviceBuffer, out: DeviceBuffer, { op, n, alpha = 0 }: UnarySpec): void {
    this.#run("unary", [UNARY[op], p(x), p(out), n, alpha], n, PARALLEL_MIN.elementwise / 4);
  }

  unaryBackward(bufs: UnaryBackwardBuffers, { op, n, alpha = 0 }: UnarySpec): void {
    this.#run(
      "unary_backward",
      [UNARY[op], p(bufs.x), p(bufs.dy), p(bufs.dx), n, alpha],
      n,
      PARALLEL_MIN.elementwise / 4,
    );
  }

  /** `alpha` is not passed: f″ of leaky_relu is 0 whatever its slope. */
  unarySecond(bufs: UnarySecondBuffers, { op, n }: UnarySpec): void {
    this.#run(
      "unary_second",
      [UNARY[op], p(bufs.x), p(bufs.a), p(bufs.b), p(bufs.out), n],
      n,
      PARALLEL_MIN.elementwise / 4,
    );
  }

  affine(x: DeviceBuffer, out: DeviceBuffer, { n, scale, shift }: AffineSpec): void {
    this.#run("affine", [p(x), p(out), n, scale, shift], n, PARALLEL_MIN.elementwise);
  }

  binary(bufs: BinaryBuffers, s: BinarySpec): void {
    const total = s.shape.reduce((x, y) => x * y, 1);
    if (total === 0) return;
    const c = coalesce(s.shape, [s.aStrides, s.bStrides]);
    const params = this.#params([c.shape.length, ...c.shape, ...c.strides[0], ...c.strides[1]]);
    this.#run(
      "binary",
      [BINARY[s.op], p(bufs.a), p(bufs.b), p(bufs.out), params],
      total,
      PARALLEL_MIN.elementwise,
    );
  }

  reduceSum(x: DeviceBuffer, out: DeviceBuffer, s: ReduceSumSpec): void {
    if (s.outer * s.inner === 0) return;
    this.#run(
      "reduce_sum",
      [p(x), p(out), s.outer, s.len, s.inner, s.accumulate ? 1 : 0],
      s.outer * s.len * s.inner,
      PARALLEL_MIN.elementwise,
    );
  }

  sumSquares(x: DeviceBuffer, out: DeviceBuffer, { n, accumulate }: SumSquaresSpec): void {
    // Partials of fixed chunks (a function of n only), added here in chunk order: the same bits
    // on any number of threads and however the threads' claims interleave.
    const chunk = Math.max(16, Math.ceil(n / (16 * SUM_SQUARES_PARTS)) * 16);
    const partials = this.#ctlPtr + CTL_LAYOUT.PARTIALS;
    this.#run("sum_squares_part", [p(x), n, chunk, partials], n, PARALLEL_MIN.elementwise);
    const f32 = this.#heap.f32;
    let acc = 0;
    for (let c = 0; c < Math.ceil(n / chunk); c++) acc += f32[partials / 4 + c];
    const o = p(out) / 4;
    f32[o] = accumulate ? f32[o] + acc : acc;
  }

  matmul(bufs: BinaryBuffers, s: MatmulSpec): void {
    if (s.m === 0 || s.n === 0) return;
    const flags = (s.transA ? 1 : 0) | (s.transB ? 2 : 0) | (s.accumulate ? 4 : 0);
    this.#run(
      "matmul",
      [
        p(bufs.a),
        p(bufs.b),
        p(bufs.out),
        s.m,
        s.k,
        s.n,
        flags,
        this.#scratch,
        this.#ctlPtr + 4 * CTL.COUNTER,
      ],
      s.m * s.n * Math.max(s.k, 1),
      PARALLEL_MIN.matmul,
    );
  }

  permute(x: DeviceBuffer, out: DeviceBuffer, { shape, perm }: PermuteSpec): void {
    const total = shape.reduce((u, v) => u * v, 1);
    if (total === 0) return;
    const strides = new Array<number>(shape.length);
    for (let k = shape.length - 1, st = 1; k >= 0; k--) {
      strides[k] = st;
      st *= shape[k];
    }
    const c = coalesce(perm.map((q) => shape[q]), [perm.map((q) => strides[q])]);
    const params = this.#params([c.shape.length, ...c.shape, ...c.strides[0]]);
    this.#run("permute", [p(x), p(out), params], total, PARALLEL_MIN.elementwise);
  }

  #geom(g: ConvGeometry): number {
    return this.#params([g.b, g.c, g.h, g.w, g.kh, g.kw, g.stride, g.pad, g.oh, g.ow]);
  }

  im2col(x: DeviceBuffer, col: DeviceBuffer, g: ConvGeometry): void {
    const work = g.c * g.kh * g.kw * g.b * g.oh * g.ow;
    if (work === 0) return;
    this.#run(
      "im2col",
      [p(x), p(col), this.#geom(g), this.#scratch],
      work,
      PARALLEL_MIN.elementwise,
    );
  }

  col2im(col: DeviceBuffer, dx: DeviceBuffer, g: Col2imSpec): void {
    const work = g.c * g.kh * g.kw * g.b * g.oh * g.ow + g.b * g.c * g.h * g.w;
    if (g.b * g.c * g.h * g.w === 0) return;
    this.#run(
      "col2im",
      [p(col), p(dx), this.#geom(g), g.accumulate ? 1 : 0, this.#scratch],
      work,
      PARALLEL_MIN.elementwise,
    );
  }

  normForward(bufs: NormForwardBuffers, s: NormSpec): void {
    const { x, gamma, beta, y, mean, rstd } = bufs;
    this.#run(
      "norm_forward",
      [
        p(x),
        p(gamma),
        p(beta),
        p(y),
        p(mean),
        p(rstd),
        s.rows,
        s.cols,
        s.groups,
        s.chanInner,
        s.eps,
      ],
      s.rows < 2 ? 0 : s.rows * s.cols,
      PARALLEL_MIN.rows,
    );
  }

  normBackward(bufs: NormBackwardBuffers, s: NormSpec): void {
    const { x, gamma, mean, rstd, dy, dx, dgamma, dbeta } = bufs;
    if (s.rows === 0) return;
    const cpg = s.cols / s.chanInner, nch = s.groups * cpg;
    // Each row's terms of dγ/dβ go to its own slots of `stats`, then summed over rows in row order
    // (norm_param_grads gives each channel to one thread): the same bits on any number of threads.
    // With chanInner = 1 the dβ terms are dy itself and only the dγ half is written.
    const perElement = s.chanInner === 1;
    const { ptr: stats, cls } = this.#heap.alloc((perElement ? 1 : 2) * s.rows * cpg * 4);
    try {
      this.#run(
        "norm_backward",
        [
          p(x),
          p(gamma),
          p(mean),
          p(rstd),
          p(dy),
          p(dx),
          stats,
          s.rows,
          s.cols,
          s.groups,
          s.chanInner,
        ],
        s.rows < 2 ? 0 : s.rows * s.cols,
        PARALLEL_MIN.rows,
      );
      const batch = s.rows / s.groups;
      this.#run(
        "norm_param_grads",
        [stats, perElement ? p(dy) : stats + s.rows * cpg * 4, p(dgamma), p(dbeta), batch, nch],
        2 * batch * nch,
        PARALLEL_MIN.elementwise,
      );
    } finally {
      this.#heap.release(stats, cls);
    }
  }

  logSoftmax(x: DeviceBuffer, y: DeviceBuffer, { rows, cols }: RowsSpec): void {
    this.#run(
      "log_softmax",
      [p(x), p(y), rows, cols],
      rows < 2 ? 0 : rows * cols,
      PARALLEL_MIN.rows,
    );
  }

  logSoftmaxBackward(bufs: LogSoftmaxBackwardBuffers, { rows, cols }: RowsSpec): void {
    this.#run(
      "log_softmax_backward",
      [p(bufs.y), p(bufs.dy), p(bufs.dx), rows, cols],
      rows < 2 ? 0 : rows * cols,
      PARALLEL_MIN.rows,
    );
  }

  timeEmbedding(
    t: DeviceBuffer,
    out: DeviceBuffer,
    { b, dim, maxPeriod, scale }: TimeEmbeddingSpec,
  ): void {
    const half = dim / 2;
    const { ptr, cls } = this.#heap.alloc(Math.max(half, 1) * 8);
    const f = new Float64Array(this.#heap.memory.buffer, ptr, half);
    for (let j = 0; j < half; j++) f[j] = Math.exp(-Math.log(maxPeriod) * j / half) * scale;
    try {
      this.#run(
        "time_embedding",
        [p(t), p(out), b, dim, ptr],
        b < 2 ? 0 : b * dim * 8,
        PARALLEL_MIN.rows,
      );
    } finally {
      this.#heap.release(ptr, cls);
    }
  }

  adam(bufs: AdamBuffers, s: AdamSpec): void {
    const { param, grad, m, v, normSq } = bufs, n = s.n;
    let clip = 1;
    if (s.maxNorm > 0 && normSq) {
      const norm = Math.sqrt(this.#heap.f32[p(normSq) / 4]);
      if (norm > s.maxNorm) clip = s.maxNorm / norm;
    }
    const bc1 = 1 - s.beta1 ** s.step, bc2 = 1 - s.beta2 ** s.step;
    this.#run(
      "adam",
      [
        p(param),
        p(grad),
        p(m),
        p(v),
        n,
        s.lr,
        s.beta1,
        s.beta2,
        s.eps,
        s.weightDecay,
        1 / bc1,
        1 / bc2,
        clip,
      ],
      n,
      PARALLEL_MIN.elementwise / 2,
    );
  }

  random(out: DeviceBuffer, { n, dist, seed, offset }: RandomSpec): void {
    this.#run(
      "random",
      [p(out), n, dist === "normal" ? 1 : 0, streamKey(seed >>> 0), offset >>> 0],
      n * 8,
      PARALLEL_MIN.elementwise,
    );
  }

  sdeUpdate(bufs: SamplerBuffers, c: SdeUpdateSpec): void {
    this.#run(
      "sde_update",
      [p(bufs.z), p(bufs.s), p(bufs.noise), p(bufs.out), c.n, c.cz, c.cs, c.cn],
      c.n,
      PARALLEL_MIN.elementwise,
    );
  }

  langevinUpdate(bufs: SamplerBuffers, c: LangevinSpec): void {
    this.#run(
      "langevin_update",
      [p(bufs.z), p(bufs.s), p(bufs.noise), p(bufs.out), c.rows, c.cols, c.snr, c.alpha],
      c.rows < 2 ? 0 : c.rows * c.cols,
      PARALLEL_MIN.rows,
    );
  }

  /**
   * @internal For tests: replays a worker timing. With a nonzero `seed`, chunk c of every split
   * op goes to the thread that a hash of (seed, c) names, which waits for its turn, and every
   * worker runs in every op (none is revoked); 0 restores claiming by arrival. Different seeds
   * interleave the threads differently, as different OS scheduling would, but reproducibly.
   */
  debugScheduleClaims(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(
        `Cannot schedule claims: seed must be an integer in [0, 2^32): current value is ${seed}`,
      );
    }
    this.#setClaimSchedule(seed);
    this.#scheduled = seed !== 0;
  }

  /**
   * @internal For tests: the address of a stack local in each thread's instance (index = thread
   * id), run as one parallel job.
   */
  probeStacks(): number[] {
    const { ptr, cls } = this.#heap.alloc(4 * this.threads);
    this.#run("probe_stack", [ptr], 1, 0, true);
    const out = Array.from(new Uint32Array(this.#heap.memory.buffer, ptr, this.threads));
    this.#heap.release(ptr, cls);
    return out;
  }
}

/** Options of `createWasmCpuBackend`. */
export interface WasmCpuOptions {
  /** Threads an op is split across, main thread included (default: one per core). */
  threads?: number;
  /** Split every op across all threads, however small (for tests of the threaded paths). */
  splitAll?: boolean;
  /**
   * Use the fused multiply-add GEMM micro-kernel (relaxed SIMD) where the runtime supports it
   * (default true); false keeps the plain f32x4 mul + add kernel.
   */
  fma?: boolean;
  /**
   * Microseconds a thread polls before it blocks: a worker waiting for the next op, the main thread
   * waiting for a worker's share (default `DEFAULT_SPIN_MICROS`; 0 = block at once). Settable later
   * through `spinMicros`.
   */
  spinMicros?: number;
}

/**
 * How long a thread polls before it blocks, in µs. A training step is hundreds of ops separated by
 * a few µs of JavaScript; a worker woken from `Atomics.wait` for each took tens of µs to start, and
 * the main thread ran the share of a worker that had not started yet. Measured on the quick
 * prior's step (2 threads, 2-core AMD EPYC VM, interleaved rounds in one process): see
 * `wasm/cpu/README.md`. Polling stops after this long without work, so an idle backend costs no CPU.
 */
export const DEFAULT_SPIN_MICROS = 300;

function checkSpin(what: string, us: number): void {
  if (!Number.isInteger(us) || us < 0 || us > 1_000_000) {
    throw new RangeError(
      `Cannot ${what}: spinMicros must be an integer in [0, 1000000]: current value is ${us}`,
    );
  }
}

/**
 * Creates the Wasm CPU backend: compiles the kernel module, allocates the shared memory, and starts
 * `threads − 1` workers (default: one per core, `navigator.hardwareConcurrency`, at most 64).
 *
 * @example
 * ```ts
 * const be = await createWasmCpuBackend({ threads: 2 });
 * const x = be.alloc(3);
 * be.write(x, [1, 2, 3]);
 * be.unary(x, x, { op: "square", n: 3 });
 * console.log(await be.read(x)); // Float32Array [1, 4, 9]
 * be.destroy();
 * ```
 */
export async function createWasmCpuBackend(
  opts: WasmCpuOptions = {},
): Promise<WasmCpuBackend> {
  const threads = opts.threads ?? Math.min(navigator.hardwareConcurrency ?? 1, MAX_THREADS);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(
      `Cannot create wasm backend: threads must be an integer in [1, ${MAX_THREADS}]: current value is ${threads}`,
    );
  }
  const spinMicros = opts.spinMicros ?? DEFAULT_SPIN_MICROS;
  checkSpin("create wasm backend", spinMicros);
  const [module, fmaAvailable] = await loadModules();
  const fmaModule = opts.fma === false ? null : fmaAvailable;
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const instance = instantiateKernels(module, fmaModule, memory);
  (instance.exports.set_fma as (on: number) => void)(fmaModule ? 1 : 0);
  const heapBase = (instance.exports.__heap_base as WebAssembly.Global).value as number;
  const heap = new WasmHeap(memory, heapBase);
  const ctlPtr = heap.alloc(CTL_LAYOUT.BYTES).ptr;
  new Int32Array(memory.buffer, ctlPtr, CTL_LAYOUT.BYTES / 4).fill(0);
  (instance.exports.set_work_counter as (ptr: number) => void)(ctlPtr + 4 * CTL.COUNTER);
  const strideBytes = (instance.exports.scratch_stride_bytes as () => number)();
  const scratch = heap.alloc(strideBytes * threads).ptr;
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  for (let tid = 1; tid < threads; tid++) {
    const stack = heap.alloc(STACK_BYTES).ptr;
    const w = new Worker(WORKER_URL, { type: "module" });
    ready.push(
      new Promise((resolve, reject) => {
        w.onmessage = () => resolve();
        w.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`Cannot start wasm worker ${tid}: ${e.message}`));
        };
      }),
    );
    const init: WorkerInit = {
      module,
      fmaModule,
      memory,
      ctlPtr,
      tid,
      nt: threads,
      stackTop: stack + STACK_BYTES,
    };
    w.postMessage(init);
    workers.push(w);
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    for (const w of workers) w.terminate();
    throw e;
  }
  const be = new WasmCpuBackend(
    heap,
    instance,
    workers,
    ctlPtr,
    scratch,
    opts.splitAll ?? false,
    fmaModule !== null,
  );
  be.spinMicros = spinMicros;
  return be;
}
