/**
 * The training loop every stage uses. A step records its kernels and the device runs them
 * without the host waiting; scalar metrics are summed on the device and read back every
 * `metricsEvery` steps, which is also where a non-finite loss is caught and named.
 */
import type { Backend, DeviceBuffer } from "../backend.ts";
import type { Progress } from "../progress.ts";
import { type Tensor, tidy } from "../tensor.ts";

/** Device-side sums of scalar metrics, read back on demand. */
export class MetricAccumulator {
  readonly #buf: DeviceBuffer;
  #count = 0;
  constructor(readonly backend: Backend, readonly names: readonly string[]) {
    this.#buf = backend.alloc(names.length);
    backend.fill(this.#buf, 0, names.length);
  }
  /** Adds one step's scalars (tensors of one element) into the sums. */
  add(values: Record<string, Tensor>): void {
    this.names.forEach((n, k) => {
      const t = values[n];
      if (!t) throw new Error(`Cannot record metric ${n}: the step did not return it`);
      this.backend.copyBlocks(t.buf, this.#buf, {
        outer: 1,
        inner: 1,
        srcStride: 0,
        dstStride: 0,
        srcOffset: 0,
        dstOffset: k,
        accumulate: true,
      });
    });
    this.#count++;
  }
  /** Number of steps summed since the last read. */
  get count(): number {
    return this.#count;
  }
  /** Reads the means since the last read and resets the sums. */
  async read(): Promise<Record<string, number>> {
    const v = await this.backend.read(this.#buf);
    const out: Record<string, number> = {};
    this.names.forEach((n, k) => (out[n] = v[k] / Math.max(1, this.#count)));
    this.backend.fill(this.#buf, 0, this.names.length);
    this.#count = 0;
    return out;
  }
  dispose(): void {
    this.backend.free(this.#buf);
  }
}

/** Thrown when a loss turns NaN or infinite; names the stage and the step range. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly stage: string,
    readonly fromStep: number,
    readonly toStep: number,
    readonly metric: string,
  ) {
    super(
      `Cannot train ${stage}: ${metric} became non-finite between steps ${fromStep} and ${toStep}: ` +
        `lower the learning rate or enable gradient clipping; the last checkpoint is intact`,
    );
    this.name = "NonFiniteLossError";
  }
}

/** Options of {@link trainLoop}. */
export interface LoopOptions {
  /** Stage name, for messages and metrics. */
  stage: string;
  backend: Backend;
  /** Total steps of the stage, and the step to start from (resume). */
  steps: number;
  startStep?: number;
  /** Scalar metric names each step returns (must include "loss"). */
  metrics: readonly string[];
  /** Records one step (forward, backward, update); runs inside `tidy`; returns one-element tensors. */
  step: (i: number) => Record<string, Tensor>;
  metricsEvery?: number;
  /** Called with the mean metrics after steps (i − n, i]. */
  onMetrics?: (step: number, values: Record<string, number>) => void | Promise<void>;
  /** Called at multiples of checkpointEvery (after the metrics of that step are written). */
  onCheckpoint?: (step: number) => void | Promise<void>;
  checkpointEvery?: number;
  progress?: Progress;
}

/** Runs steps [startStep, steps); returns the last metrics read. */
export async function trainLoop(o: LoopOptions): Promise<Record<string, number>> {
  const every = o.metricsEvery ?? 25;
  const acc = new MetricAccumulator(o.backend, o.metrics);
  let last: Record<string, number> = {};
  let from = o.startStep ?? 0;
  try {
    for (let i = o.startStep ?? 0; i < o.steps; i++) {
      tidy(() => acc.add(o.step(i)));
      o.backend.flush();
      const done = i + 1;
      const ckpt = o.checkpointEvery && done % o.checkpointEvery === 0;
      if (done % every === 0 || done === o.steps || ckpt) {
        last = await acc.read();
        for (const [k, v] of Object.entries(last)) {
          if (!Number.isFinite(v)) throw new NonFiniteLossError(o.stage, from + 1, done, k);
        }
        from = done;
        await o.onMetrics?.(done, last);
        o.progress?.update(done, `loss ${last.loss?.toPrecision(4)}`);
      }
      if (ckpt && done < o.steps) await o.onCheckpoint?.(done);
    }
  } finally {
    acc.dispose();
  }
  return last;
}
