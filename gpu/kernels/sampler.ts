/**
 * Kernel objects and encoders of the sampler updates: sde_update.wgsl (fused predictor) and
 * langevin_update.wgsl (corrector with on-device step size). Specs: `Backend.sdeUpdate` and
 * `Backend.langevinUpdate`.
 */

import type { LangevinSpec, SamplerBuffers, SdeUpdateSpec } from "../../engine/backend.ts";
import { defineKernel, elementGrid, ELEMENTWISE_WG as WG, grid } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

const BINDINGS = [
  { name: "z", access: "read_write" },
  { name: "s", access: "read" },
  { name: "noise", access: "read" },
  { name: "out", access: "read_write" },
] as const;

/** Kernel object of `sde_update.wgsl`. */
export const SDE_UPDATE = defineKernel({
  name: "sde_update",
  file: "sde_update",
  entryPoint: "main",
  bindings: BINDINGS,
  uniforms: [
    { name: "n", type: "u32" },
    { name: "cz", type: "f32" },
    { name: "cs", type: "f32" },
    { name: "cn", type: "f32" },
  ],
  overrides: { WG },
});

/** Kernel object of `langevin_update.wgsl`. */
export const LANGEVIN_UPDATE = defineKernel({
  name: "langevin_update",
  file: "langevin_update",
  entryPoint: "main",
  bindings: BINDINGS,
  uniforms: [
    { name: "rows", type: "u32" },
    { name: "cols", type: "u32" },
    { name: "snr", type: "f32" },
    { name: "alpha", type: "f32" },
  ],
  overrides: { WG: 64 },
});

/** Records out = cz·z + cs·s + cn·noise (out may be z). */
export function encodeSdeUpdate(
  rec: Recorder,
  bufs: SamplerBuffers<GPUBuffer>,
  { n, cz, cs, cn }: SdeUpdateSpec,
): void {
  if (n <= 0) return;
  const { z, s, noise, out } = bufs;
  rec.dispatch(SDE_UPDATE, [z, s, noise, out], { n, cz, cs, cn }, elementGrid(n));
}

/** Records the row-wise Langevin corrector step (out may be z). */
export function encodeLangevinUpdate(
  rec: Recorder,
  bufs: SamplerBuffers<GPUBuffer>,
  { rows, cols, snr, alpha }: LangevinSpec,
): void {
  if (rows <= 0 || cols <= 0) return;
  const { z, s, noise, out } = bufs;
  rec.dispatch(LANGEVIN_UPDATE, [z, s, noise, out], { rows, cols, snr, alpha }, grid(rows));
}
