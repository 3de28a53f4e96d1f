/**
 * Shape ops and reductions: reshape, permute, concat and slice along an axis, sums and means over
 * axes. Forward and backward.
 */
import { fmtShape, record, sizeOf, Tensor } from "../tensor.ts";
import { affine } from "./elementwise.ts";

function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new RangeError(`Cannot run ${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/** A differentiable reshape (a view sharing the buffer). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const full = shape.map((d) => d === -1 ? x.size / Math.max(1, sizeOf(known)) : d);
  const out = x.view(full);
  return record(out, "reshape", [x], (g) => [g.view(x.shape)]);
}

/** Permutes the axes: out.shape[j] = x.shape[perm[j]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) {
    throw new TypeError(`Cannot run permute: [${perm}] is not a permutation of ${x.rank} axes`);
  }
  const out = Tensor.empty(x.backend, perm.map((p) => x.shape[p]));
  if (x.size) x.backend.permute(x.buf, out.buf, { shape: x.shape, perm });
  const inv = new Array(perm.length);
  perm.forEach((p, j) => inv[p] = j);
  return record(out, "permute", [x], (g) => [permute(g, inv)]);
}

/** Swaps the last two axes. */
export function transpose(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = x.rank;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return permute(x, perm);
}

function outerInner(shape: readonly number[], axis: number): [number, number] {
  return [sizeOf(shape.slice(0, axis)), sizeOf(shape.slice(axis + 1))];
}

/** Concatenates tensors along `axis` (all other dims equal). */
export function concat(xs: readonly Tensor[], axis = -1): Tensor {
  if (xs.length === 0) throw new TypeError("Cannot run concat: no tensors given");
  const ax = normAxis("concat", axis, xs[0].rank);
  for (const t of xs) {
    if (t.rank !== xs[0].rank || t.shape.some((d, k) => k !== ax && d !== xs[0].shape[k])) {
      throw new TypeError(
        `Cannot run concat on axis ${ax}: shapes ${
          xs.map((t) => fmtShape(t.shape)).join(", ")
        } differ`,
      );
    }
  }
  const total = xs.reduce((s, t) => s + t.shape[ax], 0);
  const shape = [...xs[0].shape];
  shape[ax] = total;
  const out = Tensor.empty(xs[0].backend, shape);
  const [outer, inner] = outerInner(shape, ax);
  let off = 0;
  for (const t of xs) {
    const w = t.shape[ax] * inner;
    if (w && outer) {
      t.backend.copyBlocks(t.buf, out.buf, {
        outer,
        inner: w,
        srcStride: w,
        dstStride: total * inner,
        srcOffset: 0,
        dstOffset: off * inner,
        accumulate: false,
      });
    }
    off += t.shape[ax];
  }
  return record(out, "concat", xs, (g) => {
    let o = 0;
    return xs.map((t) => {
      const s = sliceRaw(g, ax, o, t.shape[ax]);
      o += t.shape[ax];
      return s;
    });
  });
}

function sliceRaw(x: Tensor, ax: number, start: number, len: number): Tensor {
  const shape = [...x.shape];
  shape[ax] = len;
  const out = Tensor.empty(x.backend, shape);
  const [outer, inner] = outerInner(x.shape, ax);
  if (len * inner && outer) {
    x.backend.copyBlocks(x.buf, out.buf, {
      outer,
      inner: len * inner,
      srcStride: x.shape[ax] * inner,
      dstStride: len * inner,
      srcOffset: start * inner,
      dstOffset: 0,
      accumulate: false,
    });
  }
  return out;
}

/** x[..., start:start+len, ...] along `axis`. */
export function slice(x: Tensor, axis: number, start: number, len: number): Tensor {
  const ax = normAxis("slice", axis, x.rank);
  if (
    !Number.isInteger(start) || !Number.isInteger(len) || start < 0 || len < 0 ||
    start + len > x.shape[ax]
  ) {
    throw new RangeError(
      `Cannot run slice: [${start}, ${start + len}) is outside axis ${ax} of ${fmtShape(x.shape)}`,
    );
  }
  const out = sliceRaw(x, ax, start, len);
  return record(out, "slice", [x], (g) => {
    const dx = Tensor.full(x.backend, x.shape, 0);
    const [outer, inner] = outerInner(x.shape, ax);
    if (len * inner && outer) {
      x.backend.copyBlocks(g.buf, dx.buf, {
        outer,
        inner: len * inner,
        srcStride: len * inner,
        dstStride: x.shape[ax] * inner,
        srcOffset: 0,
        dstOffset: start * inner,
        accumulate: false,
      });
    }
    return [dx];
  });
}

/** Splits along `axis` into pieces of the given sizes. */
export function split(x: Tensor, sizes: readonly number[], axis = -1): Tensor[] {
  let o = 0;
  return sizes.map((s) => {
    const t = slice(x, axis, o, s);
    o += s;
    return t;
  });
}

/** Broadcasts g (the reduced shape with the axis kept as 1) back along `axis` of `shape`. */
function expandAlong(g: Tensor, shape: readonly number[], ax: number): Tensor {
  const out = Tensor.empty(g.backend, shape);
  const ones = Tensor.full(g.backend, [1], 1);
  const outerSize = sizeOf(shape.slice(0, ax)), inner = sizeOf(shape.slice(ax + 1));
  // out[o, l, i] = g[o, i] · 1: one broadcast kernel instead of one copy per l.
  g.backend.binary({ a: g.buf, b: ones.buf, out: out.buf }, {
    op: "mul",
    shape: [outerSize, shape[ax], inner],
    aStrides: [inner, 0, 1],
    bStrides: [0, 0, 0],
  });
  return out;
}

/** Sum over one axis (removed from the shape unless keepDims). */
export function sum(x: Tensor, axis: number, keepDims = false): Tensor {
  const ax = normAxis("sum", axis, x.rank);
  const [outer, inner] = outerInner(x.shape, ax);
  const kept = [...x.shape];
  kept[ax] = 1;
  const out = Tensor.empty(x.backend, keepDims ? kept : kept.filter((_, k) => k !== ax));
  if (out.size) {
    x.backend.reduceSum(x.buf, out.buf, { outer, len: x.shape[ax], inner, accumulate: false });
  }
  return record(out, "sum", [x], (g) => [expandAlong(g, x.shape, ax)]);
}

/** Mean over one axis. */
export function mean(x: Tensor, axis: number, keepDims = false): Tensor {
  const ax = normAxis("mean", axis, x.rank);
  return affine(sum(x, ax, keepDims), 1 / x.shape[ax], 0);
}

/** Sum of all elements, shape [1]. */
export function sumAll(x: Tensor): Tensor {
  const out = Tensor.empty(x.backend, [1]);
  x.backend.reduceSum(x.buf, out.buf, { outer: 1, len: x.size, inner: 1, accumulate: false });
  return record(out, "sum_all", [x], (g) => {
    const dx = Tensor.empty(x.backend, x.shape);
    x.backend.copyBlocks(g.buf, dx.buf, {
      outer: x.size,
      inner: 1,
      srcStride: 0,
      dstStride: 1,
      srcOffset: 0,
      dstOffset: 0,
      accumulate: false,
    });
    return [dx];
  });
}

/** Mean of all elements, shape [1]. */
export function meanAll(x: Tensor): Tensor {
  return affine(sumAll(x), 1 / Math.max(1, x.size), 0);
}
