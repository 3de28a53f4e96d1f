/**
 * Kernel objects and encoders of im2col.wgsl and col2im.wgsl (its adjoint, a per-pixel gather).
 * The layout is documented on `Backend.im2col` in engine/backend.ts.
 */

import type { Col2imSpec, ConvGeometry } from "../../engine/backend.ts";
import { defineKernel, elementGrid, ELEMENTWISE_WG as WG } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";
import type { UniformField } from "../uniforms.ts";

const GEOMETRY: UniformField[] = ["b", "c", "h", "w", "kh", "kw", "stride", "pad", "oh", "ow"].map(
  (name) => ({ name, type: "u32" }),
);

/** Kernel object of `im2col.wgsl`. */
export const IM2COL = defineKernel({
  name: "im2col",
  file: "im2col",
  entryPoint: "main",
  bindings: [{ name: "x", access: "read" }, { name: "col", access: "read_write" }],
  uniforms: GEOMETRY,
  overrides: { WG },
});

/** Kernel object of `col2im.wgsl`. */
export const COL2IM = defineKernel({
  name: "col2im",
  file: "col2im",
  entryPoint: "main",
  bindings: [{ name: "col", access: "read" }, { name: "dx", access: "read_write" }],
  uniforms: [...GEOMETRY, { name: "accumulate", type: "u32" }],
  overrides: { WG },
});

function geometry(g: ConvGeometry): Record<string, number> {
  return {
    b: g.b,
    c: g.c,
    h: g.h,
    w: g.w,
    kh: g.kh,
    kw: g.kw,
    stride: g.stride,
    pad: g.pad,
    oh: g.oh,
    ow: g.ow,
  };
}

/** Records x (B, C, H, W) → col (C·KH·KW, B·OH·OW). */
export function encodeIm2col(rec: Recorder, x: GPUBuffer, col: GPUBuffer, g: ConvGeometry): void {
  const n = g.c * g.kh * g.kw * g.b * g.oh * g.ow;
  if (n <= 0) return;
  rec.dispatch(IM2COL, [x, col], geometry(g), elementGrid(n));
}

/** Records dx (B, C, H, W) (+)= col2im(col). */
export function encodeCol2im(
  rec: Recorder,
  col: GPUBuffer,
  dx: GPUBuffer,
  g: Col2imSpec,
): void {
  const n = g.b * g.c * g.h * g.w;
  if (n <= 0) return;
  rec.dispatch(
    COL2IM,
    [col, dx],
    { ...geometry(g), accumulate: g.accumulate ? 1 : 0 },
    elementGrid(n),
  );
}
