/** Device-generated random tensors from a seeded, counter-based stream (engine/random.ts). */
import type { Backend, RandomSpec } from "../backend.ts";
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
  /** The spec of the next `n` draws of `dist`; takes their counters. */
  #spec(dist: RandomSpec["dist"], n: number): RandomSpec {
    const offset = this.counter;
    this.counter = (this.counter + n) % 4294967296;
    return { n, dist, seed: this.seed, offset };
  }
  /** N(0, 1) samples of the given shape. */
  normal(backend: Backend, shape: readonly number[]): Tensor {
    const t = Tensor.empty(backend, shape);
    if (t.size) backend.random(t.buf, this.#spec("normal", t.size));
    return t;
  }
  /** U[0, 1) samples of the given shape. */
  uniform(backend: Backend, shape: readonly number[]): Tensor {
    const t = Tensor.empty(backend, shape);
    if (t.size) backend.random(t.buf, this.#spec("uniform", t.size));
    return t;
  }
}
