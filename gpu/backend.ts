/**
 * The WebGPU implementation of `engine/backend.ts`'s `Backend`: every kernel in WGSL
 * (gpu/kernels), recorded into one command encoder and submitted once per `flush()`.
 *
 * Execution model: kernel methods only record (a compute pass on the current encoder, with a
 * per-dispatch uniform slice); nothing waits inside a step. `flush()` uploads the step's uniforms
 * and submits once; `read()` flushes, copies to a mapped staging buffer and awaits `mapAsync`.
 * Freed buffers return to the pool at once (queue order keeps earlier readers correct).
 * Storage is f32. Shapes are not validated here (the ops layer does that). An output that is
 * also a read input (in-place use, outside the contract except where a kernel allows it) is
 * handled by reading the input from a snapshot copy, never by a WebGPU validation error.
 */

import type {
  AdamBuffers,
  AdamSpec,
  AffineSpec,
  Backend,
  BinaryBuffers,
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
  UnarySecondBuffers,
  UnarySpec,
} from "../engine/backend.ts";
import { BufferPool } from "./buffer_pool.ts";
import {
  type AdapterInfo,
  type DeviceHealth,
  requestGpu,
  type RequestGpuOptions,
} from "./device.ts";
import { encodeAdam } from "./kernels/adam.ts";
import { encodeAffine } from "./kernels/affine.ts";
import { encodeBinary } from "./kernels/binary.ts";
import { encodeCopyBlocks } from "./kernels/copy_blocks.ts";
import { encodeFill } from "./kernels/fill.ts";
import { encodeCol2im, encodeIm2col } from "./kernels/im2col.ts";
import { encodeLogSoftmax, encodeLogSoftmaxBackward } from "./kernels/log_softmax.ts";
import { encodeMatmul, type MatmulVariant } from "./kernels/matmul.ts";
import { encodeMatmulPrepared } from "./kernels/matmul_layout.ts";
import { ALL_KERNELS } from "./kernels/mod.ts";
import { encodeNormBackward, encodeNormForward } from "./kernels/norm.ts";
import { encodePermute } from "./kernels/permute.ts";
import { encodeRandom } from "./kernels/random.ts";
import { encodeReduceSum } from "./kernels/reduce_sum.ts";
import { encodeLangevinUpdate, encodeSdeUpdate } from "./kernels/sampler.ts";
import { encodeSumSquares } from "./kernels/sum_squares.ts";
import { encodeTimeEmbedding } from "./kernels/time_embedding.ts";
import { encodeUnary } from "./kernels/unary.ts";
import { PipelineCache } from "./pipeline_cache.ts";
import { KernelProfiler } from "./profiler.ts";
import { Recorder, STORAGE_USAGE } from "./recorder.ts";

export { DeviceLostError, GpuUnavailableError } from "./device.ts";
export type { AdapterInfo } from "./device.ts";

