/**
 * Two small, learnable training problems shared by the training tests of every backend: an MLP
 * regression and a conv autoencoder on bright squares. Identical seeds, so every backend starts from
 * the same weights and data.
 */
import type { Backend } from "../engine/backend.ts";
import { ConvAutoencoder } from "../polyscore/models/conv_vae.ts";
import { Linear } from "../engine/nn/layers.ts";
import { Init, Module } from "../engine/nn/module.ts";
import * as ops from "../engine/ops/mod.ts";
import { Adam } from "../engine/optim.ts";
import { Rng } from "../engine/random.ts";
import { backward, Tensor, tidy } from "../engine/tensor.ts";

/** A trainer: `step(read)` runs one step and returns the loss when `read` is set. */
export interface Run {
  step(read: boolean): Promise<number | null>;
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

export function mlpRun(be: Backend): Run {
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

export function aeRun(be: Backend): Run {
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
