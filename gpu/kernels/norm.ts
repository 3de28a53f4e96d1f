/**
 * Kernel objects and encoders of norm_forward.wgsl and norm_backward.wgsl (layer norm and group
 * norm through one geometry, see `Backend.normForward`). One workgroup per row or channel.
 */

import type { NormBackwardBuffers, NormForwardBuffers, NormSpec } from "../../engine/backend.ts";
import { defineKernel, grid } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

const WG = 64;
const UNIFORMS = [
  { name: "rows", type: "u32" },
  { name: "cols", type: "u32" },
  { name: "groups", type: "u32" },
  { name: "chan_inner", type: "u32" },
  { name: "eps", type: "f32" },
] as const;

/** Kernel object of `norm_forward.wgsl`. */
export const NORM_FORWARD = defineKernel({
  name: "norm_forward",
  file: "norm_forward",
  entryPoint: "main",
  bindings: [
    { name: "x", access: "read" },
    { name: "gamma", access: "read" },
    { name: "beta", access: "read" },
    { name: "y", access: "read_write" },
    { name: "mean", access: "read_write" },
    { name: "rstd", access: "read_write" },
  ],
  uniforms: UNIFORMS,
  overrides: { WG },
});

const BACKWARD_BINDINGS = [
  { name: "x", access: "read" },
  { name: "gamma", access: "read" },
  { name: "mean", access: "read" },
  { name: "rstd", access: "read" },
  { name: "dy", access: "read" },
  { name: "dx", access: "read_write" },
  { name: "dgamma", access: "read_write" },
  { name: "dbeta", access: "read_write" },
] as const;

/** Kernel objects of the two entry points of `norm_backward.wgsl`. */
export const NORM_BACKWARD = {
  dx: defineKernel({
    name: "norm_backward_dx",
    file: "norm_backward",
    entryPoint: "norm_backward_dx",
    bindings: BACKWARD_BINDINGS,
    uniforms: UNIFORMS,
    overrides: { WG },
  }),
  params: defineKernel({
    name: "norm_backward_params",
    file: "norm_backward",
    entryPoint: "norm_backward_params",
    bindings: BACKWARD_BINDINGS,
    uniforms: UNIFORMS,
    overrides: { WG },
  }),
};

function values(s: NormSpec): Record<string, number> {
  return { rows: s.rows, cols: s.cols, groups: s.groups, chan_inner: s.chanInner, eps: s.eps };
}

/** Records y, mean, rstd = normForward(x, γ, β). */
export function encodeNormForward(
  rec: Recorder,
  bufs: NormForwardBuffers<GPUBuffer>,
  s: NormSpec,
): void {
  if (s.rows <= 0 || s.cols <= 0) return;
  const { x, gamma, beta, y, mean, rstd } = bufs;
  rec.dispatch(NORM_FORWARD, [x, gamma, beta, y, mean, rstd], values(s), grid(s.rows));
}

/** Records dx (overwritten), dgamma and dbeta (accumulated) of normForward. */
export function encodeNormBackward(
  rec: Recorder,
  bufs: NormBackwardBuffers<GPUBuffer>,
  s: NormSpec,
): void {
  if (s.rows <= 0 || s.cols <= 0) return;
  const { x, gamma, mean, rstd, dy, dx, dgamma, dbeta } = bufs;
  const list = [x, gamma, mean, rstd, dy, dx, dgamma, dbeta];
  rec.dispatch(NORM_BACKWARD.dx, list, values(s), grid(s.rows));
  const channels = s.groups * (s.cols / s.chanInner);
  rec.dispatch(NORM_BACKWARD.params, list, values(s), grid(channels));
}
