/**
 * The dotted keys of `--set` ("prior.steps=4000"): parsing one key's string by the type of its
 * current value, and listing every settable key. Knows nothing of the presets.
 */

import { ConfigError } from "./checks.ts";
import { BASE, type PipelineConfig } from "./pipeline.ts";

/** Keys that are set by their own flag, not `--set` (the preset names what the run started from). */
const NOT_SETTABLE: Record<string, string> = {
  preset: "choose it with --preset NAME (the preset is where the run's config started from)",
};

/** Sets one dotted key from its string form, parsed by the type of the current value. */
export function setKey(cfg: PipelineConfig, key: string, raw: string): void {
  if (key in NOT_SETTABLE) {
    throw new ConfigError(`Cannot set "${key}" with --set: ${NOT_SETTABLE[key]}`);
  }
  const path = key.split(".");
  let obj = cfg as unknown as Record<string, unknown>;
  for (const part of path.slice(0, -1)) {
    const next = obj[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      throw new ConfigError(
        `Cannot set "${key}": unknown key; keys are ${listKeys(cfg).join(", ")}`,
      );
    }
    obj = next as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (!(last in obj)) {
    throw new ConfigError(`Cannot set "${key}": unknown key; keys are ${listKeys(cfg).join(", ")}`);
  }
  const cur = obj[last];
  let val: unknown;
  if (typeof cur === "number") {
    val = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(val)) {
      throw new ConfigError(`Cannot set "${key}": expected a number: current value is "${raw}"`);
    }
  } else if (typeof cur === "boolean") {
    if (raw !== "true" && raw !== "false") {
      throw new ConfigError(
        `Cannot set "${key}": expected true or false: current value is "${raw}"`,
      );
    }
    val = raw === "true";
  } else if (Array.isArray(cur) && typeof cur[0] === "string") {
    val = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  } else if (Array.isArray(cur)) {
    val = raw.trim() === "" ? [] : raw.split(",").map((s) => Number(s));
    if ((val as number[]).some((v) => !Number.isFinite(v))) {
      throw new ConfigError(
        `Cannot set "${key}": expected comma-separated numbers: current value is "${raw}"`,
      );
    }
  } else {
    val = raw;
  }
  obj[last] = val;
}

/** Every settable dotted key. */
export function listKeys(cfg: PipelineConfig = BASE): string[] {
  const out: string[] = [];
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (v && typeof v === "object" && !Array.isArray(v)) {
        walk(v as Record<string, unknown>, `${prefix}${k}.`);
      } else if (!(prefix + k in NOT_SETTABLE)) out.push(prefix + k);
    }
  };
  walk(cfg as unknown as Record<string, unknown>, "");
  return out;
}
