/**
 * Convolutional VAE / AE for image and mask modalities (C, H, W).
 *
 * Encoder: stride-2 3×3 convs (pad 1) through `hidden` channels with ReLU, flatten, linear heads
 * for μ and log σ². Decoder: linear to the last feature map, ReLU, then transposed convs back up
 * with output paddings computed so each stage restores the encoder's size exactly (28→14→7→4 and
 * back for PolyMNIST). The decoder returns logits; images are sigmoid(logits) in [0, 1].
 *
 * Options (both off by default, so older checkpoints keep their parameter names): `resBlocks[i]`
 * residual blocks x + conv(act(conv(act(x)))) at stage i's resolution, after the encoder's i-th
 * down-sampling and before the decoder's matching up-sampling (the official SBM ResVAE's shape);
 * `norm: "group"` a group norm (≤ 8 groups) before every activation of the conv stack.
 *
 * Losses (per example, batch mean), as in the official SBM code (literature §1.3):
 * - "vae": recon + β·KL(q(z|x) ‖ N(0, I)), recon = Σ (sigmoid(logits) − x)² ("gaussian") or
 *   Σ BCE(logits, x) ("bernoulli", masks);
 * - "ae": recon(decode(μ + noise·ε)) + zWeight·‖μ‖² (RAE-style: decoder-input noise, latent-norm
 *   penalty).
 */
import { Conv2d, ConvTranspose2d, GroupNorm, Linear } from "../../engine/nn/layers.ts";
import { type Init, Module } from "../../engine/nn/module.ts";
import * as ops from "../../engine/ops/mod.ts";
import type { RandomStream } from "../../engine/ops/random.ts";
import type { Tensor } from "../../engine/tensor.ts";

/** Settings of a unimodal autoencoder. */
export interface AutoencoderConfig {
  /** "vae" (β-VAE) or "ae" (decoder-input noise + latent-norm penalty). */
  variant: "vae" | "ae";
  latent: number;
  /** Reconstruction likelihood: summed squared error on sigmoid outputs, or Bernoulli (BCE). */
  likelihood: "gaussian" | "bernoulli";
  /** KL weight of the VAE. */
  beta: number;
  /** AE: standard deviation of the noise added to the decoder input. */
  aeNoise: number;
  /** AE: weight of the batch-mean ‖z‖² penalty. */
  aeZWeight: number;
  /** Residual blocks per stage (aligned with the conv widths); absent or empty: none. */
  resBlocks?: readonly number[];
  /** Normalisation before each conv-stack activation; absent: "none". */
  norm?: "none" | "group";
}

/** Loss terms of one batch (each shape [1]). */
export interface AeLoss {
  loss: Tensor;
  recon: Tensor;
  reg: Tensor;
}

/** Interface shared by every unimodal autoencoder. */
export interface Autoencoder extends Module {
  readonly config: AutoencoderConfig;
  /** Posterior mean (the latent used downstream) and log-variance (null for the AE). */
  encode(x: Tensor): { mu: Tensor; logvar: Tensor | null };
  /** Decoder logits, shape (B, …modality shape). */
  decode(z: Tensor): Tensor;
  /** Training loss on a batch x in [0, 1]. */
  loss(x: Tensor, noise: RandomStream): AeLoss;
}

/** Spatial sizes of each encoder stage for stride-2, pad-1, 3×3 convs. */
export function encoderSizes(h: number, stages: number): number[] {
  const s = [h];
  for (let i = 0; i < stages; i++) s.push(Math.floor((s[i] + 2 - 3) / 2) + 1);
  return s;
}

/** Convolutional autoencoder for (C, H, W) inputs. */
export class ConvAutoencoder extends Module implements Autoencoder {
  readonly convs: Conv2d[];
  readonly mu: Linear;
  readonly logvar: Linear | null;
  readonly fromLatent: Linear;
  readonly deconvs: ConvTranspose2d[];
  /** Per encoder stage: its residual blocks; per decoder stage (top-down): its blocks. */
  readonly encBlocks: ResBlock[][];
  readonly decBlocks: ResBlock[][];
  /** Norms before the activations: after each down-conv, after each up-conv but the last. */
  readonly encNorms: (GroupNorm | null)[];
  readonly decNorms: (GroupNorm | null)[];
  readonly hs: number[];
  readonly ws: number[];

