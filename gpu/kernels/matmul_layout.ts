/**
 * Layout preparation for the vec4 matmul kernels ("vec4", "rowblock"), which need untransposed
 * operands with K and N multiples of 4: transposed operands are materialised with `permute`,
 * and K and N are zero-padded to multiples of 4 with `fill` + `copyBlocks` into pooled scratch
 * buffers (O(MK + KN + MN) extra work against the O(MKN) matmul). Scratch buffers go back to the
 * pool right after recording: queue order keeps them valid for the recorded work.
 */

import type { BinaryBuffers, MatmulSpec } from "../../engine/backend.ts";
import type { BufferPool } from "../buffer_pool.ts";
import type { Recorder } from "../recorder.ts";
import { encodeCopyBlocks } from "./copy_blocks.ts";
import { encodeFill } from "./fill.ts";
import { encodeMatmul, matmulSupports, type MatmulVariant } from "./matmul.ts";
import { encodePermute } from "./permute.ts";

/** Scratch allocation: `size` floats from the pool (the caller releases). */
export type ScratchAlloc = (size: number) => GPUBuffer;

/**
 * Records out[M,N] (+)= op(a)·op(b) with a vec4 `variant`, preparing layouts as needed.
 * `alloc` hands out scratch buffers of at least `size` floats from `pool`.
 */
export function encodeMatmulPrepared(
  rec: Recorder,
  pool: BufferPool,
  alloc: ScratchAlloc,
  bufs: BinaryBuffers<GPUBuffer>,
  spec: MatmulSpec,
  variant: MatmulVariant,
  overrides?: Readonly<Record<string, number>>,
): void {
  if (matmulSupports(variant, spec)) {
    encodeMatmul(rec, bufs, spec, variant, overrides);
    return;
  }
  const { m, k, n } = spec;
  const k4 = Math.ceil(k / 4) * 4, n4 = Math.ceil(n / 4) * 4;
  const scratch: GPUBuffer[] = [];
  const tmp = (size: number) => {
    const t = alloc(size);
    scratch.push(t);
    return t;
  };
  /** Copies a (rows, cols) matrix into a zeroed (rows, stride) one. */
  const padCols = (src: GPUBuffer, rows: number, cols: number, stride: number, padRows = 0) => {
    const t = tmp((rows + padRows) * stride);
    encodeFill(rec, t, 0, (rows + padRows) * stride);
    encodeCopyBlocks(rec, src, t, {
      outer: rows,
      inner: cols,
      srcStride: cols,
      dstStride: stride,
      srcOffset: 0,
      dstOffset: 0,
      accumulate: false,
    });
    return t;
  };
  let a = bufs.a, b = bufs.b;
  if (spec.transA) {
    const t = tmp(m * k);
    encodePermute(rec, a, t, { shape: [k, m], perm: [1, 0] });
    a = t;
  }
  if (k4 !== k) a = padCols(a, m, k, k4); // (M, K4)
  if (spec.transB) {
    const t = tmp(k * n);
    encodePermute(rec, b, t, { shape: [n, k], perm: [1, 0] });
    b = t;
  }
  if (k4 !== k || n4 !== n) b = padCols(b, k, n, n4, k4 - k); // (K4, N4), zero rows after K
  const plain = { m, k: k4, n: n4, transA: false, transB: false };
  if (n4 === n) {
    encodeMatmul(
      rec,
      { a, b, out: bufs.out },
      { ...plain, accumulate: spec.accumulate },
      variant,
      overrides,
    );
  } else {
    const o = tmp(m * n4);
    encodeMatmul(rec, { a, b, out: o }, { ...plain, accumulate: false }, variant, overrides);
    encodeCopyBlocks(rec, o, bufs.out, {
      outer: m,
      inner: n,
      srcStride: n4,
      dstStride: n,
      srcOffset: 0,
      dstOffset: 0,
      accumulate: spec.accumulate,
    });
  }
  for (const t of scratch) pool.release(t);
}
