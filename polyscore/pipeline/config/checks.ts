/**
 * ConfigError and the value checks every config section shares. The lowest file of config/: it
 * imports nothing, so each section can use it without a cycle.
 */

/** Thrown for any invalid configuration; the message names the key. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Refuses `v` unless it is an integer >= `min`. */
export function positiveInt(key: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) {
    throw new ConfigError(
      `Invalid config: ${key} must be an integer >= ${min}: current value is ${v}`,
    );
  }
}

/** An upper bound that keeps a typo from allocating without limit (gh-19: modalities=1000). */
export function atMost(key: string, v: number, max: number, why: string): void {
  if (v > max) {
    throw new ConfigError(
      `Invalid config: ${key} must be <= ${max} (${why}): current value is ${v}`,
    );
  }
}

/** Refuses `v` unless it is finite and > 0 (>= 0 with `allowZero`). */
export function positive(key: string, v: number, allowZero = false): void {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new ConfigError(
      `Invalid config: ${key} must be ${allowZero ? ">= 0" : "> 0"}: current value is ${v}`,
    );
  }
}

/** The widest layer a config may ask for. */
export const MAX_WIDTH = 8192;
