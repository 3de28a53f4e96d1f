/**
 * Kernel object and encoder of fill.wgsl: out[i] = value (the reference is `ReferenceBackend.fill`).
 */

import { defineKernel, elementGrid as groups, ELEMENTWISE_WG as WG } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

/** Kernel object of `fill.wgsl`. */
export const FILL = defineKernel({
  name: "fill",
  file: "fill",
  entryPoint: "main",
  bindings: [{ name: "out", access: "read_write" }],
  uniforms: [{ name: "n", type: "u32" }, { name: "value", type: "f32" }],
  overrides: { WG },
});

/** Records out[i] = value for i < n. */
export function encodeFill(rec: Recorder, out: GPUBuffer, value: number, n: number): void {
  if (n <= 0) return;
  rec.dispatch(FILL, [out], { n, value }, groups(n));
}
