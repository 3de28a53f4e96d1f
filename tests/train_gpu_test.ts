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
import { ConvAutoencoder } from "../engine/models/conv_vae.ts";
import { Linear } from "../engine/nn/layers.ts";
import { Init, Module } from "../engine/nn/module.ts";
import * as ops from "../engine/ops/mod.ts";
import { Adam } from "../engine/optim.ts";
import { ReferenceBackend } from "../engine/reference/backend.ts";
import { Rng } from "../engine/random.ts";
import { backward, Tensor, tidy } from "../engine/tensor.ts";
import { createWebGpuBackend, GpuUnavailableError, type WebGpuBackend } from "../gpu/backend.ts";

let gpu: WebGpuBackend | null = null;
try {
  gpu = await createWebGpuBackend();
} catch (e) {
  if (!(e instanceof GpuUnavailableError)) throw e;
  console.warn(`train_gpu_test ignored: ${e.message}`);
}
const ignore = gpu === null;

/** A trainer: `step(read)` runs one step and returns the loss when `read` is set. */
interface Run {
  step(read: boolean): Promise<number | null>;
}

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

class Mlp extends Module {
  l1: Linear;
  l2: Linear;
  constructor(init: Init) {
    super();
    this.l1 = this.child("l1", new Linear(init, 3, 16));
    this.l2 = this.child("l2", new Linear(init, 16, 1));
  }
  forward(x: Tensor): Tensor {
    return this.l2.forward(ops.tanh(this.l1.forward(x)));
  }
}

function mlpRun(be: Backend): Run {
  const rng = new Rng(5);
  const n = 32;
  const xs = new Float64Array(n * 3), ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) xs[i * 3 + j] = rng.normal();
    ys[i] = Math.sin(xs[i * 3]) + 0.5 * xs[i * 3 + 1] * xs[i * 3 + 2];
  }
  const net = new Mlp(new Init(be, 1));
  const opt = new Adam(net.parameters(), { lr: 1e-2 });
  const x = Tensor.from(be, xs, [n, 3]), y = Tensor.from(be, ys, [n, 1]);
  return {
    async step(read) {
      const l = tidy(() => {
        const loss = ops.mse(net.forward(x), y);
        backward(loss, opt.params);
        opt.update();
        return loss;
      });
      const v = read ? await l.item() : null;
      l.dispose();
      be.flush();
      return v;
    },
  };
}

function aeRun(be: Backend): Run {
  const rng = new Rng(9);
  const n = 8;
  const data = new Float64Array(n * 64);
  for (let i = 0; i < n; i++) {
    const cx = 1 + rng.int(5), cy = 1 + rng.int(5);
    for (let yy = 0; yy < 8; yy++) {
      for (let xx = 0; xx < 8; xx++) {
        data[i * 64 + yy * 8 + xx] = Math.abs(yy - cy) <= 1 && Math.abs(xx - cx) <= 1 ? 0.9 : 0.1;
      }
    }
  }
  const ae = new ConvAutoencoder(new Init(be, 2), [1, 8, 8], [4, 8], {
    variant: "ae",
    latent: 6,
    likelihood: "gaussian",
    beta: 0,
    aeNoise: 0.01,
    aeZWeight: 1e-5,
  });
  const opt = new Adam(ae.parameters(), { lr: 1e-2 });
  const noise = new ops.RandomStream(3);
  const x = Tensor.from(be, data, [n, 1, 8, 8]);
  return {
    async step(read) {
      const l = tidy(() => {
        const { loss } = ae.loss(x, noise);
        backward(loss, opt.params);
        opt.update();
        return loss;
      });
      const v = read ? await l.item() : null;
      l.dispose();
      be.flush();
      return v;
    },
  };
}

Deno.test({
  name: "an MLP trains on WebGPU: loss matches the reference for 5 steps, falls 10x in 200 steps",
  ignore,
  fn: async () => {
    const { first, last } = await lockstep(mlpRun, 200);
    if (!(last < first / 10)) throw new Error(`MLP loss ${first} → ${last}: less than 10x`);
  },
});

Deno.test({
  name: "a conv autoencoder trains on WebGPU: loss matches the reference for 5 steps, halves in 40",
  ignore,
  fn: async () => {
    const { first, last } = await lockstep(aeRun, 40);
    if (!(last < first / 2)) throw new Error(`autoencoder loss ${first} → ${last}: less than 2x`);
  },
});
