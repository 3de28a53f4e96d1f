/**
 * bench gpu's peak table: a known adapter gets its data-sheet fp32 peak, an unknown one (llvmpipe,
 * any GPU not in the table) gets none, so the bench prints "unknown" instead of inventing one.
 */
import assert from "node:assert/strict";
import { peakFor } from "./gpu.ts";

Deno.test("peakFor() matches data-sheet adapters by description and knows nothing else", () => {
  assert.deepEqual(peakFor("NVIDIA H200"), { name: "NVIDIA H200 SXM", gflops: 67_000 });
  assert.equal(peakFor("NVIDIA H100 PCIe")?.gflops, 51_000);
  assert.equal(peakFor("NVIDIA H100 80GB HBM3")?.gflops, 67_000);
  assert.equal(peakFor("NVIDIA A100-SXM4-80GB")?.gflops, 19_500);
  assert.equal(peakFor("NVIDIA L40S")?.gflops, 91_600);
  assert.equal(peakFor("NVIDIA L4")?.gflops, 30_300);
  assert.equal(peakFor("llvmpipe (LLVM 15.0.6, 256 bits)"), null);
  assert.equal(peakFor("NVIDIA GeForce RTX 4090"), null);
  assert.equal(peakFor("NVIDIA A40"), null, "A40 is not A10");
});
