/**
 * Shared helpers of the gpu tests: one backend per test file (null when no adapter exists, and
 * `gpuTest`, which then ignores a test and says why in its name), and `Pair`, which mirrors buffers on the WebGPU backend and the
 * f64 ReferenceBackend so each test states inputs once and compares outputs.
 */

import type { DeviceBuffer } from "../engine/backend.ts";
import { ReferenceBackend } from "../engine/reference/backend.ts";
import { Rng } from "../engine/random.ts";
import { assertAllClose, type CloseOptions } from "../engine/testing.ts";
import { needing, requirement } from "../engine/testing_tools.ts";
import { createWebGpuBackend, GpuUnavailableError, type WebGpuBackend } from "./backend.ts";
import { diagnoseVulkan, gatherVulkanFacts, REAL_FILES } from "./vulkan_diagnosis.ts";

/** Creates the test backend, or returns null (with a note) when no WebGPU adapter exists. */
export async function tryCreateGpu(): Promise<WebGpuBackend | null> {
  try {
    return await createWebGpuBackend();
  } catch (e) {
    if (e instanceof GpuUnavailableError) {
      console.warn(`gpu tests ignored: ${e.message}`);
      return null;
    }
    throw e;
  }
}

/**
 * `def` unchanged when `gpu` exists; otherwise ignored, its name saying why no adapter was found
 * (the first words of each cause from the Vulkan diagnosis) and how to install Mesa's llvmpipe.
 */
export function gpuTest(gpu: WebGpuBackend | null, def: Deno.TestDefinition): Deno.TestDefinition {
  let missing: string | null = null;
  if (gpu === null) {
    const causes = diagnoseVulkan(gatherVulkanFacts(REAL_FILES)).map((l) => l.split(":")[0]);
    missing = `no WebGPU adapter (${causes.join(", ") || "the Vulkan driver offered no device"})`;
  }
  const req = requirement("WebGPU", missing, "apt-get install mesa-vulkan-drivers libvulkan1");
  return needing([req], def);
}

/** A buffer mirrored on both backends. */
export interface Twin {
  ref: DeviceBuffer;
  gpu: DeviceBuffer;
  size: number;
}

/** Seeded f32-representable values in [lo, hi). */
export function f32Values(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.uniform();
  return out;
}

/** Mirrors buffers on the WebGPU and reference backends. */
export class Pair {
  readonly ref = new ReferenceBackend();
  readonly gpu: WebGpuBackend;
  readonly #twins: Twin[] = [];
  constructor(gpu: WebGpuBackend) {
    this.gpu = gpu;
  }

  /** A twin holding `data` (rounded to f32) on both sides. */
  input(data: ArrayLike<number>): Twin {
    const f = Float32Array.from(data);
    const t = { ref: this.ref.alloc(f.length), gpu: this.gpu.alloc(f.length), size: f.length };
    this.ref.write(t.ref, f);
    this.gpu.write(t.gpu, f);
    this.#twins.push(t);
    return t;
  }

  /** A twin of seeded random values in [lo, hi). */
  random(n: number, seed: number, lo = -1, hi = 1): Twin {
    return this.input(f32Values(n, seed, lo, hi));
  }

  /** An output twin: NaN-filled on the GPU (so unwritten elements show), or `init` on both. */
  output(n: number, init?: ArrayLike<number>): Twin {
    if (init !== undefined) return this.input(init);
    return this.input(new Float32Array(n).fill(NaN));
  }

  /** Reads both sides and asserts they agree. */
  async check(t: Twin, opts: CloseOptions, n = t.size): Promise<void> {
    const [g, r] = await Promise.all([this.gpu.read(t.gpu), this.ref.read(t.ref)]);
    assertAllClose(g.subarray(0, n), r.subarray(0, n), opts);
  }

  /** Frees every twin. */
  dispose(): void {
    for (const t of this.#twins) {
      this.ref.free(t.ref);
      this.gpu.free(t.gpu);
    }
    this.#twins.length = 0;
  }
}

/** Runs `fn` with a fresh Pair and frees its buffers afterwards. */
export async function withPair(
  gpu: WebGpuBackend,
  fn: (p: Pair) => Promise<void>,
): Promise<void> {
  const p = new Pair(gpu);
  try {
    await fn(p);
  } finally {
    p.dispose();
  }
}
