/**
 * The engine trains on WebGPU: a small MLP and a small conv autoencoder, each trained in lockstep
 * on the WebGPU backend and on the f64 ReferenceBackend from identical initial weights. Checks:
 * the GPU loss matches the reference loss for the first 5 steps within relative 1e-4 (f32 against
 * f64 through 5 Adam steps; measured ≤ 2e-6 on llvmpipe), and the GPU loss falls by a stated
 * factor within N steps. After step 5
 * the GPU run reads the loss back only every 10 steps (steps are recorded and submitted without
 * waiting) and the pool's bytes in use must not grow after step 1. Ignored only when no WebGPU
 * adapter exists.
 */
import type { Backend } from "../engine/backend.ts";
import { ReferenceBackend } from "../engine/reference/backend.ts";
import { aeRun, mlpRun, type Run } from "./_train_fixtures.ts";
import { gpuTest, tryCreateGpu } from "../gpu/_test_utils.ts";

const gpu = await tryCreateGpu();

function relClose(a: number, b: number, rtol: number): boolean {
  return Math.abs(a - b) <= rtol * Math.abs(b);
}

/** Trains `steps` steps on both backends; compares the first 5 losses; returns the GPU losses. */
async function lockstep(
  make: (be: Backend) => Run,
  steps: number,
): Promise<{ first: number; last: number }> {
  const g = make(gpu!), r = make(new ReferenceBackend());
  let first = NaN, last = NaN, inUseAfterFirst = 0;
  for (let s = 0; s < steps; s++) {
    const early = s < 5;
    const read = early || s % 10 === 9 || s === steps - 1;
    const lg = await g.step(read);
    if (early) {
      const lr = (await r.step(true))!;
      if (!relClose(lg!, lr, 1e-4)) {
        throw new Error(`Step ${s + 1}: WebGPU loss ${lg} differs from the reference loss ${lr}`);
      }
    }
    if (lg !== null && !Number.isFinite(lg)) throw new Error(`Step ${s + 1}: loss is ${lg}`);
    if (s === 0) {
      first = lg!;
      inUseAfterFirst = gpu!.pool.bytesInUse;
    }
    if (lg !== null) last = lg;
  }
  if (gpu!.pool.bytesInUse !== inUseAfterFirst) {
    throw new Error(
      `GPU memory leaks: ${inUseAfterFirst} bytes in use after step 1, ${
        gpu!.pool.bytesInUse
      } after ${steps}`,
    );
  }
  return { first, last };
}

Deno.test(gpuTest(gpu, {
  name: "an MLP trains on WebGPU: loss matches the reference for 5 steps, falls 10x in 200 steps",
  fn: async () => {
    const { first, last } = await lockstep(mlpRun, 200);
    if (!(last < first / 10)) throw new Error(`MLP loss ${first} → ${last}: less than 10x`);
  },
}));

Deno.test(gpuTest(gpu, {
  name: "a conv autoencoder trains on WebGPU: loss matches the reference for 5 steps, halves in 40",
  fn: async () => {
    const { first, last } = await lockstep(aeRun, 40);
    if (!(last < first / 2)) throw new Error(`autoencoder loss ${first} → ${last}: less than 2x`);
  },
}));
