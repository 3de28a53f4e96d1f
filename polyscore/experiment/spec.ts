/**
 * An experiment file: a base preset, fixed `--set` overrides, and a grid of axes (any config key →
 * the values to try), expanded into one pipeline config per grid point. The file is JSON:
 *
 * ```json
 * { "preset": "extended-quick", "set": { "seeds": 3 },
 *   "grid": { "modalities": [5, 10], "ae.latent": [32, 64] } }
 * ```
 *
 * Values are written as `--set` takes them (numbers, booleans, strings; a list value such as
 * `methods` as an array or a comma-separated string). It parses and expands; it runs nothing.
 */
import { ConfigError, type PipelineConfig, resolveConfig } from "../pipeline/config/mod.ts";

/** A grid value as written in the file. */
export type GridValue = string | number | boolean | (string | number)[];

/** The parsed experiment file. */
export interface ExperimentSpec {
  /** The experiment's id (its folder name): the file's `id`, else the file name without `.json`. */
  id: string;
  about: string;
  preset: string;
  /** Fixed overrides of every grid point, in `--set` string form. */
  set: Record<string, string>;
  /** The axes, in file order: key → values (`--set` string form). */
  axes: { key: string; values: string[] }[];
}

/** One grid point: its index, the axis values and the resolved config. */
export interface GridPoint {
  index: number;
  /** Axis key → value (`--set` string form), in axis order. */
  values: Record<string, string>;
  /** Every override of this point: the fixed ones, then the axes'. */
  overrides: Record<string, string>;
  config: PipelineConfig;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** A file value in `--set` form, or a ConfigError naming `where`. */
function asSetValue(v: unknown, where: string): string {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number")) {
    return v.join(",");
  }
  throw new ConfigError(
    `Cannot read the experiment file: ${where} must be a number, string, boolean or a list of them: current value is ${
      JSON.stringify(v)
    }`,
  );
}

/**
 * Checks an experiment file's JSON and every grid point's config (each is resolved, so a bad key
 * or value is reported before anything runs).
 *
 * @param fileName the file's name, for the default id and the messages
 * @throws ConfigError naming the field and its value
 */
export function parseExperiment(json: unknown, fileName: string): ExperimentSpec {
  if (!isRecord(json)) {
    throw new ConfigError(`Cannot read experiment file ${fileName}: it must hold a JSON object`);
  }
  const known = new Set(["id", "about", "preset", "set", "grid"]);
  for (const k of Object.keys(json)) {
    if (!known.has(k)) {
      throw new ConfigError(
        `Cannot read experiment file ${fileName}: unknown field "${k}": fields are ${
          [...known].join(", ")
        }`,
      );
    }
  }
  const base = fileName.split("/").pop()!.replace(/\.json$/, "");
  const id = json.id === undefined ? base : json.id;
  if (typeof id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(id)) {
    throw new ConfigError(
      `Cannot read experiment file ${fileName}: id must be letters, digits, ".", "_" or "-": current value is ${
        JSON.stringify(id)
      }`,
    );
  }
  const preset = json.preset ?? "quick";
  if (typeof preset !== "string") {
    throw new ConfigError(
      `Cannot read experiment file ${fileName}: preset must be a preset name: current value is ${
        JSON.stringify(preset)
      }`,
    );
  }
  const set: Record<string, string> = {};
  if (json.set !== undefined && !isRecord(json.set)) {
    throw new ConfigError(`Cannot read experiment file ${fileName}: set must be an object`);
  }
  for (const [k, v] of Object.entries(json.set ?? {})) set[k] = asSetValue(v, `set.${k}`);
  if (!isRecord(json.grid) || Object.keys(json.grid).length === 0) {
    throw new ConfigError(
      `Cannot read experiment file ${fileName}: grid must be an object of at least one axis (a config key → a list of values), e.g. {"ae.latent": [32, 64]}`,
    );
  }
  const axes: ExperimentSpec["axes"] = [];
  for (const [key, vals] of Object.entries(json.grid)) {
    if (!Array.isArray(vals) || vals.length === 0) {
      throw new ConfigError(
        `Cannot read experiment file ${fileName}: grid.${key} must be a non-empty list of values: current value is ${
          JSON.stringify(vals)
        }`,
      );
    }
    if (key in set) {
      throw new ConfigError(
        `Cannot read experiment file ${fileName}: "${key}" is both in set and in grid; keep one`,
      );
    }
    const values = vals.map((v, i) => asSetValue(v, `grid.${key}[${i}]`));
    if (new Set(values).size !== values.length) {
      throw new ConfigError(
        `Cannot read experiment file ${fileName}: grid.${key} lists a value twice: current value is [${values}]`,
      );
    }
    axes.push({ key, values });
  }
  const about = typeof json.about === "string" ? json.about : "";
  const spec: ExperimentSpec = { id, about, preset, set, axes };
  expandGrid(spec); // resolves every point: bad keys and values fail here, before any training
  return spec;
}

/** The grid's points, the last axis varying fastest; each config resolved and validated. */
export function expandGrid(spec: ExperimentSpec): GridPoint[] {
  let combos: Record<string, string>[] = [{}];
  for (const a of spec.axes) {
    combos = combos.flatMap((c) => a.values.map((v) => ({ ...c, [a.key]: v })));
  }
  return combos.map((values, index) => {
    const overrides = { ...spec.set, ...values };
    let config: PipelineConfig;
    try {
      config = resolveConfig(spec.preset, overrides);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new ConfigError(
        `Cannot expand experiment ${spec.id}: grid point ${index} (${
          Object.entries(values).map(([k, v]) => `${k}=${v}`).join(", ")
        }): ${e.message}`,
      );
    }
    return { index, values, overrides, config };
  });
}
