/**
 * Kernel objects and encoders of log_softmax.wgsl: row-wise log-softmax and its backward.
 */

import type { LogSoftmaxBackwardBuffers, RowsSpec } from "../../engine/backend.ts";
import { defineKernel, grid } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

const BINDINGS = [
  { name: "in0", access: "read" },
  { name: "in1", access: "read" },
  { name: "out", access: "read_write" },
] as const;
const UNIFORMS = [{ name: "rows", type: "u32" }, { name: "cols", type: "u32" }] as const;

/** Kernel objects of the two entry points. */
export const LOG_SOFTMAX = {
  forward: defineKernel({
    name: "log_softmax_forward",
    file: "log_softmax",
    entryPoint: "log_softmax_forward",
    bindings: BINDINGS,
    uniforms: UNIFORMS,
    overrides: { WG: 64 },
  }),
  backward: defineKernel({
    name: "log_softmax_backward",
    file: "log_softmax",
    entryPoint: "log_softmax_backward",
    bindings: BINDINGS,
    uniforms: UNIFORMS,
    overrides: { WG: 64 },
  }),
};

/** Records y = log-softmax of each row of x (rows, cols). */
export function encodeLogSoftmax(
  rec: Recorder,
  x: GPUBuffer,
  y: GPUBuffer,
  { rows, cols }: RowsSpec,
): void {
  if (rows <= 0 || cols <= 0) return;
  rec.dispatch(LOG_SOFTMAX.forward, [x, x, y], { rows, cols }, grid(rows));
}

/** Records dx = dy − exp(y)·Σ_row dy. */
export function encodeLogSoftmaxBackward(
  rec: Recorder,
  bufs: LogSoftmaxBackwardBuffers<GPUBuffer>,
  { rows, cols }: RowsSpec,
): void {
  if (rows <= 0 || cols <= 0) return;
  rec.dispatch(LOG_SOFTMAX.backward, [bufs.y, bufs.dy, bufs.dx], { rows, cols }, grid(rows));
}
