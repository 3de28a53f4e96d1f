/**
 * MLP VAE / AE for attribute vectors (A) with a Bernoulli likelihood (BCE on logits), as the
 * official code's attribute model, smaller: A → hidden… → μ, log σ²; z → hidden… → A logits.
 */
import { Linear } from "../../engine/nn/layers.ts";
import { type Init, Module } from "../../engine/nn/module.ts";
import * as ops from "../../engine/ops/mod.ts";
import type { RandomStream } from "../../engine/ops/random.ts";
import type { Tensor } from "../../engine/tensor.ts";
import {
  type AeLoss,
  type Autoencoder,
  type AutoencoderConfig,
  autoencoderLoss,
} from "./conv_vae.ts";

/** MLP autoencoder for (A) binary vectors. */
export class MlpAutoencoder extends Module implements Autoencoder {
  readonly enc: Linear[];
  readonly mu: Linear;
  readonly logvar: Linear | null;
  readonly dec: Linear[];

  constructor(
    init: Init,
    readonly features: number,
    readonly hidden: readonly number[],
    readonly config: AutoencoderConfig,
  ) {
    super();
    const sizes = [features, ...hidden];
    this.enc = hidden.map((_, i) =>
      this.child(`enc${i}`, new Linear(init, sizes[i], sizes[i + 1]))
    );
    const top = sizes[sizes.length - 1];
    this.mu = this.child("mu", new Linear(init, top, config.latent));
    this.logvar = config.variant === "vae"
      ? this.child("logvar", new Linear(init, top, config.latent))
      : null;
    const back = [config.latent, ...[...hidden].reverse(), features];
    this.dec = back.slice(0, -1).map((_, i) =>
      this.child(`dec${i}`, new Linear(init, back[i], back[i + 1]))
    );
  }

  encode(x: Tensor): { mu: Tensor; logvar: Tensor | null } {
    let h = x;
    for (const l of this.enc) h = ops.relu(l.forward(h));
    return { mu: this.mu.forward(h), logvar: this.logvar ? this.logvar.forward(h) : null };
  }

  decode(z: Tensor): Tensor {
    let h = z;
    this.dec.forEach((l, i) => {
      h = l.forward(h);
      if (i < this.dec.length - 1) h = ops.relu(h);
    });
    return h;
  }

  loss(x: Tensor, noise: RandomStream): AeLoss {
    return autoencoderLoss(this, x, noise);
  }
}
