/**
 * Kernel object and encoder of permute.wgsl: axis permutation of a tensor of at most 6 dims.
 */

import type { PermuteSpec } from "../../engine/backend.ts";
import {
  defineKernel,
  elementGrid as groups,
  ELEMENTWISE_WG as WG,
  pad6,
  splitVec,
} from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

/** Kernel object of `permute.wgsl`. */
export const PERMUTE = defineKernel({
  name: "permute",
  file: "permute",
  entryPoint: "main",
  bindings: [{ name: "x", access: "read" }, { name: "out", access: "read_write" }],
  uniforms: [
    { name: "n", type: "u32" },
    { name: "shape_lo", type: "vec4<u32>" },
    { name: "shape_hi", type: "vec4<u32>" },
    { name: "strides_lo", type: "vec4<u32>" },
    { name: "strides_hi", type: "vec4<u32>" },
  ],
  overrides: { WG },
});

/** Records the axis permutation of `Backend.permute`. */
export function encodePermute(
  rec: Recorder,
  x: GPUBuffer,
  out: GPUBuffer,
  { shape, perm }: PermuteSpec,
): void {
  const n = shape.reduce((p, q) => p * q, 1);
  if (n <= 0) return;
  const strides = new Array<number>(shape.length);
  let st = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    strides[k] = st;
    st *= shape[k];
  }
  const [shapeLo, shapeHi] = splitVec(pad6(perm.map((p) => shape[p]), 1));
  const [sLo, sHi] = splitVec(pad6(perm.map((p) => strides[p]), 0));
  rec.dispatch(PERMUTE, [x, out], {
    n,
    shape_lo: shapeLo,
    shape_hi: shapeHi,
    strides_lo: sLo,
    strides_hi: sHi,
  }, groups(n));
}
