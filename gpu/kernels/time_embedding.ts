/**
 * Kernel object and encoder of time_embedding.wgsl: sinusoidal embedding of t (B) → (B, dim).
 */

import type { TimeEmbeddingSpec } from "../../engine/backend.ts";
import { defineKernel, elementGrid, ELEMENTWISE_WG as WG } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

/** Kernel object of `time_embedding.wgsl`. */
export const TIME_EMBEDDING = defineKernel({
  name: "time_embedding",
  file: "time_embedding",
  entryPoint: "main",
  bindings: [{ name: "t", access: "read" }, { name: "out", access: "read_write" }],
  uniforms: [
    { name: "b", type: "u32" },
    { name: "dim", type: "u32" },
    { name: "log_max_period", type: "f32" },
    { name: "scale", type: "f32" },
  ],
  overrides: { WG },
});

/** Records out (B, dim) = sinusoidal embedding of t (B). */
export function encodeTimeEmbedding(
  rec: Recorder,
  t: GPUBuffer,
  out: GPUBuffer,
  { b, dim, maxPeriod, scale }: TimeEmbeddingSpec,
): void {
  if (b * dim <= 0) return;
  rec.dispatch(
    TIME_EMBEDDING,
    [t, out],
    { b, dim, log_max_period: Math.log(maxPeriod), scale },
    elementGrid(b * dim),
  );
}
