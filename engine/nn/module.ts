/**
 * Modules: named parameter tensors plus child modules, with PyTorch-style dotted names
 * ("enc.conv1.weight") so checkpoints map one-to-one onto safetensors keys.
 */
import type { Backend } from "../backend.ts";
import { Rng } from "../random.ts";
import { keep, Tensor } from "../tensor.ts";

/** Base class: subclasses register parameters and children in their constructors. */
export abstract class Module {
  readonly #params = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();

  /** Registers a parameter (a leaf that requires a gradient, kept out of `tidy` scopes). */
  protected param(name: string, t: Tensor): Tensor {
    this.#params.set(name, keep(t).requireGrad());
    return t;
  }

  /** Registers a child module. */
  protected child<M extends Module>(name: string, m: M): M {
    this.#children.set(name, m);
    return m;
  }

  /** All parameters with dotted names, in registration order. */
  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.#params) out.push([prefix + n, t]);
    for (const [n, c] of this.#children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** All parameters. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Total number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  /** Frees every parameter (and its gradient). */
  dispose(): void {
    for (const t of this.parameters()) t.dispose();
  }
}

/** Initialisation helpers: values are drawn on the host from a seeded `Rng`, identical on every backend. */
export class Init {
  readonly rng: Rng;
  constructor(readonly backend: Backend, seed: number) {
    this.rng = new Rng(seed);
  }
  /** U(−bound, bound). */
  uniform(shape: number[], bound: number): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (2 * this.rng.uniform() - 1) * bound;
    return Tensor.from(this.backend, v, shape);
  }
  /** A constant tensor. */
  constant(shape: number[], value: number): Tensor {
    return Tensor.full(this.backend, shape, value);
  }
}
