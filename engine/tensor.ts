/**
 * Tensors and the autograd tape.
 *
 * A `Tensor` is a shape over a reference-counted device buffer (reshapes share it). Every op that
 * runs while gradients are enabled and has an input that requires a gradient records a `Node`:
 * its inputs and a closure that maps the output's gradient to the inputs' gradients. `backward()`
 * walks the nodes in reverse topological order; gradients flow to parameters *and* to inputs
 * (score-ratio matching needs ∇ₓ of a network), see `grad()`. Backward closures run with recording
 * off: second derivatives are built explicitly (forward-mode tangents, `ops/jvp.ts`), not by
 * differentiating the backward pass.
 *
 * Memory: device buffers are not garbage collected. Tensors made inside `tidy(fn)` are freed when it
 * returns, except the ones it returns or `keep()`s; the backends pool freed buffers, so a training
 * step allocates nothing new after the first.
 */
import type { Backend, DeviceBuffer } from "./backend.ts";

/** Shared storage of one or more tensors (views made by reshape). */
class Storage {
  refs = 1;
  constructor(readonly backend: Backend, readonly buf: DeviceBuffer) {}
  release(): void {
    if (--this.refs === 0) this.backend.free(this.buf);
  }
}

/** A node of the tape: how to push the gradient of `out` back to `inputs`. */
export interface Node {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Returns one gradient per input (null where an input needs none). Runs with recording off. */
  backward(dOut: Tensor): (Tensor | null)[];
}

const scopes: Set<Tensor>[] = [];
let recording = true;
let nextId = 0;

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Formats a shape as "[2, 3]" for error messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** An n-dimensional f32 array on a backend, with an optional gradient. */
export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  /** Gradient accumulated by `backward()` for tensors that require one and have no creator. */
  grad: Tensor | null = null;
  /** The op that made this tensor, when recorded. */
  node: Node | null = null;
  #storage: Storage;
  #disposed = false;

  private constructor(
    storage: Storage,
    readonly shape: readonly number[],
    public requiresGrad: boolean,
  ) {
    this.#storage = storage;
    this.size = sizeOf(shape);
    scopes.at(-1)?.add(this);
  }

  /** A new tensor on `backend` with unspecified contents. */
  static empty(backend: Backend, shape: readonly number[]): Tensor {
    validateShape(shape, "allocate tensor");
    return new Tensor(new Storage(backend, backend.alloc(sizeOf(shape))), shape, false);
  }

  /** A new tensor holding `data` (row-major). */
  static from(backend: Backend, data: ArrayLike<number>, shape: readonly number[]): Tensor {
    validateShape(shape, "create tensor");
    if (data.length !== sizeOf(shape)) {
      throw new TypeError(
        `Cannot create tensor: data has ${data.length} elements but shape ${
          fmtShape(shape)
        } needs ${sizeOf(shape)}`,
      );
    }
    const t = Tensor.empty(backend, shape);
    if (data.length > 0) backend.write(t.buf, data);
    return t;
  }

  /** A tensor filled with `value`. */
  static full(backend: Backend, shape: readonly number[], value: number): Tensor {
    const t = Tensor.empty(backend, shape);
    if (t.size > 0) backend.fill(t.buf, value, t.size);
    return t;
  }

  /** The backend holding this tensor. */
  get backend(): Backend {
    return this.#storage.backend;
  }

  /** The device buffer (shared with reshaped views). */
  get buf(): DeviceBuffer {
    if (this.#disposed) {
      throw new Error(`Cannot use tensor ${this.id} ${fmtShape(this.shape)}: it was disposed`);
    }
    return this.#storage.buf;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** A view with another shape of the same number of elements (shares the buffer). */
  view(shape: readonly number[]): Tensor {
    validateShape(shape, "reshape tensor");
    if (sizeOf(shape) !== this.size) {
      throw new TypeError(
        `Cannot reshape tensor: ${fmtShape(this.shape)} has ${this.size} elements, ${
          fmtShape(shape)
        } has ${sizeOf(shape)}`,
      );
    }
    this.#storage.refs++;
    return new Tensor(this.#storage, shape, false);
  }

  /** Reads the values back to the host (waits for the device). */
  async data(): Promise<Float32Array | Float64Array> {
    const all = await this.backend.read(this.buf);
    return all.length === this.size ? all : all.subarray(0, this.size);
  }

  /** Reads a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) {
      throw new TypeError(
        `Cannot read item: tensor has shape ${fmtShape(this.shape)}, not 1 element`,
      );
    }
    return (await this.data())[0];
  }

  /** Frees this tensor's hold on its buffer. Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#storage.release();
    this.grad?.dispose();
    this.grad = null;
    this.node = null;
    for (const s of scopes) s.delete(this);
  }

  /** Marks this tensor as a leaf that needs a gradient (a parameter or a differentiated input). */
  requireGrad(): this {
    this.requiresGrad = true;
    return this;
  }
}

function validateShape(shape: readonly number[], action: string): void {
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) {
      throw new TypeError(
        `Cannot ${action}: shape ${fmtShape(shape)} has an invalid dimension ${s}`,
      );
    }
  }
}

