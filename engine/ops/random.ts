/** Device-generated random tensors from a seeded, counter-based stream (engine/random.ts). */
import type { Backend } from "../backend.ts";
import { Tensor } from "../tensor.ts";

/**
 * A seeded stream of device random numbers. Each draw takes the next `size` counters, so the
 * sequence is reproducible and a resumed run continues it exactly from the saved `counter`.
 */
export class RandomStream {
  constructor(readonly seed: number, public counter = 0) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(
        `Cannot create RandomStream: seed must be a u32 integer: current value is ${seed}`,
      );
    }
  }
  #take(n: number): number {
    const off = this.counter;
    this.counter = (this.counter + n) % 4294967296;
    return off;
  }
  /** N(0, 1) samples of the given shape. */
  normal(backend: Backend, shape: readonly number[]): Tensor {
    const t = Tensor.empty(backend, shape);
    if (t.size) backend.random(t.buf, t.size, "normal", this.seed, this.#take(t.size));
    return t;
  }
  /** U[0, 1) samples of the given shape. */
  uniform(backend: Backend, shape: readonly number[]): Tensor {
    const t = Tensor.empty(backend, shape);
    if (t.size) backend.random(t.buf, t.size, "uniform", this.seed, this.#take(t.size));
    return t;
  }
}
