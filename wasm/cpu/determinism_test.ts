/**
 * Bitwise reproducibility of the Wasm CPU backend on several threads (issue 13): threads claim
 * chunks of an op in whatever order the OS runs them, so a result that depended on which thread
 * ran which chunk would differ between runs. `debugScheduleClaims(seed)` replays a reproducible
 * interleaving per seed; training steps under different interleavings, on 2 and 3 threads and on
 * one, must give bitwise the same parameters.
 */
import assert from "node:assert/strict";
import type { Backend, NormSpec } from "../../engine/backend.ts";
import { Conv2d, ConvTranspose2d, GroupNorm, LayerNorm, Linear } from "../../engine/nn/layers.ts";
import { Init, Module } from "../../engine/nn/module.ts";
import * as ops from "../../engine/ops/mod.ts";
import { RandomStream } from "../../engine/ops/random.ts";
import { Adam } from "../../engine/optim.ts";
import { Rng } from "../../engine/random.ts";
import { backward, Tensor, tidy } from "../../engine/tensor.ts";
import { createWasmCpuBackend, type WasmCpuBackend } from "./backend.ts";

/** A small conv autoencoder with group norm: (B, 3, 16, 16) → 16 latents → logits. */
class ConvAe extends Module {
  readonly c1: Conv2d;
  readonly n1: GroupNorm;
  readonly c2: Conv2d;
  readonly n2: GroupNorm;
  readonly enc: Linear;
  readonly dec: Linear;
  readonly t1: ConvTranspose2d;
  readonly n3: GroupNorm;
  readonly t2: ConvTranspose2d;
  constructor(init: Init) {
    super();
    this.c1 = this.child("c1", new Conv2d(init, 3, 16, 3, { stride: 2, padding: 1 }));
    this.n1 = this.child("n1", new GroupNorm(init, 4, 16));
    this.c2 = this.child("c2", new Conv2d(init, 16, 32, 3, { stride: 2, padding: 1 }));
    this.n2 = this.child("n2", new GroupNorm(init, 4, 32));
    this.enc = this.child("enc", new Linear(init, 32 * 4 * 4, 16));
    this.dec = this.child("dec", new Linear(init, 16, 32 * 4 * 4));
    this.t1 = this.child("t1", new ConvTranspose2d(init, 32, 16, 4, { stride: 2, padding: 1 }));
    this.n3 = this.child("n3", new GroupNorm(init, 4, 16));
    this.t2 = this.child("t2", new ConvTranspose2d(init, 16, 3, 4, { stride: 2, padding: 1 }));
  }
  loss(x: Tensor): Tensor {
    const b = x.shape[0];
    let h = ops.silu(this.n1.forward(this.c1.forward(x)));
    h = ops.silu(this.n2.forward(this.c2.forward(h)));
    const z = this.enc.forward(ops.reshape(h, [b, 32 * 4 * 4]));
    h = ops.reshape(ops.silu(this.dec.forward(z)), [b, 32, 4, 4]);
    h = ops.silu(this.n3.forward(this.t1.forward(h)));
    return ops.bceWithLogits(this.t2.forward(h), x, "sum_per_example");
  }
}

/** A score MLP with layer norm: [z, sinusoidal(1000·t)] (32 + 16) → 64 → LN → 64 → LN → 32. */
class ScoreNet extends Module {
  readonly l1: Linear;
  readonly n1: LayerNorm;
  readonly l2: Linear;
  readonly n2: LayerNorm;
  readonly l3: Linear;
  constructor(init: Init) {
    super();
    this.l1 = this.child("l1", new Linear(init, 32 + 16, 64));
    this.n1 = this.child("n1", new LayerNorm(init, 64));
    this.l2 = this.child("l2", new Linear(init, 64, 64));
    this.n2 = this.child("n2", new LayerNorm(init, 64));
    this.l3 = this.child("l3", new Linear(init, 64, 32));
  }
  /** Denoising score matching on the VP-SDE with β from 0.1 to 20 (noise parametrisation). */
  dsmLoss(z0: Tensor, noise: RandomStream): Tensor {
    const be = z0.backend, b = z0.shape[0];
    const t = ops.affine(noise.uniform(be, [b, 1]), 1 - 1e-3, 1e-3);
    const lmc = ops.add(ops.affine(ops.square(t), -0.25 * 19.9, 0), ops.scale(t, -0.05));
    const std = ops.sqrt(ops.affine(ops.exp(ops.scale(lmc, 2)), -1, 1));
    const eps = noise.normal(be, [b, 32]);
    const zt = ops.add(ops.mul(ops.exp(lmc), z0), ops.mul(std, eps));
    const emb = ops.timeEmbedding(ops.reshape(t, [b]), 16, 10000, 1000);
    let h = ops.silu(this.n1.forward(this.l1.forward(ops.concat([zt, emb], 1))));
    h = ops.silu(this.n2.forward(this.l2.forward(h)));
    const s = this.l3.forward(h);
    return ops.affine(ops.sumAll(ops.square(ops.add(ops.mul(s, std), eps))), 1 / b, 0);
  }
}

function data(n: number, seed: number, normal: boolean): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => normal ? rng.normal() : rng.uniform());
}

/**
 * The parameters after `steps` Adam steps (gradient-norm clipping always active: maxGradNorm is
 * far below the gradient norm, so the clipped update depends on every bit of the global norm) of
 * the conv autoencoder and the score network, as raw bits.
 */
