/**
 * Records kernels into one command encoder and submits them with one `flush()`.
 *
 * - Dispatches go into a single open compute pass; copies end the pass and open a new one later.
 * - Each dispatch gets its own 256-byte-aligned slice of a host uniform arena. The arena is backed
 *   by fixed 64 KiB uniform chunks that are written once per flush, right before the submit, so no
 *   `writeBuffer` ever lands on a buffer an earlier dispatch of the same submission still reads.
 *   The slice is a dynamic offset, so bind groups are cached by (kernel, buffers, chunk).
 * - Host→device writes made while work is recorded go through a mapped staging buffer and a copy
 *   recorded in order; with nothing recorded they use `queue.writeBuffer` directly.
 * Nothing here waits, except `read()`.
 */

import type { BufferPool } from "./buffer_pool.ts";
import type { DeviceHealth } from "./device.ts";
import type { KernelDef } from "./kernel.ts";
import type { PipelineCache } from "./pipeline_cache.ts";
import type { KernelProfiler } from "./profiler.ts";
import { packUniforms, type UniformValues } from "./uniforms.ts";

/** Bytes per uniform slice (the portable minUniformBufferOffsetAlignment). */
export const UNIFORM_SLICE = 256;
/** Bytes per uniform chunk buffer (the portable maxUniformBufferBindingSize). */
export const UNIFORM_CHUNK = 65536;
const SLICES_PER_CHUNK = UNIFORM_CHUNK / UNIFORM_SLICE;

/** Bind groups kept before the cache is cleared (a step binds a few hundred). */
const BIND_GROUP_CACHE = 4096;

/** Usage of every storage buffer the backend allocates. */
export const STORAGE_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC |
  GPUBufferUsage.COPY_DST;

/** Records and submits GPU work for one device. */
export class Recorder {
  readonly #device: GPUDevice;
  readonly #pool: BufferPool;
  readonly #pipelines: PipelineCache;
  readonly #health: DeviceHealth;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #host = new ArrayBuffer(UNIFORM_CHUNK);
  #slices = 0;
  readonly #chunks: GPUBuffer[] = [];
  #staging: GPUBuffer[] = [];
  readonly #bindGroups = new Map<string, GPUBindGroup>();
  readonly #ids = new WeakMap<GPUBuffer, number>();
  #nextId = 0;
  #poolGeneration = 0;
  /** When set, every dispatch is timed in its own pass (see profiler.ts). */
  profiler: KernelProfiler | null = null;
  /** Dispatches recorded since creation (diagnostics). */
  dispatches = 0;
  /** Submits made since creation (diagnostics). */
  submits = 0;
  /** Bind groups created since creation (diagnostics: cache misses). */
  bindGroupsCreated = 0;

  constructor(device: GPUDevice, pool: BufferPool, pipelines: PipelineCache, health: DeviceHealth) {
    this.#device = device;
    this.#pool = pool;
    this.#pipelines = pipelines;
    this.#health = health;
  }

