/**
 * The joint-posterior VAEs' networks: one encoder (a Gaussian expert q(z|x_m)) and one decoder per
 * modality over a shared latent z. Each modality gets the architecture of its unimodal autoencoder
 * (polyscore/modality.ts: the stride-2 conv VAE of conv_vae.ts for images and masks, the MLP for
 * attribute vectors) at the `joint` section's latent size and widths, so the comparison with
 * SBM-AE and SBM-SRR is made at equal or greater network strength. Likelihoods of images: Laplace
 * (the papers' PolyMNIST setting) or a fixed-variance Gaussian (the squared error of our unimodal
 * autoencoders), both with location sigmoid(decoder output) and scale `scale`; Bernoulli for binary
 * modalities (masks, attributes).
 */
import { type Init, Module } from "../../../engine/nn/module.ts";
import type { Tensor } from "../../../engine/tensor.ts";
import { modalityOf, type ModalitySpec } from "../../modality.ts";
import type { Autoencoder } from "../../models/conv_vae.ts";
import type { Gaussian } from "./experts.ts";
import { bernoulliLogLik, gaussianLogLik, laplaceLogLik } from "./likelihood.ts";

/** What an objective needs of a joint model (the networks below, or a test's tiny model). */
export interface JointModel {
  /** Number of modalities M. */
  readonly modalities: number;
  /** Latent size D. */
  readonly latent: number;
  /** The unimodal expert q(z|x_m): (B, D) mean and log-variance. */
  encode(m: number, x: Tensor): Gaussian;
  /** Decoder logits of modality m, (B, …shape of m). */
  decode(m: number, z: Tensor): Tensor;
  /** log p(x_m | decoder logits) per row, (B). */
  logLik(m: number, logits: Tensor, x: Tensor): Tensor;
}

/** Sizes and likelihood scale of the joint networks. */
export interface JointNetworkConfig {
  latent: number;
  /** Conv channels per stride-2 stage (MLP widths are 4× these, as the unimodal models). */
  hidden: number[];
  /** Likelihood of image modalities. */
  likelihood: "laplace" | "gaussian";
  /** Its fixed scale (Laplace b, Gaussian σ). */
  scale: number;
}

/** Per-modality encoders and decoders over one latent, as one module (one checkpoint). */
export class JointNetworks extends Module implements JointModel {
  readonly nets: Autoencoder[];
  readonly modalities: number;
  readonly latent: number;
  readonly #image: boolean[];

  constructor(
    init: Init,
    readonly specs: readonly ModalitySpec[],
    readonly cfg: JointNetworkConfig,
  ) {
    super();
    this.modalities = specs.length;
    this.latent = cfg.latent;
    this.#image = specs.map((s) => modalityOf(s).likelihood === "gaussian");
    this.nets = specs.map((spec, m) => {
      const entry = modalityOf(spec);
      // The unimodal model's own loss settings are unused: the joint objectives own the loss.
      const net = entry.buildAutoencoder(init, spec, {
        variant: "vae",
        latent: cfg.latent,
        likelihood: entry.likelihood,
        beta: 1,
        aeNoise: 0,
        aeZWeight: 0,
      }, cfg.hidden);
      return this.child(`m${m}`, net);
    });
  }

  encode(m: number, x: Tensor): Gaussian {
    const { mu, logvar } = this.nets[m].encode(x);
    return { mu, logvar: logvar! };
  }

  decode(m: number, z: Tensor): Tensor {
    return this.nets[m].decode(z);
  }

  logLik(m: number, logits: Tensor, x: Tensor): Tensor {
    if (!this.#image[m]) return bernoulliLogLik(logits, x);
    return this.cfg.likelihood === "laplace"
      ? laplaceLogLik(logits, x, this.cfg.scale)
      : gaussianLogLik(logits, x, this.cfg.scale);
  }
}
