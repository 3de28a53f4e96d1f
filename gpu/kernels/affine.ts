/**
 * Kernel object and encoder of affine.wgsl: out = scale·x + shift, in place allowed.
 */

import type { AffineSpec } from "../../engine/backend.ts";
import { defineKernel, elementGrid as groups, ELEMENTWISE_WG as WG } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

/** Kernel object of `affine.wgsl`. */
export const AFFINE = defineKernel({
  name: "affine",
  file: "affine",
  entryPoint: "main",
  bindings: [{ name: "x", access: "read_write" }, { name: "out", access: "read_write" }],
  uniforms: [
    { name: "n", type: "u32" },
    { name: "scale", type: "f32" },
    { name: "shift", type: "f32" },
  ],
  overrides: { WG },
});

/** Records out = scale·x + shift (out may be x). */
export function encodeAffine(
  rec: Recorder,
  x: GPUBuffer,
  out: GPUBuffer,
  { n, scale, shift }: AffineSpec,
): void {
  if (n <= 0) return;
  rec.dispatch(AFFINE, [x, out], { n, scale, shift }, groups(n));
}
