/**
 * Elementwise ops: unary functions, broadcasting binary arithmetic, scalar affine maps, and the
 * reductions that broadcasting's backward pass needs (`sumTo`). Forward and backward.
 */
import type { BinaryOp, UnaryOp } from "../backend.ts";
import { fmtShape, noGrad, record, setGradientAdd, Tensor } from "../tensor.ts";

function rowMajorStrides(shape: readonly number[]): number[] {
  const st = new Array(shape.length).fill(0);
  let s = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    st[k] = s;
    s *= shape[k];
  }
  return st;
}

/** NumPy broadcasting of two shapes; throws naming the op and both shapes when incompatible. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const da = a[a.length - n + k] ?? 1, db = b[b.length - n + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new TypeError(
        `Cannot run ${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (dim ${k})`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Strides of `shape` read as the broadcast `outShape` (0 along broadcast dims). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const st = rowMajorStrides(shape);
  const off = outShape.length - shape.length;
  return outShape.map((d, k) => {
    if (k < off) return 0;
    return shape[k - off] === 1 && d !== 1 ? 0 : st[k - off];
  });
}

/** Merges adjacent dims that are contiguous in the output and both inputs (keeps kernels ≤ 6-D). */
function collapse(
  shape: number[],
  as: number[],
  bs: number[],
): { shape: number[]; aStrides: number[]; bStrides: number[] } {
  const s: number[] = [], a: number[] = [], b: number[] = [];
  for (let k = 0; k < shape.length; k++) {
    if (shape[k] === 1) continue;
    const last = s.length - 1;
    if (
      last >= 0 && as[k] * shape[k] === a[last] && bs[k] * shape[k] === b[last] &&
      (a[last] !== 0 || as[k] === 0) && (b[last] !== 0 || bs[k] === 0)
    ) {
      s[last] *= shape[k];
      a[last] = as[k];
      b[last] = bs[k];
    } else {
      s.push(shape[k]);
      a.push(as[k]);
      b.push(bs[k]);
    }
  }
  if (s.length === 0) return { shape: [1], aStrides: [0], bStrides: [0] };
  if (s.length > 6) {
    throw new TypeError(`Cannot broadcast: more than 6 non-contiguous dims in ${fmtShape(shape)}`);
  }
  return { shape: s, aStrides: a, bStrides: b };
}

/** The raw broadcast binary kernel on two tensors (no tape). */
function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  if (a.backend !== b.backend) {
    throw new TypeError(`Cannot run ${op}: tensors live on different backends`);
  }
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = Tensor.empty(a.backend, shape);
  if (out.size === 0) return out;
  const spec = collapse(shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape));
  a.backend.binary({ a: a.buf, b: b.buf, out: out.buf }, { op, ...spec });
  return out;
}

