/**
 * Matrix products and convolutions. conv2d and convTranspose2d are built from im2col/col2im and
 * one matmul each, so every backend gets them from its GEMM; layouts follow PyTorch so that
 * safetensors checkpoints load there unchanged.
 */
import type { ConvGeometry } from "../backend.ts";
import { fmtShape, record, Tensor } from "../tensor.ts";
import { add } from "./elementwise.ts";
import { reshape } from "./shape.ts";

/** out = op(a)·op(b) for 2-D a, b; `transA`/`transB` use the stored matrix transposed. */
export function matmul(
  a: Tensor,
  b: Tensor,
  opts: { transA?: boolean; transB?: boolean } = {},
): Tensor {
  const transA = opts.transA ?? false, transB = opts.transB ?? false;
  if (a.rank !== 2 || b.rank !== 2) {
    throw new TypeError(
      `Cannot run matmul: operands must be 2-D: a is ${fmtShape(a.shape)}, b is ${
        fmtShape(b.shape)
      }`,
    );
  }
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [k2, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (k !== k2) {
    throw new TypeError(
      `Cannot run matmul: inner dimensions differ: a is ${fmtShape(a.shape)}${
        transA ? "ᵀ" : ""
      }, b is ${fmtShape(b.shape)}${transB ? "ᵀ" : ""}`,
    );
  }
  const out = Tensor.empty(a.backend, [m, n]);
  if (out.size) {
    if (k === 0) a.backend.fill(out.buf, 0, out.size);
    else {a.backend.matmul({ a: a.buf, b: b.buf, out: out.buf }, {
        m,
        k,
        n,
        transA,
        transB,
        accumulate: false,
      });}
  }
  return record(out, "matmul", [a, b], (g) => {
    // C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC, with the stored layouts folded into the flags.
    const da = transA
      ? matmul(b, g, { transA: transB, transB: true })
      : matmul(g, b, { transB: !transB });
    const db = transB
      ? matmul(g, a, { transA: true, transB: transA })
      : matmul(a, g, { transA: !transA });
    return [da, db];
  });
}

/** Fully connected layer: x (B, I) · Wᵀ + b with W (O, I), b (O). */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  if (x.rank !== 2 || w.rank !== 2 || x.shape[1] !== w.shape[1]) {
    throw new TypeError(
      `Cannot run linear: input ${fmtShape(x.shape)} does not match weight ${
        fmtShape(w.shape)
      } (O, I)`,
    );
  }
  const y = matmul(x, w, { transB: true });
  return b ? add(y, b) : y;
}

function geometry(
  op: string,
  b: number,
  c: number,
  h: number,
  w: number,
  kh: number,
  kw: number,
  stride: number,
  pad: number,
): ConvGeometry {
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - kw) / stride) + 1;
  if (!(stride >= 1 && pad >= 0 && oh >= 1 && ow >= 1)) {
    throw new RangeError(
      `Cannot run ${op}: kernel ${kh}x${kw}, stride ${stride}, padding ${pad} do not fit a ${h}x${w} input`,
    );
  }
  return { b, c, h, w, kh, kw, stride, pad, oh, ow };
}

/**
 * 2-D convolution: x (B, C, H, W), weight (O, C, KH, KW), bias (O) → (B, O, OH, OW).
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  opts: { stride?: number; padding?: number } = {},
): Tensor {
  const stride = opts.stride ?? 1, pad = opts.padding ?? 0;
  if (x.rank !== 4 || weight.rank !== 4 || x.shape[1] !== weight.shape[1]) {
    throw new TypeError(
      `Cannot run conv2d: input ${fmtShape(x.shape)} (B, C, H, W) does not match weight ${
        fmtShape(weight.shape)
      } (O, C, KH, KW)`,
    );
  }
  const [b, c, h, w] = x.shape;
  const [o, , kh, kw] = weight.shape;
  const g = geometry("conv2d", b, c, h, w, kh, kw, stride, pad);
  const y = convCore(x, weight, g, o);
  return bias ? add(y, reshape(bias, [1, o, 1, 1])) : y;
}

/** The bias-free convolution with its own tape node (the col buffer is reused by backward). */
function convCore(x: Tensor, weight: Tensor, g: ConvGeometry, o: number): Tensor {
  const be = x.backend;
  const ck = g.c * g.kh * g.kw, cols = g.b * g.oh * g.ow;
  const col = Tensor.empty(be, [ck, cols]); // (C·KH·KW, B·OH·OW)
  be.im2col(x.buf, col.buf, g);
  const outP = Tensor.empty(be, [o, g.b, g.oh * g.ow]); // (O, B, OH·OW)
  be.matmul({ a: weight.buf, b: col.buf, out: outP.buf }, {
    m: o,
    k: ck,
    n: cols,
    transA: false,
    transB: false,
    accumulate: false,
  });
  const out = Tensor.empty(be, [g.b, o, g.oh, g.ow]);
  be.permute(outP.buf, out.buf, { shape: [o, g.b, g.oh * g.ow], perm: [1, 0, 2] });
  return record(out, "conv2d", [x, weight], (dy) => {
    const dyP = Tensor.empty(be, [o, cols]); // (O, B·OH·OW)
    be.permute(dy.buf, dyP.buf, { shape: [g.b, o, g.oh * g.ow], perm: [1, 0, 2] });
    const dw = Tensor.empty(be, weight.shape);
    be.matmul({ a: dyP.buf, b: col.buf, out: dw.buf }, {
      m: o,
      k: cols,
      n: ck,
      transA: false,
      transB: true,
      accumulate: false,
    });
    // The first layer's input (the data) needs no gradient: skip a GEMM and a col2im.
    if (!x.requiresGrad && !x.node) return [null, dw];
    const dcol = Tensor.empty(be, [ck, cols]);
    be.matmul({ a: weight.buf, b: dyP.buf, out: dcol.buf }, {
      m: ck,
      k: o,
      n: cols,
      transA: true,
      transB: false,
      accumulate: false,
    });
    const dx = Tensor.empty(be, x.shape);
    be.col2im(dcol.buf, dx.buf, { ...g, accumulate: false });
    return [dx, dw];
  });
}

