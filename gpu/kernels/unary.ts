/**
 * Kernel objects and encoder of unary.wgsl: f, f′ and f″ of the elementwise functions
 * (engine/reference/scalar.ts is the spec).
 */

import type { UnaryOp, UnarySpec } from "../../engine/backend.ts";
import { defineKernel, elementGrid as groups, ELEMENTWISE_WG as WG } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

/** Op codes of unary.wgsl, in switch order. */
export const UNARY_OPS: readonly UnaryOp[] = [
  "neg",
  "exp",
  "log",
  "sqrt",
  "square",
  "abs",
  "relu",
  "leaky_relu",
  "silu",
  "gelu",
  "sigmoid",
  "tanh",
  "softplus",
];

const UNARY_BINDINGS = [
  { name: "x", access: "read" },
  { name: "a", access: "read" },
  { name: "b", access: "read" },
  { name: "out", access: "read_write" },
] as const;
const UNARY_UNIFORMS = [
  { name: "n", type: "u32" },
  { name: "op", type: "u32" },
  { name: "alpha", type: "f32" },
] as const;

/** Kernel objects of the three entry points of `unary.wgsl`. */
export const UNARY = {
  forward: defineKernel({
    name: "unary_forward",
    file: "unary",
    entryPoint: "unary_forward",
    bindings: UNARY_BINDINGS,
    uniforms: UNARY_UNIFORMS,
    overrides: { WG },
  }),
  backward: defineKernel({
    name: "unary_backward",
    file: "unary",
    entryPoint: "unary_backward",
    bindings: UNARY_BINDINGS,
    uniforms: UNARY_UNIFORMS,
    overrides: { WG },
  }),
  second: defineKernel({
    name: "unary_second",
    file: "unary",
    entryPoint: "unary_second",
    bindings: UNARY_BINDINGS,
    uniforms: UNARY_UNIFORMS,
    overrides: { WG },
  }),
};

/**
 * Records one unary entry point: "forward" out = f(x), "backward" out = a·f′(x),
 * "second" out = a·b·f″(x). Unused inputs may be any buffer (x is bound in their place).
 */
export function encodeUnary(
  rec: Recorder,
  kind: "forward" | "backward" | "second",
  bufs: { x: GPUBuffer; a?: GPUBuffer; b?: GPUBuffer; out: GPUBuffer },
  { op, n, alpha = 0 }: UnarySpec,
): void {
  if (n <= 0) return;
  const code = UNARY_OPS.indexOf(op);
  if (code < 0) throw new TypeError(`Cannot run unary: unknown op: current value is ${op}`);
  rec.dispatch(
    UNARY[kind],
    [bufs.x, bufs.a ?? bufs.x, bufs.b ?? bufs.x, bufs.out],
    { n, op: code, alpha },
    groups(n),
  );
}
