/**
 * The modality registry: one entry per kind of modality (image, mask, attribute vector) holding
 * everything the pipeline, the evaluation, the run files and the dashboard need to know about it.
 * A new kind is one entry here (plus its island if the playground must show it differently).
 */
import type { Init } from "../engine/nn/module.ts";
import { type Autoencoder, type AutoencoderConfig, ConvAutoencoder } from "./models/conv_vae.ts";
import { MlpAutoencoder } from "./models/mlp_vae.ts";
import type { AeConfig } from "./pipeline/config/mod.ts";

/** The kinds of modality polyscore handles. */
export const MODALITY_KINDS = ["image", "mask", "attributes"] as const;

/** What a modality holds: RGB or gray image, single-channel mask, or a binary attribute vector. */
export type ModalityKind = typeof MODALITY_KINDS[number];

/** One modality: its name, kind and per-sample shape, (C, H, W) for image/mask or (A) for attributes. */
export interface ModalitySpec {
  name: string;
  kind: ModalityKind;
  shape: number[];
}

/** Everything that differs between kinds. */
export interface ModalityKindEntry {
  /** Stored uint8 value × scale = the float the networks see (in [0, 1]). */
  readonly scale: number;
  /** Spatial (C, H, W): drawn as an image, padded, convolved; else a flat vector. */
  readonly spatial: boolean;
  /** The likelihood of its unimodal autoencoder. */
  readonly likelihood: AutoencoderConfig["likelihood"];
  /** Its unimodal autoencoder. */
  buildAutoencoder(
    init: Init,
    spec: ModalitySpec,
    cfg: AutoencoderConfig,
    hidden: number[],
  ): Autoencoder;
  /**
   * How generated samples are scored: "classifier" (a classifier trained on this modality, when
   * the data has labels), or "f1" against the tuple's truth at `threshold` on the decoder's mean.
   */
  readonly scoring: "classifier" | "f1";
  /** Decoder probability above which a value counts as on (f1 scoring), in float units. */
  readonly threshold: number;
  /** What the playground accepts as an observation: an image file, or nothing (test tuples only). */
  readonly upload: "image" | "none";
  /** How `polyscore sample` and the API return a sample: a PNG, or a JSON list of values too. */
  readonly output: "png" | "png+values";
}

const conv = (init: Init, spec: ModalitySpec, cfg: AutoencoderConfig, hidden: number[]) =>
  new ConvAutoencoder(init, spec.shape, hidden, cfg);

/** The registry. */
export const MODALITIES: Readonly<Record<ModalityKind, ModalityKindEntry>> = {
  image: {
    scale: 1 / 255,
    spatial: true,
    likelihood: "gaussian",
    buildAutoencoder: conv,
    scoring: "classifier",
    threshold: 127.5 / 255,
    upload: "image",
    output: "png",
  },
  mask: {
    scale: 1 / 255,
    spatial: true,
    likelihood: "bernoulli",
    buildAutoencoder: conv,
    scoring: "f1",
    threshold: 127.5 / 255,
    upload: "none",
    output: "png",
  },
  attributes: {
    scale: 1,
    spatial: false,
    likelihood: "bernoulli",
    // Attribute vectors are short: an MLP four times as wide as the conv channels.
    buildAutoencoder: (init, spec, cfg, hidden) =>
      new MlpAutoencoder(init, spec.shape[0], hidden.map((h) => h * 4), cfg),
    scoring: "f1",
    threshold: 0.5,
    upload: "none",
    output: "png+values",
  },
};

/** The registry entry of a modality. */
export function modalityOf(spec: Pick<ModalitySpec, "kind">): ModalityKindEntry {
  const entry = MODALITIES[spec.kind];
  if (!entry) {
    throw new RangeError(
      `Cannot use modality kind "${spec.kind}": kinds are ${MODALITY_KINDS.join(", ")}`,
    );
  }
  return entry;
}

/** The unimodal autoencoder of a modality, configured from the pipeline's `ae` settings. */
export function buildAutoencoder(init: Init, spec: ModalitySpec, cfg: AeConfig): Autoencoder {
  const entry = modalityOf(spec);
  return entry.buildAutoencoder(init, spec, {
    variant: cfg.variant,
    latent: cfg.latent,
    likelihood: entry.likelihood,
    beta: cfg.beta,
    aeNoise: cfg.aeNoise,
    aeZWeight: cfg.aeZWeight,
    resBlocks: cfg.resBlocks,
    norm: cfg.norm,
  }, cfg.hidden);
}