/**
 * Transposed 2-D convolution (the adjoint of conv2d): x (B, C, H, W), weight (C, O, KH, KW) as in
 * PyTorch, bias (O) → (B, O, OH, OW) with OH = (H − 1)·stride − 2·padding + KH + outputPadding.
 */
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  opts: { stride?: number; padding?: number; outputPadding?: number } = {},
): Tensor {
  const stride = opts.stride ?? 1, pad = opts.padding ?? 0, opad = opts.outputPadding ?? 0;
  if (x.rank !== 4 || weight.rank !== 4 || x.shape[1] !== weight.shape[0]) {
    throw new TypeError(
      `Cannot run conv_transpose2d: input ${fmtShape(x.shape)} (B, C, H, W) does not match weight ${
        fmtShape(weight.shape)
      } (C, O, KH, KW)`,
    );
  }
  if (opad < 0 || opad >= stride) {
    throw new RangeError(
      `Cannot run conv_transpose2d: output padding must be in [0, stride): current value is ${opad}`,
    );
  }
  const [b, c, h, w] = x.shape;
  const [, o, kh, kw] = weight.shape;
  const oh = (h - 1) * stride - 2 * pad + kh + opad;
  const ow = (w - 1) * stride - 2 * pad + kw + opad;
  // The conv2d whose input is our output (O channels, OH×OW) and whose output is our input.
  const g = geometry("conv_transpose2d", b, o, oh, ow, kh, kw, stride, pad);
  if (g.oh !== h || g.ow !== w) {
    throw new RangeError(
      `Cannot run conv_transpose2d: inconsistent geometry for ${fmtShape(x.shape)}`,
    );
  }
  const y = convTransposeCore(x, weight, g, c);
  return bias ? add(y, reshape(bias, [1, o, 1, 1])) : y;
}

function convTransposeCore(x: Tensor, weight: Tensor, g: ConvGeometry, c: number): Tensor {
  const be = x.backend;
  const ok = g.c * g.kh * g.kw, cols = g.b * g.oh * g.ow;
  const xP = Tensor.empty(be, [c, cols]); // (C, B·H·W)
  be.permute(x.buf, xP.buf, { shape: [g.b, c, g.oh * g.ow], perm: [1, 0, 2] });
  const dcol = Tensor.empty(be, [ok, cols]); // (O·KH·KW, B·H·W) = Wᵀ·xP with W viewed (C, O·KH·KW)
  be.matmul({ a: weight.buf, b: xP.buf, out: dcol.buf }, {
    m: ok,
    k: c,
    n: cols,
    transA: true,
    transB: false,
    accumulate: false,
  });
  const out = Tensor.empty(be, [g.b, g.c, g.h, g.w]);
  be.col2im(dcol.buf, out.buf, { ...g, accumulate: false });
  return record(out, "conv_transpose2d", [x, weight], (dy) => {
    const col = Tensor.empty(be, [ok, cols]);
    be.im2col(dy.buf, col.buf, g);
    const dxP = Tensor.empty(be, [c, g.b, g.oh * g.ow]);
    be.matmul({ a: weight.buf, b: col.buf, out: dxP.buf }, {
      m: c,
      k: ok,
      n: cols,
      transA: false,
      transB: false,
      accumulate: false,
    });
    const dx = Tensor.empty(be, x.shape);
    be.permute(dxP.buf, dx.buf, { shape: [c, g.b, g.oh * g.ow], perm: [1, 0, 2] });
    const dw = Tensor.empty(be, weight.shape);
    be.matmul({ a: xP.buf, b: col.buf, out: dw.buf }, {
      m: c,
      k: cols,
      n: ok,
      transA: false,
      transB: true,
      accumulate: false,
    });
    return [dx, dw];
  });
}
