/**
 * Which config keys a resumed run may change, and the checks that keep what it already trained
 * consistent: learning rates, gradient clipping, evaluation and sampler settings at any time; the
 * steps of a stage only while none of its modules has finished (so every module of a stage, and
 * every method's prior, keeps one budget) and never below the step a partial checkpoint reached.
 * Everything else (architecture, data, seeds, the reduction's ε, the backend) is refused, naming
 * the key: changing it would mix two configs in one run.
 */

import { ConfigError, type PipelineConfig, setKey, validate, withDefaults } from "./config/mod.ts";

/** Keys that are safe to change whenever a run resumes. */
const ALWAYS: ReadonlySet<string> = new Set([
  "ae.lr",
  "ae.lrFinal",
  "ae.maxGradNorm",
  "classifier.lr",
  "classifier.maxGradNorm",
  "prior.lr",
  "prior.maxGradNorm",
  "reduction.lr",
  "reduction.maxGradNorm",
  "mmvaeplus.lr",
  "mmvaeplus.lrFinal",
  "mmvaeplus.maxGradNorm",
  "joint.lr",
  "joint.lrFinal",
  "joint.maxGradNorm",
  "prior.sampler",
  "prior.sampleSteps",
  "prior.snr",
  "prior.finalSnr",
  "prior.observedNoise",
  "prior.observedGain",
  "prior.scoreScale",
  "prior.scoreScaleAuto",
  "prior.scoreScaleGrid",
  "prior.scoreScaleSamples",
  "prior.correctorNorm",
  "prior.finalCorrectorSteps",
  // The lift's complement: SBM-SRR's prior is over y, so it changes sampling only.
  "reduction.complement",
]);

/** Every evaluation setting (`eval.*`) may change too: evaluation trains nothing. */
const isEvalKey = (key: string) => key.startsWith("eval.");

/** `<stage>.steps` → the prefix of that stage's checkpoint names. */
const STEP_KEYS: Readonly<Record<string, string>> = {
  "ae.steps": "ae_",
  "classifier.steps": "classifier_",
  "prior.steps": "prior_",
  "reduction.steps": "score_ratio",
  "mmvaeplus.steps": "mmvaeplus",
  "joint.steps": "joint_",
};

/** One accepted change, for the run's history. */
export interface ConfigChange {
  key: string;
  from: unknown;
  to: unknown;
}

function get(cfg: PipelineConfig, key: string): unknown {
  return key.split(".").reduce((o: unknown, k) => (o as Record<string, unknown>)?.[k], cfg);
}

/**
 * Applies `overrides` to a resumed run's saved config.
 *
 * @param checkpoints the run's checkpoint metadata (RunStore.checkpointMetadata())
 * @returns the effective config and the keys whose value changed
 * @throws ConfigError naming the first key that may not change, or an invalid value
 */
export function resumeConfig(
  saved: PipelineConfig,
  overrides: Record<string, string>,
  checkpoints: Record<string, Record<string, string>>,
): { cfg: PipelineConfig; changes: ConfigChange[] } {
  const cfg = withDefaults(saved);
  const changes: ConfigChange[] = [];
  for (const [key, raw] of Object.entries(overrides)) {
    const stagePrefix = STEP_KEYS[key];
    if (!ALWAYS.has(key) && !isEvalKey(key) && stagePrefix === undefined) {
      throw new ConfigError(
        `Cannot change "${key}" when resuming: only learning rates, gradient clipping, the steps of unfinished stages, evaluation and sampler settings may change mid-run (${
          [...ALWAYS, "eval.*", ...Object.keys(STEP_KEYS)].join(", ")
        }); start a new run to change ${key}`,
      );
    }
    const from = get(cfg, key);
    setKey(cfg, key, raw);
    const to = get(cfg, key);
    if (stagePrefix !== undefined) {
      const own = Object.entries(checkpoints).filter(([n]) => n.startsWith(stagePrefix));
      const done = own.filter(([, m]) => m.done === "1").map(([n]) => n);
      if (done.length > 0 && to !== from) {
        throw new ConfigError(
          `Cannot change "${key}" when resuming: the stage already finished ${
            done.join(", ")
          } with ${from} steps, and every module of a stage keeps one budget: current value is ${from}`,
        );
      }
      const reached = Math.max(0, ...own.map(([, m]) => Number(m.step) || 0));
      if ((to as number) < reached) {
        throw new ConfigError(
          `Cannot set "${key}" to ${to} when resuming: a checkpoint of this stage is already at step ${reached}; give at least ${reached}`,
        );
      }
    }
    if (JSON.stringify(to) !== JSON.stringify(from)) changes.push({ key, from, to });
  }
  validate(cfg);
  return { cfg, changes };
}
