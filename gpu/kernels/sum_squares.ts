/**
 * Kernel object and encoder of sum_squares.wgsl: out[0] (+)= Σ x², one workgroup.
 */

import type { SumSquaresSpec } from "../../engine/backend.ts";
import { defineKernel } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

/** Kernel object of `sum_squares.wgsl`. */
export const SUM_SQUARES = defineKernel({
  name: "sum_squares",
  file: "sum_squares",
  entryPoint: "main",
  bindings: [{ name: "x", access: "read" }, { name: "out", access: "read_write" }],
  uniforms: [{ name: "n", type: "u32" }, { name: "accumulate", type: "u32" }],
  overrides: { WG: 256 },
});

/** Records out[0] (+)= Σ_{i<n} x[i]² (n = 0 writes 0, or leaves out unchanged when accumulating). */
export function encodeSumSquares(
  rec: Recorder,
  x: GPUBuffer,
  out: GPUBuffer,
  { n, accumulate }: SumSquaresSpec,
): void {
  rec.dispatch(SUM_SQUARES, [x, out], { n, accumulate: accumulate ? 1 : 0 }, [1]);
}
