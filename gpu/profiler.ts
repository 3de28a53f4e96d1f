/**
 * Opt-in GPU time per kernel from timestamp queries (the "timestamp-query" feature). When a
 * profiler is attached, the recorder gives every dispatch its own compute pass with begin/end
 * timestamps; `flush()` resolves them into a buffer that is read back asynchronously, so
 * profiling adds passes but never a wait inside a step. `report()` waits for pending readbacks.
 * For finding the kernels that dominate a step, not for production runs.
 */

/** Accumulated GPU time of one kernel. */
export interface KernelTime {
  count: number;
  /** Total nanoseconds between the begin and end timestamps of its passes. */
  ns: number;
}

/** Maximum timed dispatches per submission (two queries each). */
const CAPACITY = 2048;

/** Collects per-kernel GPU time; see the module doc. */
export class KernelProfiler {
  readonly #device: GPUDevice;
  readonly #querySet: GPUQuerySet;
  #names: string[] = [];
  #pending: Promise<void>[] = [];
  /** Totals by kernel name. */
  readonly totals = new Map<string, KernelTime>();
  /** Dispatches that were not timed because a submission exceeded the query capacity. */
  untimed = 0;

  constructor(device: GPUDevice) {
    if (!device.features.has("timestamp-query")) {
      throw new TypeError(
        "Cannot profile kernels: the device lacks the timestamp-query feature: create the " +
          "backend with { profile: true } on an adapter that offers it",
      );
    }
    this.#device = device;
    this.#querySet = device.createQuerySet({
      type: "timestamp",
      count: 2 * CAPACITY,
      label: "profiler.querySet",
    });
  }

  /** Timestamp writes for the next dispatch of `name`, or undefined when this submission is full. */
  next(name: string): GPUComputePassTimestampWrites | undefined {
    const i = this.#names.length;
    if (i >= CAPACITY) {
      this.untimed++;
      return undefined;
    }
    this.#names.push(name);
    return {
      querySet: this.#querySet,
      beginningOfPassWriteIndex: 2 * i,
      endOfPassWriteIndex: 2 * i + 1,
    };
  }

  /**
   * Records the resolve of this submission's timestamps into `encoder`; the returned function is
   * called after the submit and starts the asynchronous readback.
   */
  resolve(encoder: GPUCommandEncoder): (() => void) | null {
    const names = this.#names;
    if (names.length === 0) return null;
    this.#names = [];
    const bytes = names.length * 16;
    const resolved = this.#device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      label: "profiler.resolve",
    });
    const staging = this.#device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: "profiler.staging",
    });
    encoder.resolveQuerySet(this.#querySet, 0, 2 * names.length, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    return () => {
      this.#pending.push(
        staging.mapAsync(GPUMapMode.READ).then(() => {
          const t = new BigUint64Array(staging.getMappedRange());
          names.forEach((name, i) => {
            const ns = t[2 * i + 1] >= t[2 * i] ? Number(t[2 * i + 1] - t[2 * i]) : 0;
            const k = this.totals.get(name) ?? { count: 0, ns: 0 };
            k.count++;
            k.ns += ns;
            this.totals.set(name, k);
          });
          staging.unmap();
          staging.destroy();
          resolved.destroy();
        }),
      );
    };
  }

  /** Waits for pending readbacks and returns the totals, largest first. */
  async report(): Promise<[string, KernelTime][]> {
    await Promise.all(this.#pending);
    this.#pending = [];
    return [...this.totals.entries()].sort((a, b) => b[1].ns - a[1].ns);
  }

  /** Clears the totals. */
  reset(): void {
    this.totals.clear();
    this.untimed = 0;
  }
}