/** True when an op with these inputs must be recorded. */
export function needsGrad(inputs: readonly Tensor[]): boolean {
  if (!recording) return false;
  for (const t of inputs) if (t.requiresGrad || t.node) return true;
  return false;
}

/** Attaches a node to an op's output when recording (the op layer calls this). */
export function record(
  out: Tensor,
  op: string,
  inputs: readonly Tensor[],
  backward: (dOut: Tensor) => (Tensor | null)[],
): Tensor {
  if (needsGrad(inputs)) out.node = { op, inputs, backward };
  return out;
}

/** Runs fn with recording off (sampling, evaluation, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = recording;
  recording = false;
  try {
    return fn();
  } finally {
    recording = prev;
  }
}

/** Collects the tensors that a value holds (a tensor, an array or a plain object of them). */
function tensorsIn(value: unknown, out: Set<Tensor>): void {
  if (value instanceof Tensor) out.add(value);
  else if (Array.isArray(value)) { for (const v of value) tensorsIn(v, out); }
  else if (
    value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype
  ) {
    for (const v of Object.values(value)) tensorsIn(v, out);
  }
}

/**
 * Runs fn and frees every tensor it created, except those in its result and those kept with
 * `keep()`; survivors move to the enclosing scope. fn must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const survivors = new Set<Tensor>();
  tensorsIn(result, survivors);
  // A surviving tensor's gradient graph must not dangle: drop tape links from survivors.
  for (const t of scope) {
    if (survivors.has(t)) continue;
    t.dispose();
  }
  const parent = scopes.at(-1);
  if (parent) { for (const t of survivors) parent.add(t); }
  return result;
}

/** Takes a tensor out of the current `tidy` scope so it outlives it. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/** Reverse topological order of the nodes reachable from `root`. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<number>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root.id);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const c = inputs[i];
      if (!seen.has(c.id)) {
        seen.add(c.id);
        stack.push([c, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

function accumulate(into: Map<number, Tensor>, t: Tensor, g: Tensor, add: AddFn): void {
  const prev = into.get(t.id);
  into.set(t.id, prev ? add(prev, g) : g);
}

type AddFn = (a: Tensor, b: Tensor) => Tensor;
let addFn: AddFn | null = null;

/** The ops layer registers its `add` (avoids an import cycle). */
export function setGradientAdd(fn: AddFn): void {
  addFn = fn;
}

/**
 * Gradients of the scalar `loss` with respect to `wrt` (parameters or inputs). Runs with recording
 * off; the returned tensors live in the current scope. Throws if `loss` is not one element.
 */
export function grad(loss: Tensor, wrt: readonly Tensor[], seed?: Tensor): (Tensor | null)[] {
  if (!seed && loss.size !== 1) {
    throw new TypeError(
      `Cannot differentiate: loss must have one element, got shape ${fmtShape(loss.shape)}`,
    );
  }
  const add = addFn!;
  return noGrad(() => {
    const grads = new Map<number, Tensor>();
    grads.set(loss.id, seed ?? Tensor.full(loss.backend, loss.shape, 1));
    const wanted = new Set(wrt.map((t) => t.id));
    for (const t of topoOrder(loss)) {
      const g = grads.get(t.id);
      if (!g || !t.node) continue;
      const gs = t.node.backward(g);
      t.node.inputs.forEach((inp, i) => {
        const gi = gs[i];
        if (!gi) return;
        if (gi.size !== inp.size) {
          throw new Error(
            `Cannot backpropagate through ${t.node!.op}: gradient ${
              fmtShape(gi.shape)
            } does not match input ${fmtShape(inp.shape)}`,
          );
        }
        if (inp.node || wanted.has(inp.id)) accumulate(grads, inp, gi, add);
      });
      if (!wanted.has(t.id)) grads.delete(t.id);
    }
    return wrt.map((t) => grads.get(t.id) ?? null);
  });
}

/**
 * Backpropagates the scalar `loss` into the `.grad` of every tensor in `params`. `.grad` is
 * overwritten (a parameter the loss does not reach gets zeros) unless `accumulate` is set. `.grad`
 * buffers are allocated once, outside any `tidy` scope, and reused across steps.
 */
export function backward(
  loss: Tensor,
  params: readonly Tensor[],
  opts: { accumulate?: boolean } = {},
): void {
  const gs = grad(loss, params);
  params.forEach((p, i) => {
    const g = gs[i];
    const fresh = !p.grad;
    if (fresh) p.grad = keep(Tensor.empty(p.backend, p.shape));
    if (!g) {
      if (fresh || !opts.accumulate) p.backend.fill(p.grad!.buf, 0, p.size);
      return;
    }
    p.backend.copyBlocks(g.buf, p.grad!.buf, {
      outer: 1,
      inner: p.size,
      srcStride: 0,
      dstStride: 0,
      srcOffset: 0,
      dstOffset: 0,
      accumulate: !fresh && opts.accumulate === true,
    });
  });
}

/** Sets the gradients of `params` to zero (keeps their buffers). */
export function zeroGrad(params: readonly Tensor[]): void {
  for (const p of params) if (p.grad) p.backend.fill(p.grad.buf, 0, p.size);
}