/** Reads an environment variable, or undefined without --allow-env (never throws). */
function envFlag(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** Smallest M·N·K for which "auto" pads unaligned matmuls for the vec4 kernels. */
const PAD_MIN_WORK = 32768;

/** Bytes allocated for `size` floats: rounded up to whole vec4s (vec4 kernels bind ≥ 16 bytes). */
function storageBytes(size: number): number {
  return Math.max(1, Math.ceil(size / 4)) * 16;
}

/** A record of backend buffers (`NormBackwardBuffers`, …) with each buffer replaced by its GPUBuffer. */
type OnGpu<R> = { [K in keyof R]: null extends R[K] ? GPUBuffer | null : GPUBuffer };

/** A WebGPU storage buffer of `size` f32 elements. */
export class GpuBuffer implements DeviceBuffer {
  readonly size: number;
  /** The underlying buffer (whole vec4s, ≥ 16 bytes; usage STORAGE | COPY_SRC | COPY_DST). */
  readonly buffer: GPUBuffer;
  /** Set by `free()`; a freed handle must not be used again. */
  freed = false;
  constructor(size: number, buffer: GPUBuffer) {
    this.size = size;
    this.buffer = buffer;
  }
}

/** Options of `createWebGpuBackend`. */
export interface WebGpuBackendOptions extends RequestGpuOptions {
  /**
   * Matmul kernel. "auto" (default): "rowblock" on a fallback (CPU) adapter and "vec4" on a real
   * GPU, with transposed operands materialised and K, N zero-padded to multiples of 4 when
   * needed; tiny unaligned matmuls (M·N·K < 32768) use "blocked" directly. A named variant is used
   * for every matmul (vec4/rowblock with the same layout preparation).
   */
  matmul?: "auto" | MatmulVariant;
  /** Override constants for the matmul kernels, by variant (tile sizes). */
  matmulOverrides?: Partial<Record<MatmulVariant, Record<string, number>>>;
  /** Compile every pipeline up front (asynchronously, with WGSL error messages). Default true. */
  warmup?: boolean;
  /**
   * Time every kernel with timestamp queries (`backend.profiler.report()`); each dispatch gets
   * its own pass. Throws a TypeError when the adapter lacks "timestamp-query". Default false.
   */
  profile?: boolean;
}

/** The WebGPU backend. Create with `createWebGpuBackend`. */
export class WebGpuBackend implements Backend {
  readonly name = "webgpu" as const;
  readonly f64 = false;
  /** The device in use. */
  readonly device: GPUDevice;
  /** Facts about the adapter, including `isFallbackAdapter` (llvmpipe). */
  readonly adapterInfo: AdapterInfo;
  /** The buffer pool (counters: bytesAllocated, bytesInUse). */
  readonly pool: BufferPool;
  /** The pipeline cache of this device. */
  readonly pipelines: PipelineCache;
  /** The command recorder (counters: dispatches, submits; `recorder.profiler` when profiling). */
  readonly recorder: Recorder;
  readonly #health: DeviceHealth;
  readonly #matmul: "auto" | MatmulVariant;
  readonly #matmulOverrides: Partial<Record<MatmulVariant, Record<string, number>>>;
  #destroyed = false;

  /** Wraps an existing device; prefer `createWebGpuBackend`. */
  constructor(
    device: GPUDevice,
    adapterInfo: AdapterInfo,
    health: DeviceHealth,
    opts: WebGpuBackendOptions = {},
  ) {
    this.device = device;
    this.adapterInfo = adapterInfo;
    this.#health = health;
    this.pool = new BufferPool(device);
    this.pipelines = PipelineCache.for(device);
    const print = envFlag("WEBGPU_PRINT_SHADER");
    if (print) this.pipelines.printShader = new RegExp(print);
    this.recorder = new Recorder(device, this.pool, this.pipelines, health);
    this.#matmul = opts.matmul ?? "auto";
    this.#matmulOverrides = opts.matmulOverrides ?? {};
    this.pipelines.onError = (message) => health.fail(message);
    health.onFailure = () => {
      this.pool.dropAll();
      this.pipelines.clear();
    };
  }

  #check(): void {
    if (this.#destroyed) {
      throw new Error("Cannot use the WebGPU backend: it was destroyed");
    }
    this.#health.check();
  }

  #buf(b: DeviceBuffer): GPUBuffer {
    const g = b as GpuBuffer;
    if (!(g instanceof GpuBuffer)) {
      throw new TypeError("Cannot use buffer: it does not belong to the WebGPU backend");
    }
    if (g.freed) throw new TypeError("Cannot use buffer: it was freed");
    return g.buffer;
  }

  /** The GPU buffers of a record of backend buffers, field by field (a null field stays null). */
  #bufs<R extends { [K in keyof R]: DeviceBuffer | null }>(bufs: R): OnGpu<R> {
    const out: Record<string, GPUBuffer | null> = {};
    for (const [key, b] of Object.entries<DeviceBuffer | null>(bufs)) {
      out[key] = b === null ? null : this.#buf(b);
    }
    return out as OnGpu<R>;
  }

  alloc(size: number): DeviceBuffer {
    this.#check();
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(
        `Cannot allocate buffer: size must be a non-negative integer: current value is ${size}`,
      );
    }
    const bytes = storageBytes(size);
    const limit = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new RangeError(
        `Cannot allocate buffer: ${size} floats exceed the device's storage binding limit of ${
          limit / 4
        } floats: current size is ${size}`,
      );
    }
    return new GpuBuffer(size, this.pool.acquire(bytes, STORAGE_USAGE, "backend.storage"));
  }

  free(buf: DeviceBuffer): void {
    const g = buf as GpuBuffer;
    if (this.#destroyed || this.#health.reason !== null) return;
    if (g.freed) throw new TypeError("Cannot free buffer: it was already freed");
    g.freed = true;
    this.pool.release(g.buffer);
  }

  write(buf: DeviceBuffer, data: ArrayLike<number>, offset = 0): void {
    this.#check();
    if (offset < 0 || offset + data.length > buf.size) {
      throw new RangeError(
        `Cannot write buffer: ${data.length} values at offset ${offset} exceed its size: current size is ${buf.size}`,
      );
    }
    const f32 = data instanceof Float32Array && data.buffer instanceof ArrayBuffer
      ? data as Float32Array<ArrayBuffer>
      : Float32Array.from(data);
    this.recorder.write(this.#buf(buf), f32, offset * 4);
  }

  async read(buf: DeviceBuffer): Promise<Float32Array> {
    this.#check();
    const bytes = await this.recorder.read(this.#buf(buf), buf.size * 4);
    return new Float32Array(bytes);
  }

  flush(): void {
    this.#check();
    this.recorder.flush();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.recorder.destroy();
    this.pool.dropAll();
    this.pipelines.clear();
    this.device.destroy();
  }

  fill(out: DeviceBuffer, value: number, n = out.size): void {
    this.#check();
    encodeFill(this.recorder, this.#buf(out), value, n);
  }

  copyBlocks(src: DeviceBuffer, dst: DeviceBuffer, spec: CopyBlocksSpec): void {
    this.#check();
    encodeCopyBlocks(this.recorder, this.#buf(src), this.#buf(dst), spec);
  }

  unary(x: DeviceBuffer, out: DeviceBuffer, spec: UnarySpec): void {
    this.#check();
    encodeUnary(this.recorder, "forward", { x: this.#buf(x), out: this.#buf(out) }, spec);
  }

  unaryBackward(bufs: UnaryBackwardBuffers, spec: UnarySpec): void {
    this.#check();
    const { x, dy, dx } = this.#bufs(bufs);
    encodeUnary(this.recorder, "backward", { x, a: dy, out: dx }, spec);
  }

  unarySecond(bufs: UnarySecondBuffers, spec: UnarySpec): void {
    this.#check();
    encodeUnary(this.recorder, "second", this.#bufs(bufs), spec);
  }

  affine(x: DeviceBuffer, out: DeviceBuffer, spec: AffineSpec): void {
    this.#check();
    encodeAffine(this.recorder, this.#buf(x), this.#buf(out), spec);
  }

  binary(bufs: BinaryBuffers, spec: BinarySpec): void {
    this.#check();
    encodeBinary(this.recorder, this.#bufs(bufs), spec);
  }

  reduceSum(x: DeviceBuffer, out: DeviceBuffer, spec: ReduceSumSpec): void {
    this.#check();
    encodeReduceSum(this.recorder, this.#buf(x), this.#buf(out), spec);
  }

  sumSquares(x: DeviceBuffer, out: DeviceBuffer, spec: SumSquaresSpec): void {
    this.#check();
    encodeSumSquares(this.recorder, this.#buf(x), this.#buf(out), spec);
  }

  matmul(bufs: BinaryBuffers, spec: MatmulSpec): void {
    this.#check();
    const { m, k, n } = spec;
    let variant = this.#matmul;
    if (variant === "auto") {
      const fast = this.adapterInfo.isFallbackAdapter ? "rowblock" : "vec4";
      const aligned = k % 4 === 0 && n % 4 === 0;
      // Padding costs a few extra dispatches: worth it only for matmuls that are not tiny.
      variant = aligned || m * n * k >= PAD_MIN_WORK ? fast : "blocked";
    }
    const gpuBufs = this.#bufs(bufs);
    const overrides = this.#matmulOverrides[variant];
    if (variant === "vec4" || variant === "rowblock") {
      const alloc = (size: number) =>
        this.pool.acquire(storageBytes(size), STORAGE_USAGE, "matmul.scratch");
      encodeMatmulPrepared(this.recorder, this.pool, alloc, gpuBufs, spec, variant, overrides);
    } else {
      encodeMatmul(this.recorder, gpuBufs, spec, variant, overrides);
    }
  }

  permute(x: DeviceBuffer, out: DeviceBuffer, spec: PermuteSpec): void {
    this.#check();
    encodePermute(this.recorder, this.#buf(x), this.#buf(out), spec);
  }

  im2col(x: DeviceBuffer, col: DeviceBuffer, g: ConvGeometry): void {
    this.#check();
    encodeIm2col(this.recorder, this.#buf(x), this.#buf(col), g);
  }

  col2im(col: DeviceBuffer, dx: DeviceBuffer, spec: Col2imSpec): void {
    this.#check();
    encodeCol2im(this.recorder, this.#buf(col), this.#buf(dx), spec);
  }

  normForward(bufs: NormForwardBuffers, spec: NormSpec): void {
    this.#check();
    encodeNormForward(this.recorder, this.#bufs(bufs), spec);
  }

  normBackward(bufs: NormBackwardBuffers, spec: NormSpec): void {
    this.#check();
    encodeNormBackward(this.recorder, this.#bufs(bufs), spec);
  }

  logSoftmax(x: DeviceBuffer, y: DeviceBuffer, spec: RowsSpec): void {
    this.#check();
    encodeLogSoftmax(this.recorder, this.#buf(x), this.#buf(y), spec);
  }

  logSoftmaxBackward(bufs: LogSoftmaxBackwardBuffers, spec: RowsSpec): void {
    this.#check();
    encodeLogSoftmaxBackward(this.recorder, this.#bufs(bufs), spec);
  }

  timeEmbedding(t: DeviceBuffer, out: DeviceBuffer, spec: TimeEmbeddingSpec): void {
    this.#check();
    encodeTimeEmbedding(this.recorder, this.#buf(t), this.#buf(out), spec);
  }

  adam(bufs: AdamBuffers, spec: AdamSpec): void {
    this.#check();
    encodeAdam(this.recorder, this.#bufs(bufs), spec);
  }

  random(out: DeviceBuffer, spec: RandomSpec): void {
    this.#check();
    encodeRandom(this.recorder, this.#buf(out), spec);
  }

  sdeUpdate(bufs: SamplerBuffers, spec: SdeUpdateSpec): void {
    this.#check();
    encodeSdeUpdate(this.recorder, this.#bufs(bufs), spec);
  }

  langevinUpdate(bufs: SamplerBuffers, spec: LangevinSpec): void {
    this.#check();
    encodeLangevinUpdate(this.recorder, this.#bufs(bufs), spec);
  }
}

/**
 * Requests a WebGPU adapter and device (limits raised to the adapter's) and returns the backend.
 *
 * @throws {GpuUnavailableError} when no adapter exists, with a hint.
 * @example
 * ```ts ignore
 * const gpu = await createWebGpuBackend();
 * const x = gpu.alloc(4);
 * gpu.write(x, [1, 2, 3, 4]);
 * gpu.unary(x, x, { op: "exp", n: 4 });
 * console.log(await gpu.read(x), gpu.adapterInfo.isFallbackAdapter);
 * ```
 */
export async function createWebGpuBackend(
  opts: WebGpuBackendOptions = {},
): Promise<WebGpuBackend> {
  const features = opts.profile
    ? [...(opts.features ?? []), "timestamp-query" as const]
    : opts.features;
  const { device, adapterInfo, health } = await requestGpu({ ...opts, features });
  const backend = new WebGpuBackend(device, adapterInfo, health, opts);
  if (opts.profile) backend.recorder.profiler = new KernelProfiler(device);
  if (opts.warmup ?? true) {
    await Promise.all(ALL_KERNELS.map((k) => backend.pipelines.warm(k)));
  }
  return backend;
}