  constructor(
    init: Init,
    readonly shape: readonly number[],
    readonly hidden: readonly number[],
    readonly config: AutoencoderConfig,
  ) {
    super();
    const [c, h, w] = shape;
    this.hs = encoderSizes(h, hidden.length);
    this.ws = encoderSizes(w, hidden.length);
    const chans = [c, ...hidden];
    const blocks = config.resBlocks ?? [];
    if (blocks.length !== 0 && blocks.length !== hidden.length) {
      throw new RangeError(
        `Cannot build autoencoder: resBlocks must list one count per conv stage (${hidden.length}) or none: current value is [${blocks}]`,
      );
    }
    const group = config.norm === "group";
    this.convs = hidden.map((_, i) =>
      this.child(`enc${i}`, new Conv2d(init, chans[i], chans[i + 1], 3, { stride: 2, padding: 1 }))
    );
    this.encNorms = hidden.map((h, i) =>
      group ? this.child(`enc${i}_norm`, new GroupNorm(init, normGroups(h), h)) : null
    );
    this.encBlocks = hidden.map((h, i) =>
      Array.from(
        { length: blocks[i] ?? 0 },
        (_, j) => this.child(`enc${i}_res${j}`, new ResBlock(init, h, group)),
      )
    );
    const last = hidden.length;
    const flat = hidden[last - 1] * this.hs[last] * this.ws[last];
    this.mu = this.child("mu", new Linear(init, flat, config.latent));
    this.logvar = config.variant === "vae"
      ? this.child("logvar", new Linear(init, flat, config.latent))
      : null;
    this.fromLatent = this.child("dec_in", new Linear(init, config.latent, flat));
    this.deconvs = [];
    this.decBlocks = [];
    this.decNorms = [];
    for (let i = last; i > 0; i--) {
      this.decBlocks.push(Array.from(
        { length: blocks[i - 1] ?? 0 },
        (_, j) => this.child(`dec${last - i}_res${j}`, new ResBlock(init, chans[i], group)),
      ));
      const outPad = this.hs[i - 1] - 2 * this.hs[i] + 1;
      const outPadW = this.ws[i - 1] - 2 * this.ws[i] + 1;
      if (outPad !== outPadW) {
        throw new RangeError(
          `Cannot build autoencoder: non-square input ${h}x${w} needs equal paddings`,
        );
      }
      this.deconvs.push(this.child(
        `dec${last - i}`,
        new ConvTranspose2d(init, chans[i], chans[i - 1], 3, {
          stride: 2,
          padding: 1,
          outputPadding: outPad,
        }),
      ));
      // Every up-conv but the last (whose output is the logits) is normed before its ReLU.
      if (i > 1) {
        this.decNorms.push(
          group
            ? this.child(
              `dec${last - i}_norm`,
              new GroupNorm(init, normGroups(chans[i - 1]), chans[i - 1]),
            )
            : null,
        );
      }
    }
  }

  encode(x: Tensor): { mu: Tensor; logvar: Tensor | null } {
    let h = x;
    this.convs.forEach((conv, i) => {
      h = ops.relu(normed(this.encNorms[i], conv.forward(h)));
      for (const b of this.encBlocks[i]) h = b.forward(h);
    });
    h = ops.reshape(h, [x.shape[0], -1]);
    return { mu: this.mu.forward(h), logvar: this.logvar ? this.logvar.forward(h) : null };
  }

  decode(z: Tensor): Tensor {
    const last = this.hidden.length;
    let h = ops.relu(this.fromLatent.forward(z));
    h = ops.reshape(h, [z.shape[0], this.hidden[last - 1], this.hs[last], this.ws[last]]);
    this.deconvs.forEach((d, i) => {
      for (const b of this.decBlocks[i]) h = b.forward(h);
      h = d.forward(h);
      if (i < this.deconvs.length - 1) h = ops.relu(normed(this.decNorms[i], h));
    });
    return h;
  }

  loss(x: Tensor, noise: RandomStream): AeLoss {
    return autoencoderLoss(this, x, noise);
  }
}

/** Groups of a group norm over c channels: the largest divisor of c that is at most 8. */
export function normGroups(c: number): number {
  for (let g = Math.min(8, c); g > 1; g--) if (c % g === 0) return g;
  return 1;
}

function normed(norm: GroupNorm | null, x: Tensor): Tensor {
  return norm ? norm.forward(x) : x;
}

/**
 * Pre-activation residual block at constant resolution and width: x + conv(act(conv(act(x)))),
 * act = ReLU after an optional group norm. Its output is not activated, so blocks chain.
 */
export class ResBlock extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly norm1: GroupNorm | null;
  readonly norm2: GroupNorm | null;
  constructor(init: Init, readonly channels: number, group: boolean) {
    super();
    this.norm1 = group
      ? this.child("norm1", new GroupNorm(init, normGroups(channels), channels))
      : null;
    this.conv1 = this.child("conv1", new Conv2d(init, channels, channels, 3, { padding: 1 }));
    this.norm2 = group
      ? this.child("norm2", new GroupNorm(init, normGroups(channels), channels))
      : null;
    this.conv2 = this.child("conv2", new Conv2d(init, channels, channels, 3, { padding: 1 }));
  }
  forward(x: Tensor): Tensor {
    const h = this.conv1.forward(ops.relu(normed(this.norm1, x)));
    return ops.add(x, this.conv2.forward(ops.relu(normed(this.norm2, h))));
  }
}

/** Reconstruction term of a batch: per-example sum, batch mean. */
export function reconstructionLoss(
  likelihood: "gaussian" | "bernoulli",
  logits: Tensor,
  x: Tensor,
): Tensor {
  return likelihood === "bernoulli"
    ? ops.bceWithLogits(logits, x, "sum_per_example")
    : ops.mse(ops.sigmoid(logits), x, "sum_per_example");
}

/** The VAE or AE objective of any autoencoder (shared by the conv and MLP models). */
export function autoencoderLoss(ae: Autoencoder, x: Tensor, noise: RandomStream): AeLoss {
  const cfg = ae.config;
  const { mu, logvar } = ae.encode(x);
  if (cfg.variant === "vae") {
    // Reparameterise: z = μ + exp(½ log σ²)·ε.
    const eps = noise.normal(x.backend, mu.shape);
    const z = ops.add(mu, ops.mul(ops.exp(ops.affine(logvar!, 0.5, 0)), eps));
    const recon = reconstructionLoss(cfg.likelihood, ae.decode(z), x);
    const reg = ops.gaussianKl(mu, logvar!);
    return { loss: ops.add(recon, ops.scale(reg, cfg.beta)), recon, reg };
  }
  const eps = noise.normal(x.backend, mu.shape);
  const z = ops.add(mu, ops.scale(eps, cfg.aeNoise));
  const recon = reconstructionLoss(cfg.likelihood, ae.decode(z), x);
  const reg = ops.affine(ops.sumAll(ops.square(mu)), 1 / x.shape[0], 0);
  return { loss: ops.add(recon, ops.scale(reg, cfg.aeZWeight)), recon, reg };
}