async function trainedBits(be: Backend, steps: number): Promise<Uint32Array[]> {
  const init = new Init(be, 11);
  const ae = new ConvAe(init), score = new ScoreNet(init);
  const aeParams = ae.parameters(), scoreParams = score.parameters();
  const aeOpt = new Adam(aeParams, { lr: 1e-3, weightDecay: 0.01, maxGradNorm: 1e-3 });
  const scoreOpt = new Adam(scoreParams, { lr: 1e-3, maxGradNorm: 1e-3 });
  const x = Tensor.from(be, data(16 * 3 * 16 * 16, 1, false), [16, 3, 16, 16]);
  const z0 = Tensor.from(be, data(64 * 32, 2, true), [64, 32]);
  const noise = new RandomStream(3);
  for (let s = 0; s < steps; s++) {
    tidy(() => backward(ae.loss(x), aeParams));
    aeOpt.update();
    tidy(() => backward(score.dsmLoss(z0, noise), scoreParams));
    scoreOpt.update();
  }
  const params = [...aeParams, ...scoreParams];
  const out = await Promise.all(params.map(async (p) => new Uint32Array((await p.data()).buffer)));
  for (const p of params) p.grad?.dispose();
  for (const t of [x, z0]) t.dispose();
  ae.dispose(), score.dispose(), aeOpt.dispose(), scoreOpt.dispose();
  return out;
}

/** Names the first parameter tensor and element whose bits differ, or null when none does. */
function firstDifference(a: Uint32Array[], b: Uint32Array[]): string | null {
  assert.equal(a.length, b.length);
  for (let k = 0; k < a.length; k++) {
    const i = a[k].findIndex((v, j) => v !== b[k][j]);
    if (i >= 0) {
      const f = (u: number) => new Float32Array(new Uint32Array([u]).buffer)[0];
      return `parameter ${k}, element ${i}: ${f(a[k][i])} vs ${f(b[k][i])}`;
    }
  }
  return null;
}

async function withWasm<T>(threads: number, f: (be: WasmCpuBackend) => Promise<T>): Promise<T> {
  const be = await createWasmCpuBackend({ threads, splitAll: true });
  try {
    return await f(be);
  } finally {
    be.destroy();
  }
}

Deno.test("wasm cpu: training steps are bitwise the same under any thread interleaving", async () => {
  const steps = 2;
  // Seeds 1 and 2 interleave 2 threads differently; 0 is the OS's own timing.
  const two = await withWasm(2, async (be) => {
    const runs: [string, Uint32Array[]][] = [];
    for (const seed of [1, 2, 0]) {
      be.debugScheduleClaims(seed);
      runs.push([`2 threads, schedule ${seed}`, await trainedBits(be, steps)]);
    }
    // Threads that block at once instead of polling first: other timing, the same bits.
    be.spinMicros = 0;
    runs.push([`2 threads, OS timing, no polling`, await trainedBits(be, steps)]);
    return runs;
  });
  const three = await withWasm(3, async (be) => {
    be.debugScheduleClaims(3);
    return [`3 threads, schedule 3`, await trainedBits(be, steps)] as [string, Uint32Array[]];
  });
  const [label0, bits0] = two[0];
  for (const [label, bits] of [...two.slice(1), three]) {
    const diff = firstDifference(bits0, bits);
    assert.equal(diff, null, `${label} differs from ${label0}: ${diff}`);
  }
  // The grouping of every sum depends only on the sizes, not on the thread count.
  const one = await withWasm(1, (be) => trainedBits(be, steps));
  const diff = firstDifference(bits0, one);
  assert.equal(diff, null, `1 thread differs from ${label0}: ${diff}`);
});

/** sumSquares of 5000 values, then normBackward's dx, dγ, dβ for `spec`, as raw bits. */
async function kernelBits(be: Backend, spec: NormSpec): Promise<Uint32Array[]> {
  const n = 5000, len = spec.rows * spec.cols, nch = spec.groups * spec.cols / spec.chanInner;
  const input = (size: number, seed: number) => {
    const b = be.alloc(size);
    be.write(b, data(size, seed, true));
    return b;
  };
  const x = input(n, 4), nx = input(len, 5), dy = input(len, 6);
  const gamma = input(nch, 7), beta = input(nch, 8);
  const out = be.alloc(1), dx = be.alloc(len), y = be.alloc(len);
  const dg = be.alloc(nch), db = be.alloc(nch), mean = be.alloc(spec.rows);
  const rstd = be.alloc(spec.rows);
  be.sumSquares(x, out, { n, accumulate: false });
  be.normForward({ x: nx, gamma, beta, y, mean, rstd }, spec);
  be.fill(dg, 0);
  be.fill(db, 0);
  be.normBackward({ x: nx, gamma, mean, rstd, dy, dx, dgamma: dg, dbeta: db }, spec);
  const bufs = [out, dx, dg, db];
  const bits = await Promise.all(bufs.map(async (b) => new Uint32Array((await be.read(b)).buffer)));
  for (const b of [...bufs, x, nx, dy, gamma, beta, y, mean, rstd]) be.free(b);
  return bits;
}

Deno.test("wasm cpu: sumSquares and normBackward do not depend on which thread ran a chunk", async () => {
  const specs: NormSpec[] = [
    { rows: 96, cols: 40, groups: 4, chanInner: 10, eps: 1e-5 },
    { rows: 96, cols: 42, groups: 1, chanInner: 1, eps: 1e-5 },
  ];
  await withWasm(2, async (be) => {
    for (const spec of specs) {
      be.debugScheduleClaims(1);
      const first = await kernelBits(be, spec);
      for (const seed of [2, 3, 4]) {
        be.debugScheduleClaims(seed);
        const got = await kernelBits(be, spec);
        const differ = ["sumSquares", "dx", "dγ", "dβ"].filter((_, k) =>
          firstDifference([first[k]], [got[k]]) !== null
        );
        assert.deepEqual(
          differ,
          [],
          `${JSON.stringify(spec)}: schedule ${seed} differs from schedule 1 in ${differ}`,
        );
      }
    }
  });
});
