/**
 * Kernel object and encoder of random.wgsl: the counter-based stream of engine/random.ts on the
 * device (u32 bits identical; the stream key is computed on the host with `streamKey`).
 */

import type { RandomSpec } from "../../engine/backend.ts";
import { streamKey } from "../../engine/random.ts";
import { defineKernel, elementGrid, ELEMENTWISE_WG as WG } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";

/** Kernel object of `random.wgsl`. */
export const RANDOM = defineKernel({
  name: "random",
  file: "random",
  entryPoint: "main",
  bindings: [{ name: "out", access: "read_write" }],
  uniforms: [
    { name: "n", type: "u32" },
    { name: "dist", type: "u32" },
    { name: "key", type: "u32" },
    { name: "offset", type: "u32" },
  ],
  overrides: { WG },
});

/** Records out[i] = sample(seed, offset + i) for i < n. */
export function encodeRandom(
  rec: Recorder,
  out: GPUBuffer,
  { n, dist, seed, offset }: RandomSpec,
): void {
  if (n <= 0) return;
  rec.dispatch(RANDOM, [out], {
    n,
    dist: dist === "normal" ? 1 : 0,
    key: streamKey(seed >>> 0),
    offset: offset >>> 0,
  }, elementGrid(n));
}
