/**
 * Kernel object and encoder of copy_blocks.wgsl, the strided block copy behind concat and slice.
 */

import type { CopyBlocksSpec } from "../../engine/backend.ts";
import { defineKernel, elementGrid as groups, ELEMENTWISE_WG as WG } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

/** Kernel object of `copy_blocks.wgsl`. */
export const COPY_BLOCKS = defineKernel({
  name: "copy_blocks",
  file: "copy_blocks",
  entryPoint: "main",
  bindings: [{ name: "src", access: "read" }, { name: "dst", access: "read_write" }],
  uniforms: [
    { name: "outer", type: "u32" },
    { name: "inner", type: "u32" },
    { name: "src_stride", type: "u32" },
    { name: "dst_stride", type: "u32" },
    { name: "src_offset", type: "u32" },
    { name: "dst_offset", type: "u32" },
    { name: "accumulate", type: "u32" },
  ],
  overrides: { WG },
});

/** Records the strided block copy of `Backend.copyBlocks`. */
export function encodeCopyBlocks(
  rec: Recorder,
  src: GPUBuffer,
  dst: GPUBuffer,
  s: CopyBlocksSpec,
): void {
  const n = s.outer * s.inner;
  if (n <= 0) return;
  rec.dispatch(COPY_BLOCKS, [src, dst], {
    outer: s.outer,
    inner: s.inner,
    src_stride: s.srcStride,
    dst_stride: s.dstStride,
    src_offset: s.srcOffset,
    dst_offset: s.dstOffset,
    accumulate: s.accumulate ? 1 : 0,
  }, groups(n));
}
