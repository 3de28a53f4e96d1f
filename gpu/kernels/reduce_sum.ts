/**
 * Kernel objects and encoder of reduce_sum.wgsl: out[o, i] (+)= Σ_l x[o, l, i]. Picks the
 * workgroup-per-output entry point when there are few outputs (< 256) and a long reduced axis.
 */

import type { ReduceSumSpec } from "../../engine/backend.ts";
import { defineKernel, elementGrid, grid } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

const WG = 64;
const UNIFORMS = [
  { name: "outer", type: "u32" },
  { name: "len", type: "u32" },
  { name: "inner", type: "u32" },
  { name: "accumulate", type: "u32" },
] as const;
const BINDINGS = [{ name: "x", access: "read" }, { name: "out", access: "read_write" }] as const;

/** Kernel objects of the two entry points. */
export const REDUCE_SUM = {
  narrow: defineKernel({
    name: "reduce_narrow",
    file: "reduce_sum",
    entryPoint: "reduce_narrow",
    bindings: BINDINGS,
    uniforms: UNIFORMS,
    overrides: { WG },
  }),
  wide: defineKernel({
    name: "reduce_wide",
    file: "reduce_sum",
    entryPoint: "reduce_wide",
    bindings: BINDINGS,
    uniforms: UNIFORMS,
    overrides: { WG },
  }),
};

/** Records out[o, i] (+)= Σ_l x[o, l, i] for x laid out as (outer, len, inner). */
export function encodeReduceSum(
  rec: Recorder,
  x: GPUBuffer,
  out: GPUBuffer,
  s: ReduceSumSpec,
): void {
  const outputs = s.outer * s.inner;
  if (outputs <= 0) return;
  const values = { outer: s.outer, len: s.len, inner: s.inner, accumulate: s.accumulate ? 1 : 0 };
  // A workgroup per output only pays off with few outputs (else one invocation per output has
  // plenty of parallelism and no barriers): measured on llvmpipe in a conv-autoencoder step.
  if (s.len >= 64 && outputs < 256) {
    rec.dispatch(REDUCE_SUM.wide, [x, out], values, grid(outputs));
  } else {
    rec.dispatch(REDUCE_SUM.narrow, [x, out], values, elementGrid(outputs, WG));
  }
}
