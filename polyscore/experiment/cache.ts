/**
 * Sharing a stage's artefacts between grid points. Each shareable stage has a cache key: the
 * config subset that produces its checkpoints (the data keys and the stage's own section, and the
 * upstream stages' keys). Two points whose key of a stage is equal would train bitwise the same
 * checkpoints (same seed, backend and config → same bits), so the later point starts with the
 * earlier point's finished checkpoints hard-linked into its run (copied where links fail) and its
 * metric curves copied; the pipeline then restores the stage instead of training it, as on
 * `--resume`. Nothing here decides what a stage computes: it only names what it depends on.
 */
import type { PipelineConfig } from "../pipeline/config/mod.ts";
import type { RunStore } from "../runs/store.ts";
import { join } from "node:path";

/** A shareable stage: its checkpoint-name prefix and its metric-stage prefix. */
export interface CacheGroup {
  name: "autoencoders" | "classifiers" | "latents" | "reduction";
  checkpointPrefix: string;
  metricPrefix: string | null;
}

/** The groups, upstream first. */
export const CACHE_GROUPS: readonly CacheGroup[] = [
  { name: "autoencoders", checkpointPrefix: "ae_", metricPrefix: "ae/" },
  { name: "classifiers", checkpointPrefix: "classifier_", metricPrefix: "classifier/" },
  { name: "latents", checkpointPrefix: "latents", metricPrefix: null },
  { name: "reduction", checkpointPrefix: "score_ratio", metricPrefix: "reduction/" },
];

/** Keys that decide the dataset (generated PolyMNIST is regenerated bitwise from them). */
const DATA_KEYS = [
  "data",
  "modalities",
  "trainLimit",
  "testLimit",
  "backgrounds",
  "backgroundSize",
  "seed",
  "backend",
] as const;

/**
 * Reduction keys that only select ranks from the trained network's H, or size the lift ceiling:
 * they do not change the score-ratio checkpoint. Every other reduction key (including keys added
 * later) is part of the key, so an unknown key can only prevent sharing, never share wrongly.
 */
const SELECTION_ONLY = new Set([
  "enabled",
  "epsilonFraction",
  "epsilonAbsolute",
  "ranks",
  "sweep",
  "sweepPriors",
  "liftTuples",
]);

/** Canonical JSON (sorted object keys), so equal subsets give equal strings. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(v);
}

/**
 * Classifier keys added after experiments were cached, with the values that build the network
 * those caches hold: left out of the key at these values, so the caches stay valid.
 */
const CLASSIFIER_KEYS_ADDED: Record<string, unknown> = { stem: 0, kernel: 3 };

function classifierKey(c: PipelineConfig["classifier"]): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(c).filter(([k, v]) =>
      !(k in CLASSIFIER_KEYS_ADDED) || CLASSIFIER_KEYS_ADDED[k] !== v
    ),
  );
}

/** The config subset of every cache group (canonical JSON), by group name. */
export function cacheKeys(cfg: PipelineConfig): Record<CacheGroup["name"], string> {
  const data = Object.fromEntries(DATA_KEYS.map((k) => [k, cfg[k]]));
  const ae = { data, ae: cfg.ae };
  const reduction = Object.fromEntries(
    Object.entries(cfg.reduction).filter(([k]) => !SELECTION_ONLY.has(k)),
  );
  // An H estimated from the trained prior (any estimator but the score-ratio network) also
  // depends on the prior's settings and seeds.
  const estimator = (cfg.reduction as unknown as Record<string, unknown>).estimator;
  const usesPrior = estimator !== undefined && estimator !== "score-ratio";
  return {
    autoencoders: canonical(ae),
    classifiers: canonical({ data, classifier: classifierKey(cfg.classifier) }),
    latents: canonical(ae),
    reduction: canonical({
      ...ae,
      reduction,
      ...(usesPrior ? { prior: cfg.prior, seeds: cfg.seeds, methods: cfg.methods } : {}),
    }),
  };
}

/** A short hex digest of a key, for the experiment's state file and report. */
export async function digest(key: string): Promise<string> {
  const h = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return Array.from(new Uint8Array(h).slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

/** Names of the finished checkpoints of `group` in a run. */
export function finishedCheckpoints(store: RunStore, group: CacheGroup): string[] {
  return Object.entries(store.checkpointMetadata())
    .filter(([n, m]) => n.startsWith(group.checkpointPrefix) && m.done === "1")
    .map(([n]) => n)
    .sort();
}

/**
 * Puts the finished checkpoints of `group` from run `from` into run `to` (hard links: checkpoints
 * are replaced by rename, never rewritten in place, so a link never sees a later write; a copy
 * where the file system refuses links), and copies the group's metric rows. Returns the names.
 */
export function seedGroup(from: RunStore, to: RunStore, group: CacheGroup): string[] {
  const names = finishedCheckpoints(from, group);
  Deno.mkdirSync(join(to.dir, "checkpoints"), { recursive: true });
  for (const n of names) {
    const src = join(from.dir, "checkpoints", `${n}.safetensors`);
    const dst = join(to.dir, "checkpoints", `${n}.safetensors`);
    try {
      Deno.removeSync(dst);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    try {
      Deno.linkSync(src, dst);
    } catch {
      Deno.copyFileSync(src, dst);
    }
  }
  if (group.metricPrefix && names.length > 0) {
    const steps = new Map<string, Record<string, number>>();
    for (const r of from.metrics()) {
      if (!r.stage.startsWith(group.metricPrefix)) continue;
      const k = `${r.stage}\u0000${r.step}`;
      steps.set(k, { ...steps.get(k), [r.name]: r.value });
    }
    for (const [k, values] of steps) {
      const [stage, step] = k.split("\u0000");
      to.metric(stage, Number(step), values);
    }
  }
  return names;
}