  #encoderOpen(): GPUCommandEncoder {
    if (this.#encoder === null) {
      this.#encoder = this.#device.createCommandEncoder({ label: "backend.encoder" });
    }
    return this.#encoder;
  }

  #passOpen(): GPUComputePassEncoder {
    if (this.#pass === null) {
      this.#pass = this.#encoderOpen().beginComputePass({ label: "backend.pass" });
    }
    return this.#pass;
  }

  #endPass(): void {
    if (this.#pass !== null) {
      this.#pass.end();
      this.#pass = null;
    }
  }

  /** Reserves a uniform slice, packs `values` into it and returns (chunk buffer, byte offset). */
  #uniform(def: KernelDef, values: UniformValues): [GPUBuffer, number] {
    const slot = this.#slices++;
    const byteOffset = slot * UNIFORM_SLICE;
    if (byteOffset + UNIFORM_SLICE > this.#host.byteLength) {
      const grown = new ArrayBuffer(this.#host.byteLength * 2);
      new Uint8Array(grown).set(new Uint8Array(this.#host));
      this.#host = grown;
    }
    packUniforms(def.layout, values, this.#host, byteOffset);
    const chunk = Math.floor(slot / SLICES_PER_CHUNK);
    while (this.#chunks.length <= chunk) {
      this.#chunks.push(this.#device.createBuffer({
        size: UNIFORM_CHUNK,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        label: `backend.uniformChunk${this.#chunks.length}`,
      }));
    }
    return [this.#chunks[chunk], (slot % SLICES_PER_CHUNK) * UNIFORM_SLICE];
  }

  /**
   * Records one dispatch of `def` over `groups` workgroups with storage `buffers` (in binding
   * order) and uniform `values`.
   */
  dispatch(
    def: KernelDef,
    buffers: readonly GPUBuffer[],
    values: UniformValues,
    groups: readonly [number, number?, number?],
    overrides?: Readonly<Record<string, number>>,
  ): void {
    this.#health.check();
    const { pipeline, layout } = this.#pipelines.get(def, overrides);
    const snapshots = this.#snapshotAliasedInputs(def, buffers);
    const bound = snapshots === null
      ? buffers
      : buffers.map((b, i) => def.bindings[i].access === "read" ? snapshots.get(b) ?? b : b);
    const [ub, offset] = this.#uniform(def, values);
    const bindGroup = this.#bindGroup(def, layout, bound, ub);
    let pass: GPUComputePassEncoder;
    if (this.profiler !== null) {
      this.#endPass();
      pass = this.#encoderOpen().beginComputePass({
        label: `${def.name}.pass`,
        timestampWrites: this.profiler.next(def.name),
      });
    } else {
      pass = this.#passOpen();
    }
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup, [offset]);
    pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    if (this.profiler !== null) pass.end();
    this.dispatches++;
    if (snapshots !== null) {
      for (const snap of snapshots.values()) this.#pool.release(snap); // queue order keeps it valid
    }
  }

  /**
   * The bind group of `def` over `buffers` and uniform chunk `ub` (its slice is a dynamic
   * offset). Cached: a training step binds the same pooled buffers every step, and creating bind
   * groups is the main CPU cost of recording. Dropped when the pool destroys buffers.
   */
  #bindGroup(
    def: KernelDef,
    layout: GPUBindGroupLayout,
    buffers: readonly GPUBuffer[],
    ub: GPUBuffer,
  ): GPUBindGroup {
    if (
      this.#poolGeneration !== this.#pool.generation || this.#bindGroups.size > BIND_GROUP_CACHE
    ) {
      this.#bindGroups.clear();
      this.#poolGeneration = this.#pool.generation;
    }
    let key = `${def.name}|${this.#id(ub)}`;
    for (const b of buffers) key += `,${this.#id(b)}`;
    let bg = this.#bindGroups.get(key);
    if (bg === undefined) {
      const entries: GPUBindGroupEntry[] = buffers.map((buffer, i) => ({
        binding: i,
        resource: { buffer },
      }));
      entries.push({
        binding: buffers.length,
        resource: { buffer: ub, offset: 0, size: def.layout.size },
      });
      bg = this.#device.createBindGroup({ layout, entries, label: `${def.name}.bindGroup` });
      this.bindGroupsCreated++;
      this.#bindGroups.set(key, bg);
    }
    return bg;
  }

  #id(b: GPUBuffer): number {
    let id = this.#ids.get(b);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(b, id);
    }
    return id;
  }

  /**
   * WebGPU forbids one buffer bound both read-only and writable in a dispatch. When a caller
   * passes an output that is also a read input (in-place use), the input is read from a snapshot
   * copy taken just before the dispatch, which gives the in-place semantics of an elementwise
   * kernel. Returns null when nothing aliases (the common case, no extra work).
   */
  #snapshotAliasedInputs(
    def: KernelDef,
    buffers: readonly GPUBuffer[],
  ): Map<GPUBuffer, GPUBuffer> | null {
    const writable = new Set<GPUBuffer>();
    buffers.forEach((b, i) => {
      if (def.bindings[i].access === "read_write") writable.add(b);
    });
    let snaps: Map<GPUBuffer, GPUBuffer> | null = null;
    buffers.forEach((b, i) => {
      if (def.bindings[i].access !== "read" || !writable.has(b) || snaps?.has(b)) return;
      snaps ??= new Map();
      const snap = this.#pool.acquire(b.size, STORAGE_USAGE, `${def.name}.aliasSnapshot`);
      this.copy(b, 0, snap, 0, b.size);
      snaps.set(b, snap);
    });
    return snaps;
  }

  /** Writes `data` (f32) into `dst` at byte offset `byteOffset`, ordered after recorded work. */
  write(dst: GPUBuffer, data: Float32Array<ArrayBuffer>, byteOffset: number): void {
    this.#health.check();
    if (data.byteLength === 0) return;
    if (this.#encoder === null) {
      this.#device.queue.writeBuffer(dst, byteOffset, data);
      return;
    }
    const staging = this.#device.createBuffer({
      size: Math.ceil(data.byteLength / 4) * 4,
      usage: GPUBufferUsage.COPY_SRC,
      mappedAtCreation: true,
      label: "backend.writeStaging",
    });
    new Float32Array(staging.getMappedRange()).set(data);
    staging.unmap();
    this.#endPass();
    this.#encoderOpen().copyBufferToBuffer(staging, 0, dst, byteOffset, data.byteLength);
    this.#staging.push(staging);
  }

  /** Records a buffer-to-buffer copy. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.#health.check();
    this.#endPass();
    this.#encoderOpen().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Uploads this submission's uniforms and submits everything recorded (one submit). */
  flush(): void {
    this.#health.check();
    if (this.#encoder === null) return;
    this.#endPass();
    const used = this.#slices * UNIFORM_SLICE;
    for (let c = 0; c * UNIFORM_CHUNK < used; c++) {
      const bytes = Math.min(UNIFORM_CHUNK, used - c * UNIFORM_CHUNK);
      this.#device.queue.writeBuffer(this.#chunks[c], 0, this.#host, c * UNIFORM_CHUNK, bytes);
    }
    const startReadback = this.profiler?.resolve(this.#encoder) ?? null;
    this.#device.queue.submit([this.#encoder.finish({ label: "backend.commands" })]);
    startReadback?.();
    this.submits++;
    this.#encoder = null;
    this.#slices = 0;
    for (const s of this.#staging) s.destroy(); // destruction waits for the submitted copies
    this.#staging = [];
  }

  /** Flushes, copies `bytes` of `src` to a mapped staging buffer and returns them. */
  async read(src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    this.#health.check();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const usage = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;
    const staging = this.#pool.acquire(size, usage, "backend.readStaging");
    if (bytes > 0) this.copy(src, 0, staging, 0, size);
    else this.#encoderOpen();
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, size);
    } catch (e) {
      this.#health.check();
      throw e;
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.#pool.release(staging);
    this.#health.check();
    return out;
  }

  /** Drops recorded work and uniform chunks. */
  destroy(): void {
    this.#bindGroups.clear();
    this.#pass = null;
    this.#encoder = null;
    for (const c of this.#chunks) c.destroy();
    this.#chunks.length = 0;
    for (const s of this.#staging) s.destroy();
    this.#staging = [];
  }
}