/** Sums `g` over the dims along which `shape` was broadcast to `g.shape` (the backward of broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, k) => d === shape[k])) return g;
  let cur = g;
  const off = g.shape.length - shape.length;
  let curShape = [...g.shape];
  for (let k = 0; k < g.shape.length; k++) {
    const target = k < off ? 1 : shape[k - off];
    if (curShape[k] === target) continue;
    const outer = curShape.slice(0, k).reduce((x, y) => x * y, 1);
    const inner = curShape.slice(k + 1).reduce((x, y) => x * y, 1);
    const nextShape = [...curShape];
    nextShape[k] = 1;
    const next = Tensor.empty(g.backend, nextShape);
    g.backend.reduceSum(cur.buf, next.buf, { outer, len: curShape[k], inner, accumulate: false });
    cur = next;
    curShape = nextShape;
  }
  return cur.view(shape);
}

/** a + b with broadcasting. */
export function add(a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw("add", a, b);
  return record(out, "add", [a, b], (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
}

/** a − b with broadcasting. */
export function sub(a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw("sub", a, b);
  return record(out, "sub", [a, b], (g) => [sumTo(g, a.shape), sumTo(scale(g, -1), b.shape)]);
}

/** a ⊙ b with broadcasting. */
export function mul(a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw("mul", a, b);
  return record(out, "mul", [a, b], (g) => [
    a.requiresGrad || a.node ? sumTo(binaryRaw("mul", g, b), a.shape) : null,
    b.requiresGrad || b.node ? sumTo(binaryRaw("mul", g, a), b.shape) : null,
  ]);
}

/** a / b with broadcasting. */
export function div(a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw("div", a, b);
  return record(out, "div", [a, b], (g) => {
    const ga = binaryRaw("div", g, b);
    // d/db (a/b) = −a/b² = −out/b, so gb = −(g/b)·out.
    const gb = scale(binaryRaw("mul", ga, out), -1);
    return [sumTo(ga, a.shape), sumTo(gb, b.shape)];
  });
}

/** scale·x + shift. */
export function affine(x: Tensor, scaleBy: number, shift: number): Tensor {
  const out = Tensor.empty(x.backend, x.shape);
  if (x.size) x.backend.affine(x.buf, out.buf, { n: x.size, scale: scaleBy, shift });
  return record(out, "affine", [x], (g) => [affine(g, scaleBy, 0)]);
}

/** c·x. */
export function scale(x: Tensor, c: number): Tensor {
  return affine(x, c, 0);
}

/** f(x) for an elementwise function; `alpha` is leaky_relu's slope. */
export function unary(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  const out = Tensor.empty(x.backend, x.shape);
  const spec = { op, n: x.size, alpha };
  if (x.size) x.backend.unary(x.buf, out.buf, spec);
  return record(out, op, [x], (g) => {
    const dx = Tensor.empty(x.backend, x.shape);
    if (x.size) x.backend.unaryBackward({ x: x.buf, dy: g.buf, dx: dx.buf }, spec);
    return [dx];
  });
}

/**
 * f′(x) ⊙ v: the forward-mode (Jacobian-vector) product of an elementwise function, itself
 * differentiable in x (through f″) and v. Used to build exact divergences of networks.
 */
export function unaryJvp(op: UnaryOp, x: Tensor, v: Tensor, alpha = 0): Tensor {
  if (x.size !== v.size) {
    throw new TypeError(
      `Cannot run ${op} jvp: x ${fmtShape(x.shape)} and tangent ${fmtShape(v.shape)} differ`,
    );
  }
  const out = Tensor.empty(x.backend, x.shape);
  const spec = { op, n: x.size, alpha };
  if (x.size) x.backend.unaryBackward({ x: x.buf, dy: v.buf, dx: out.buf }, spec);
  return record(out, `${op}_jvp`, [x, v], (g) => {
    const dx = Tensor.empty(x.backend, x.shape);
    const dv = Tensor.empty(x.backend, x.shape);
    if (x.size) {
      x.backend.unarySecond({ x: x.buf, a: v.buf, b: g.buf, out: dx.buf }, spec);
      x.backend.unaryBackward({ x: x.buf, dy: g.buf, dx: dv.buf }, spec);
    }
    return [dx, dv];
  });
}

export const relu = (x: Tensor): Tensor => unary("relu", x);
export const leakyRelu = (x: Tensor, slope = 0.01): Tensor => unary("leaky_relu", x, slope);
export const silu = (x: Tensor): Tensor => unary("silu", x);
export const gelu = (x: Tensor): Tensor => unary("gelu", x);
export const sigmoid = (x: Tensor): Tensor => unary("sigmoid", x);
export const tanh = (x: Tensor): Tensor => unary("tanh", x);
export const softplus = (x: Tensor): Tensor => unary("softplus", x);
export const exp = (x: Tensor): Tensor => unary("exp", x);
export const log = (x: Tensor): Tensor => unary("log", x);
export const square = (x: Tensor): Tensor => unary("square", x);
export const sqrt = (x: Tensor): Tensor => unary("sqrt", x);
export const neg = (x: Tensor): Tensor => unary("neg", x);

/** Elementwise binary cross-entropy with logits: max(x,0) − x·t + log(1 + e^{−|x|}). */
export function bceWithLogitsElementwise(logits: Tensor, target: Tensor): Tensor {
  const out = binaryRaw("bce_logits", logits, target);
  return record(out, "bce_logits", [logits, target], (g) => {
    // ∂/∂x = σ(x) − t; ∂/∂t = −x.
    const s = Tensor.empty(logits.backend, logits.shape);
    logits.backend.unary(logits.buf, s.buf, { op: "sigmoid", n: logits.size });
    const gx = binaryRaw("mul", binaryRaw("sub", s, target), g);
    const gt = target.requiresGrad || target.node
      ? sumTo(scale(binaryRaw("mul", logits, g), -1), target.shape)
      : null;
    return [sumTo(gx, logits.shape), gt];
  });
}

setGradientAdd((a, b) => noGrad(() => binaryRaw("add", a, b)));
