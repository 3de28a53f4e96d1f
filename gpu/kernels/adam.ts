/**
 * Kernel object and encoder of adam.wgsl: one fused Adam/AdamW step with on-device clipping.
 */

import type { AdamBuffers, AdamSpec } from "../../engine/backend.ts";
import { defineKernel, elementGrid, ELEMENTWISE_WG as WG } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

/** Kernel object of `adam.wgsl`. */
export const ADAM = defineKernel({
  name: "adam",
  file: "adam",
  entryPoint: "main",
  bindings: [
    { name: "param", access: "read_write" },
    { name: "grad", access: "read" },
    { name: "m", access: "read_write" },
    { name: "v", access: "read_write" },
    { name: "norm_sq", access: "read" },
  ],
  uniforms: [
    { name: "n", type: "u32" },
    { name: "use_norm", type: "u32" },
    { name: "lr", type: "f32" },
    { name: "beta1", type: "f32" },
    { name: "beta2", type: "f32" },
    { name: "eps", type: "f32" },
    { name: "weight_decay", type: "f32" },
    { name: "bc1", type: "f32" },
    { name: "bc2", type: "f32" },
    { name: "max_norm", type: "f32" },
  ],
  overrides: { WG },
});

/** Records one Adam/AdamW step on n parameters (normSq null: no clipping). */
export function encodeAdam(
  rec: Recorder,
  bufs: AdamBuffers<GPUBuffer>,
  s: AdamSpec,
): void {
  const n = s.n;
  if (n <= 0) return;
  const useNorm = s.maxNorm > 0 && bufs.normSq !== null;
  rec.dispatch(ADAM, [bufs.param, bufs.grad, bufs.m, bufs.v, bufs.normSq ?? bufs.grad], {
    n,
    use_norm: useNorm ? 1 : 0,
    lr: s.lr,
    beta1: s.beta1,
    beta2: s.beta2,
    eps: s.eps,
    weight_decay: s.weightDecay,
    bc1: 1 - s.beta1 ** s.step,
    bc2: 1 - s.beta2 ** s.step,
    max_norm: s.maxNorm,
  }, elementGrid(n));
}
