/**
 * The pipeline's one configuration schema: presets plus dotted overrides ("prior.steps=4000"),
 * validated with errors that name the key, the value and what is allowed. The public surface of
 * config/: one file per section (its settings, defaults, choices and checks), pipeline.ts (the
 * whole), presets.ts, keys.ts (`--set`); this file adds resolveConfig, which uses them all.
 */

import { ConfigError } from "./checks.ts";
import { setKey } from "./keys.ts";
import { BASE, merge, type PipelineConfig, validate } from "./pipeline.ts";
import { PRESETS } from "./presets.ts";

export type { AeConfig } from "./ae.ts";
export type { ClassifierConfig } from "./classifier.ts";
export type { EvalConfig } from "./eval.ts";
export type { JointConfig } from "./joint.ts";
export type { MmvaePlusConfig } from "./mmvaeplus.ts";
export { finalSnrOf, type PriorConfig } from "./prior.ts";
export type { ReductionConfig } from "./reduction.ts";
export { ConfigError } from "./checks.ts";
export { listKeys, setKey } from "./keys.ts";
export { type PipelineConfig, validate, withDefaults } from "./pipeline.ts";
export { PRESETS } from "./presets.ts";

/** Resolves a preset and `key=value` overrides into a validated config. */
export function resolveConfig(
  preset: string,
  overrides: Record<string, string> = {},
): PipelineConfig {
  const p = PRESETS[preset];
  if (!p) {
    throw new ConfigError(
      `Cannot use preset "${preset}": allowed values are ${Object.keys(PRESETS).join(", ")}`,
    );
  }
  const cfg = merge(structuredClone(BASE), structuredClone(p.overrides));
  cfg.preset = preset;
  for (const [key, raw] of Object.entries(overrides)) setKey(cfg, key, raw);
  validate(cfg);
  return cfg;
}
