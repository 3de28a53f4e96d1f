/**
 * The MMVAE+ networks: per modality, an encoder to the Laplace posterior of [w, z] and a decoder
 * from [w, z], plus the learned scale of the private prior r_m(w) = Laplace(0, softmax(ρ_m)·W).
 * Each modality's pair is the unimodal autoencoder of its kind (polyscore/modality.ts, the same
 * architecture as SBM-AE's autoencoders) with latent W + Z; its log-variance head gives the
 * posterior scale logits. Unlike the official code (two ResNet trunks, for w and z), one trunk
 * feeds both. The likelihood of "gaussian" kinds (images): Laplace with a fixed scale (official:
 * 0.75) around sigmoid(logits), or, as an option, a Gaussian with a fixed standard deviation;
 * Bernoulli for "bernoulli" kinds (masks, attributes).
 */
import type { ModalitySpec } from "../../data/dataset.ts";
import { buildAutoencoder, modalityOf } from "../../modality.ts";
import type { Autoencoder } from "../../models/conv_vae.ts";
import type { AeConfig } from "../../pipeline/config/mod.ts";
import { type Init, Module } from "../../../engine/nn/module.ts";
import * as ops from "../../../engine/ops/mod.ts";
import type { Tensor } from "../../../engine/tensor.ts";
import { type Posterior, softmaxScale } from "./mixture_iwae.ts";

/** The likelihood of image modalities: Laplace (the paper) or Gaussian, each with a fixed scale. */
export type ImageLikelihood = "laplace" | "gaussian";

/** Sizes and the likelihood of an MMVAE+ model. */
export interface MmvaePlusShape {
  /** Private latent size per modality. */
  w: number;
  /** Shared latent size. */
  z: number;
  /** Conv channels (image, mask) or MLP widths (attributes, ×4) per modality. */
  hidden: number[];
  /** Likelihood of image ("gaussian" kind) modalities, and its fixed scale (Laplace b or σ). */
  likelihood: ImageLikelihood;
  likelihoodScale: number;
}

/** The networks of every modality and the private priors' scale logits. */
export class MmvaePlusModel extends Module {
  readonly nets: Autoencoder[];
  /** (1, W) per modality; zeros give scale 1, the unit Laplace. */
  readonly priorLogits: Tensor[];

  constructor(init: Init, readonly specs: readonly ModalitySpec[], readonly shape: MmvaePlusShape) {
    super();
    const ae: AeConfig = {
      variant: "vae",
      latent: shape.w + shape.z,
      hidden: shape.hidden,
      beta: 1,
      aeNoise: 0,
      aeZWeight: 0,
      steps: 1,
      batch: 1,
      lr: 1,
      lrFinal: 1,
      maxGradNorm: 0,
      resBlocks: [],
      norm: "none",
    };
    this.nets = specs.map((s, m) => this.child(`m${m}`, buildAutoencoder(init, s, ae)));
    this.priorLogits = specs.map((_, m) =>
      this.param(`prior_w${m}`, init.constant([1, shape.w], 0))
    );
  }

  /** q_m(w, z | x): location and scale (B, W + Z); scales by softmax over w and z separately. */
  encode(m: number, x: Tensor): Posterior {
    const { mu, logvar } = this.nets[m].encode(x);
    const [lw, lz] = ops.split(logvar!, [this.shape.w, this.shape.z]);
    return { loc: mu, scale: ops.concat([softmaxScale(lw), softmaxScale(lz)], 1) };
  }

  /** The scale of r_m(w), (1, W). */
  priorWScale(m: number): Tensor {
    return softmaxScale(this.priorLogits[m], 0);
  }

  /** Decoder logits of modality m, (N, …shape). */
  decode(m: number, u: Tensor): Tensor {
    return this.nets[m].decode(u);
  }

  /** Σ over elements of log p(x | u) for N = R·B decoded rows against x (B, …) → (N). */
  logLikelihood(m: number, u: Tensor, x: Tensor): Tensor {
    const kind = modalityOf(this.specs[m]).likelihood;
    return likelihoodRows(
      kind === "bernoulli" ? "bernoulli" : this.shape.likelihood,
      this.decode(m, u),
      x,
      this.shape.likelihoodScale,
    );
  }
}

/**
 * Σ over elements of log p(x | logits) per row: logits (R·B, …) against x (B, …), each x row
 * reused for all R blocks. "laplace": Laplace(x; sigmoid(logits), scale); "gaussian":
 * N(x; sigmoid(logits), scale²); "bernoulli": −BCE(logits, x).
 */
export function likelihoodRows(
  kind: ImageLikelihood | "bernoulli",
  logits: Tensor,
  x: Tensor,
  scale: number,
): Tensor {
  const b = x.shape[0];
  const p = x.size / b;
  const n = logits.shape[0];
  const l3 = ops.reshape(logits, [n / b, b, p]);
  const x2 = ops.reshape(x, [b, p]);
  // x broadcasts over the R blocks. Laplace: −|x − σ(l)|/b − log(2b); Gaussian:
  // −(x − σ(l))²/(2s²) − ½ log(2πs²).
  let ll: Tensor;
  if (kind === "bernoulli") ll = ops.neg(ops.bceWithLogitsElementwise(l3, x2));
  else if (kind === "laplace") {
    const dev = ops.unary("abs", ops.sub(x2, ops.sigmoid(l3)));
    ll = ops.affine(dev, -1 / scale, -Math.log(2 * scale));
  } else {
    const sq = ops.square(ops.sub(x2, ops.sigmoid(l3)));
    ll = ops.affine(sq, -0.5 / (scale * scale), -0.5 * Math.log(2 * Math.PI * scale * scale));
  }
  return ops.reshape(ops.sum(ll, 2), [n]);
}
