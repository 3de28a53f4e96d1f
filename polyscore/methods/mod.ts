/**
 * The method registry: every method polyscore can train and evaluate, in the order the pipeline
 * runs and reports them. Adding a method is its file plus one line here.
 */
import { independent } from "./independent.ts";
import type { Method } from "./method.ts";
import { mmvaePlus } from "./mmvaeplus.ts";
import { mopoe } from "./mopoe.ts";
import { mvtcae } from "./mvtcae.ts";
import { sbmAe } from "./sbm_ae.ts";
import { sbmSrr } from "./sbm_srr.ts";
import { whitened } from "./whitened.ts";

export type {
  Generated,
  GenerateOptions,
  Method,
  MethodInputs,
  Observations,
  TrainedMethod,
} from "./method.ts";

/** Every registered method. */
export const METHODS: readonly Method[] = [
  sbmAe,
  sbmSrr,
  whitened,
  mmvaePlus,
  mopoe,
  mvtcae,
  independent,
];

/** The registered method names, in order. */
export const METHOD_NAMES: readonly string[] = METHODS.map((m) => m.name);

/**
 * The methods of a run, in registry order. Without a list (runs from before the `methods` key),
 * all of them.
 * @throws {RangeError} naming an unknown method and the registered ones
 */
export function methodsNamed(names: readonly string[] | undefined): Method[] {
  if (!names) return [...METHODS];
  for (const n of names) {
    if (!METHOD_NAMES.includes(n)) {
      throw new RangeError(
        `Cannot use method "${n}": registered methods are ${METHOD_NAMES.join(", ")}`,
      );
    }
  }
  return METHODS.filter((m) => names.includes(m.name));
}
