/**
 * The config section of the evaluation (stage 4): settings, base defaults and checks (it has no
 * enumerated keys). Imports only the shared checks; the presets and `--set` build on it. Its
 * checks need the config's modality count, passed in by pipeline.ts.
 */

import { ConfigError, positiveInt } from "./checks.ts";

/** Settings of the evaluation (stage 4). */
export interface EvalConfig {
  /** Test tuples used for conditional coherence (per subset). */
  conditional: number;
  /** Unconditional samples (coherence and Fréchet distance). */
  unconditional: number;
  /** For M > 5: subsets sampled per number of given modalities. */
  subsetsPerSize: number;
  /**
   * Test tuples per number of given modalities k = 1 … M − 1 (empty: the rule of
   * polyscore/eval/protocol.ts, from `conditional` and `outcomesPerGiven`).
   */
  tuplesBySize: number[];
  /** The rule's target: (subset, target) outcomes per given count (SE ≤ 0.5/√n per seed). */
  outcomesPerGiven: number;
  /**
   * The rule's floor on tuples with M − 1 given, where the headline comparison lives (SBM-SRR vs
   * SBM-AE at a 0.03 gap needs ≥ 1,000: ../shared/research/science-audit.md §2).
   */
  tuplesLastGiven: number;
  /** Bootstrap replicates of the confidence intervals. */
  bootstrap: number;
}

/** The base defaults, before any preset or override. */
export const EVAL_BASE: EvalConfig = {
  conditional: 100,
  unconditional: 500,
  subsetsPerSize: 5,
  tuplesBySize: [],
  outcomesPerGiven: 2500,
  tuplesLastGiven: 1000,
  bootstrap: 1000,
};

/** Checks the section; throws a ConfigError naming the first bad key (`modalities`: the config's). */
export function validateEval(e: EvalConfig, modalities: number): void {
  positiveInt("eval.conditional", e.conditional);
  positiveInt("eval.unconditional", e.unconditional, 2);
  positiveInt("eval.subsetsPerSize", e.subsetsPerSize);
  const tbs = e.tuplesBySize;
  if (tbs.length && tbs.length !== modalities - 1) {
    throw new ConfigError(
      `Invalid config: eval.tuplesBySize must give one count per number of given modalities (${
        modalities - 1
      }) or be empty: current value is [${tbs}]`,
    );
  }
  tbs.forEach((n, i) => positiveInt(`eval.tuplesBySize[${i}]`, n));
  positiveInt("eval.outcomesPerGiven", e.outcomesPerGiven);
  positiveInt("eval.tuplesLastGiven", e.tuplesLastGiven, 0);
  positiveInt("eval.bootstrap", e.bootstrap, 10);
}
