/**
 * A pool of GPU buffers keyed by (byte size rounded up to 4, usage), after tfjs-webgpu's
 * BufferManager. Released buffers are handed out again at once: callers rely on queue order (work
 * recorded before a release still reads the old contents before any later write lands).
 */

/** Reusable GPUBuffers with allocation counters. */
export class BufferPool {
  readonly #device: GPUDevice;
  readonly #free = new Map<string, GPUBuffer[]>();
  readonly #sizes = new WeakMap<GPUBuffer, number>();
  /** Bytes held by every buffer this pool created and has not destroyed. */
  bytesAllocated = 0;
  /** Bytes currently handed out (acquired and not yet released). */
  bytesInUse = 0;
  /** Number of createBuffer calls, for tests and diagnostics. */
  created = 0;
  /** Incremented whenever pooled buffers are destroyed (caches holding buffers must drop them). */
  generation = 0;

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** Returns a buffer of at least `byteSize` bytes (rounded up to 4) with exactly `usage`. */
  acquire(byteSize: number, usage: GPUBufferUsageFlags, label = "pool.buffer"): GPUBuffer {
    const size = Math.max(4, Math.ceil(byteSize / 4) * 4);
    const key = `${size}:${usage}`;
    const list = this.#free.get(key);
    let buf = list?.pop();
    if (buf === undefined) {
      buf = this.#device.createBuffer({ size, usage, label });
      this.#sizes.set(buf, size);
      this.bytesAllocated += size;
      this.created++;
    }
    this.bytesInUse += size;
    return buf;
  }

  /** Puts `buf` back for reuse. */
  release(buf: GPUBuffer): void {
    const size = this.#sizes.get(buf);
    if (size === undefined) {
      throw new TypeError("Cannot release buffer: it was not acquired from this pool");
    }
    const key = `${size}:${buf.usage}`;
    let list = this.#free.get(key);
    if (list === undefined) {
      list = [];
      this.#free.set(key, list);
    }
    list.push(buf);
    this.bytesInUse -= size;
  }

  /** Destroys every pooled (free) buffer; buffers in use stay valid. */
  trim(): void {
    this.generation++;
    for (const list of this.#free.values()) {
      for (const b of list) {
        this.bytesAllocated -= this.#sizes.get(b)!;
        b.destroy();
      }
    }
    this.#free.clear();
  }

  /** Forgets everything (after device loss or destroy); counters go to 0. */
  dropAll(): void {
    this.trim();
    this.bytesAllocated = 0;
    this.bytesInUse = 0;
  }
}
