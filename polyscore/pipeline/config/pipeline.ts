/**
 * The whole pipeline's config: the top-level keys, the sections assembled into one base, and the
 * checks of the whole (every enumerated key first, then the top level, then each section in the
 * base's order). Presets and `--set` parsing build on it (presets.ts, keys.ts); it never imports them.
 */

import { AE_BASE, AE_CHOICES, type AeConfig, validateAe } from "./ae.ts";
import { atMost, ConfigError, positiveInt } from "./checks.ts";
import {
  CLASSIFIER_BASE,
  CLASSIFIER_CHOICES,
  type ClassifierConfig,
  validateClassifier,
} from "./classifier.ts";
import { EVAL_BASE, type EvalConfig, validateEval } from "./eval.ts";
import { JOINT_BASE, JOINT_CHOICES, type JointConfig, validateJoint } from "./joint.ts";
import {
  MMVAEPLUS_BASE,
  MMVAEPLUS_CHOICES,
  type MmvaePlusConfig,
  validateMmvaePlus,
} from "./mmvaeplus.ts";
import { PRIOR_BASE, PRIOR_CHOICES, type PriorConfig, validatePrior } from "./prior.ts";
import {
  REDUCTION_BASE,
  REDUCTION_CHOICES,
  type ReductionConfig,
  validateReduction,
} from "./reduction.ts";

/** The whole pipeline. */
export interface PipelineConfig {
  preset: string;
  /** Dataset: a preset name of polyscore/data ("polymnist", …) or a folder. */
  data: string;
  /** For generated PolyMNIST: number of modalities (overrides the data preset's). */
  modalities: number;
  /** Cap on train tuples and on test tuples. */
  trainLimit: number;
  testLimit: number;
  /** A folder of background images, "flat" (one plain colour per modality), or "" (procedural). */
  backgrounds: string;
  /** Side of the procedural backgrounds (px): larger ones give smoother 28×28 crops. */
  backgroundSize: number;
  backend: "auto" | "webgpu" | "wasm" | "reference";
  seed: number;
  /** Seeds of the prior training + sampling (mean ± std over them); autoencoders use `seed`. */
  seeds: number;
  /**
   * The methods to train and evaluate (names of polyscore/methods/mod.ts), reported in registry
   * order; a method that needs the reduction (sbm-srr, whitened) makes the run compute it whatever
   * `reduction.enabled` says.
   */
  methods: string[];
  ae: AeConfig;
  classifier: ClassifierConfig;
  prior: PriorConfig;
  reduction: ReductionConfig;
  mmvaeplus: MmvaePlusConfig;
  joint: JointConfig;
  eval: EvalConfig;
}

/** The base defaults: every preset is a set of overrides of it (presets.ts). */
export const BASE: PipelineConfig = {
  preset: "quick",
  data: "polymnist",
  modalities: 5,
  trainLimit: 20000,
  testLimit: 2000,
  backgrounds: "",
  backgroundSize: 512,
  backend: "auto",
  seed: 1,
  seeds: 1,
  methods: ["sbm-ae", "sbm-srr", "whitened", "independent"],
  ae: AE_BASE,
  classifier: CLASSIFIER_BASE,
  prior: PRIOR_BASE,
  reduction: REDUCTION_BASE,
  mmvaeplus: MMVAEPLUS_BASE,
  joint: JOINT_BASE,
  eval: EVAL_BASE,
};

/** Allowed values of the enumerated keys (the top level's and every section's). */
const CHOICES: Record<string, readonly string[]> = {
  backend: ["auto", "webgpu", "wasm", "reference"],
  ...AE_CHOICES,
  ...CLASSIFIER_CHOICES,
  ...PRIOR_CHOICES,
  ...REDUCTION_CHOICES,
  ...MMVAEPLUS_CHOICES,
  ...JOINT_CHOICES,
};

/** `over` laid over `base`, object by object; arrays and scalars of `over` replace the base's. */
export function merge<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (Array.isArray(base) || typeof base !== "object" || base === null) return over as T;
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    out[k] = merge((base as Record<string, unknown>)[k], v);
  }
  return out as T;
}

/** Checks every value; throws a ConfigError naming the first bad key. */
export function validate(cfg: PipelineConfig): void {
  for (const [key, allowed] of Object.entries(CHOICES)) {
    const v = key.split(".").reduce(
      (o: unknown, k) => (o as Record<string, unknown>)[k],
      cfg,
    ) as string;
    if (!allowed.includes(v)) {
      throw new ConfigError(
        `Invalid config: ${key} must be one of ${allowed.join(", ")}: current value is "${v}"`,
      );
    }
  }
  if (!cfg.data) {
    throw new ConfigError(
      `Invalid config: data is empty: the ${cfg.preset} preset needs --data DIR (a local dataset folder)`,
    );
  }
  positiveInt("modalities", cfg.modalities, 2);
  atMost(
    "modalities",
    cfg.modalities,
    32,
    "each modality holds its own data, autoencoder and classifier",
  );
  positiveInt("backgroundSize", cfg.backgroundSize, 28);
  positiveInt("trainLimit", cfg.trainLimit, 2);
  positiveInt("testLimit", cfg.testLimit, 2);
  positiveInt("seed", cfg.seed, 0);
  positiveInt("seeds", cfg.seeds);
  if (cfg.methods.length === 0 || new Set(cfg.methods).size !== cfg.methods.length) {
    throw new ConfigError(
      `Invalid config: methods must list distinct method names: current value is [${cfg.methods}]`,
    );
  }
  validateAe(cfg.ae);
  validateClassifier(cfg.classifier);
  validatePrior(cfg.prior);
  validateReduction(cfg.reduction, { modalities: cfg.modalities, aeLatent: cfg.ae.latent });
  validateMmvaePlus(cfg.mmvaeplus);
  validateJoint(cfg.joint);
  validateEval(cfg.eval, cfg.modalities);
}

/**
 * A saved config (a run's config.json) with the keys added since it was written filled from the
 * base defaults, so older runs still evaluate.
 */
export function withDefaults(saved: PipelineConfig): PipelineConfig {
  return merge(structuredClone(BASE), structuredClone(saved));
}
