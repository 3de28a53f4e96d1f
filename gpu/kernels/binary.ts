/**
 * Kernel object and encoder of binary.wgsl: broadcast add/sub/mul/div/bce_logits.
 */

import type { BinaryBuffers, BinaryOp, BinarySpec } from "../../engine/backend.ts";
import {
  defineKernel,
  elementGrid as groups,
  ELEMENTWISE_WG as WG,
  pad6,
  splitVec,
} from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

/** Op codes of binary.wgsl. */
export const BINARY_OPS: readonly BinaryOp[] = ["add", "sub", "mul", "div", "bce_logits"];

/** Kernel object of `binary.wgsl`. */
export const BINARY = defineKernel({
  name: "binary",
  file: "binary",
  entryPoint: "main",
  bindings: [
    { name: "a", access: "read" },
    { name: "b", access: "read" },
    { name: "out", access: "read_write" },
  ],
  uniforms: [
    { name: "n", type: "u32" },
    { name: "op", type: "u32" },
    { name: "shape_lo", type: "vec4<u32>" },
    { name: "shape_hi", type: "vec4<u32>" },
    { name: "a_lo", type: "vec4<u32>" },
    { name: "a_hi", type: "vec4<u32>" },
    { name: "b_lo", type: "vec4<u32>" },
    { name: "b_hi", type: "vec4<u32>" },
  ],
  overrides: { WG },
});

/** Records out = a ∘ b with broadcasting (spec shapes of at most 6 dims). */
export function encodeBinary(
  rec: Recorder,
  bufs: BinaryBuffers<GPUBuffer>,
  spec: BinarySpec,
): void {
  const n = spec.shape.reduce((p, q) => p * q, 1);
  if (n <= 0) return;
  const code = BINARY_OPS.indexOf(spec.op);
  if (code < 0) {
    throw new TypeError(`Cannot run binary: unknown op: current value is ${spec.op}`);
  }
  const [shapeLo, shapeHi] = splitVec(pad6(spec.shape, 1));
  const [aLo, aHi] = splitVec(pad6(spec.aStrides, 0));
  const [bLo, bHi] = splitVec(pad6(spec.bStrides, 0));
  rec.dispatch(BINARY, [bufs.a, bufs.b, bufs.out], {
    n,
    op: code,
    shape_lo: shapeLo,
    shape_hi: shapeHi,
    a_lo: aLo,
    a_hi: aHi,
    b_lo: bLo,
    b_hi: bHi,
  }, groups(n));
}
