/**
 * Runs an experiment's grid: one pipeline run per grid point (`<runs>/<id>-pNN`), each started with
 * the finished checkpoints of an earlier point whose stage keys are equal (polyscore/experiment/
 * cache.ts), so autoencoders, classifiers, latents and the score-ratio network are trained once per
 * distinct config. Resumable: a finished point is skipped, a killed one resumes like `--resume`,
 * and the experiment report is rewritten after every point.
 */
import { parseReport, type Report } from "../report/report.ts";
import { RunStore } from "../runs/store.ts";
import { type RunOptions, runPipeline } from "../pipeline/run.ts";
import {
  CACHE_GROUPS,
  cacheKeys,
  canonical,
  digest,
  finishedCheckpoints,
  seedGroup,
} from "./cache.ts";
import { ConfigError } from "../pipeline/config/mod.ts";
import { expandGrid, type ExperimentSpec, type GridPoint } from "./spec.ts";
import type { PointOutcome } from "./point.ts";
import { writeExperimentReport } from "./summary.ts";
import { join, resolve } from "node:path";

/** Options of {@link runExperiment}. */
export interface ExperimentOptions {
  runsRoot: string;
  /** Where `<id>/experiment.{json,md}` and the plots go. */
  experimentsRoot: string;
  /** The experiment file, as given (recorded in the report's reproduce line). */
  file: string;
  quiet?: boolean;
  selectBackend: RunOptions["selectBackend"];
  /** Per-modality stages in workers (run.ts); the same bits, so not part of a point's key. */
  modalityWorkers?: RunOptions["modalityWorkers"];
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** "45 s" or "12 min". */
function duration(seconds: number): string {
  return seconds < 120 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(0)} min`;
}

/** The run id of a grid point. */
export function pointRunId(spec: ExperimentSpec, p: GridPoint): string {
  return `${spec.id}-p${String(p.index).padStart(2, "0")}`;
}

function openOrNull(root: string, id: string): RunStore | null {
  try {
    return RunStore.open(root, id);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

function readReport(store: RunStore): Report | null {
  const bytes = store.readFile("report.json");
  return bytes ? parseReport(JSON.parse(new TextDecoder().decode(bytes))) : null;
}

/** The experiment folder's record of its spec; a rerun must match it. */
function checkSpec(dir: string, spec: ExperimentSpec): void {
  const path = join(dir, "spec.json");
  const mine = canonical({ preset: spec.preset, set: spec.set, axes: spec.axes });
  let saved: string | null = null;
  try {
    saved = canonical(JSON.parse(Deno.readTextFileSync(path)));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (saved !== null && saved !== mine) {
    throw new ConfigError(
      `Cannot continue experiment ${spec.id}: ${path} records another preset, set or grid; give the file another "id", or remove ${dir} to start over`,
    );
  }
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(
    path,
    JSON.stringify({ preset: spec.preset, set: spec.set, axes: spec.axes }, null, 2) + "\n",
  );
}

/**
 * Seeds every cache group of `target` from the earlier point with an equal key that has more
 * finished checkpoints of it; returns group → source run id for the groups seeded.
 */
function seedFromEarlier(
  opts: ExperimentOptions,
  target: RunStore,
  keys: Record<string, string>,
  earlier: { runId: string; keys: Record<string, string> }[],
): Record<string, string> {
  const reused: Record<string, string> = {};
  for (const group of CACHE_GROUPS) {
    const have = finishedCheckpoints(target, group).length;
    for (const e of earlier) {
      if (e.keys[group.name] !== keys[group.name]) continue;
      const src = openOrNull(opts.runsRoot, e.runId);
      if (!src) continue;
      try {
        if (finishedCheckpoints(src, group).length <= have) continue;
        const names = seedGroup(src, target, group);
        reused[group.name] = e.runId;
        target.event("info", "experiment", `reused ${group.name} of run ${e.runId}: ${names}`);
        break;
      } finally {
        src.close();
      }
    }
  }
  return reused;
}

/**
 * Runs (or continues) every grid point, then writes the experiment report. Returns the report's
 * folder and how many points are finished.
 */
export async function runExperiment(
  spec: ExperimentSpec,
  opts: ExperimentOptions,
): Promise<{ dir: string; done: number; total: number }> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const dir = resolve(opts.experimentsRoot, spec.id);
  checkSpec(dir, spec);
  const points = expandGrid(spec);
  const keyed = points.map((p) => ({
    point: p,
    runId: pointRunId(spec, p),
    keys: cacheKeys(p.config),
  }));
  const outcomes: PointOutcome[] = [];
  const started = performance.now();
  let ran = 0;
  const label = (p: GridPoint) => Object.entries(p.values).map(([k, v]) => `${k}=${v}`).join(", ");
  for (const [i, k] of keyed.entries()) {
    const tag = `[experiment ${spec.id}] point ${i + 1}/${points.length} (${label(k.point)})`;
    let store = openOrNull(opts.runsRoot, k.runId);
    let report = store ? readReport(store) : null;
    if (report) {
      store!.close();
      log(`${tag}: finished earlier (run ${k.runId}), skipped`);
      outcomes.push(await outcomeOf(k, report, readReused(opts.runsRoot, k.runId)));
      continue;
    }
    const fresh = store === null;
    store ??= RunStore.create(opts.runsRoot, {
      id: k.runId,
      config: k.point.config,
      preset: k.point.config.preset,
      backend: k.point.config.backend,
    });
    // Take the trainer lock before touching the run: a point another process is training is
    // refused here (RunBusyError), before any checkpoint of it is replaced.
    try {
      store.lockTrainer();
    } catch (e) {
      store.close();
      throw e;
    }
    const reused = seedFromEarlier(opts, store, k.keys, keyed.slice(0, i));
    const prev = readReused(opts.runsRoot, k.runId, store);
    store.setMeta("experiment_reused", JSON.stringify({ ...prev, ...reused }));
    store.close();
    const shared = Object.entries(reused).map(([g, r]) => `${g} from ${r}`).join(", ");
    log(
      `${tag}: ${fresh ? "starting" : "resuming"} run ${k.runId}${
        shared ? `; reusing ${shared}` : ""
      }`,
    );
    const t0 = performance.now();
    let out: Awaited<ReturnType<typeof runPipeline>>;
    try {
      out = await runPipeline(null, {
        runsRoot: opts.runsRoot,
        resume: k.runId,
        quiet: opts.quiet,
        selectBackend: opts.selectBackend,
        modalityWorkers: opts.modalityWorkers,
      });
    } catch (e) {
      // The finished points stay in the report; the message says which point failed and how to
      // continue (the same command resumes it, or train --resume with a repair --set).
      writeExperimentReport(dir, spec, opts.file, [...outcomes, ...pending(keyed.slice(i))]);
      if (e instanceof Error) {
        e.message =
          `${tag}: run ${k.runId} failed: ${e.message}; run the experiment again to resume it`;
      }
      throw e;
    }
    ran++;
    report = out.report!;
    const secs = (performance.now() - t0) / 1000;
    const done = outcomes.filter((o) => o.status === "done").length + 1;
    const perPoint = (performance.now() - started) / 1000 / ran;
    log(
      `${tag}: done in ${secs.toFixed(0)} s; ${done} of ${points.length} points finished${
        done < points.length
          ? `, about ${duration(perPoint * (points.length - done))} left at this pace`
          : ""
      }`,
    );
    outcomes.push(await outcomeOf(k, report, { ...prev, ...reused }));
    writeExperimentReport(dir, spec, opts.file, [...outcomes, ...pending(keyed.slice(i + 1))]);
  }
  writeExperimentReport(dir, spec, opts.file, outcomes);
  return { dir, done: outcomes.filter((o) => o.status === "done").length, total: points.length };
}

function pending(rest: { point: GridPoint; runId: string }[]): PointOutcome[] {
  return rest.map((k) => ({
    index: k.point.index,
    values: k.point.values,
    run_id: k.runId,
    status: "pending",
    keys: {},
    reused: {},
    config: k.point.config,
    report: null,
  }));
}

async function outcomeOf(
  k: { point: GridPoint; runId: string; keys: Record<string, string> },
  report: Report | null,
  reused: Record<string, string>,
): Promise<PointOutcome> {
  const keys: Record<string, string> = {};
  for (const [g, key] of Object.entries(k.keys)) keys[g] = await digest(key);
  return {
    index: k.point.index,
    values: k.point.values,
    run_id: k.runId,
    status: report ? "done" : "pending",
    keys,
    reused,
    config: k.point.config,
    report,
  };
}

/** The groups a point's run was seeded with (recorded in its meta), or {}. */
function readReused(root: string, id: string, open?: RunStore): Record<string, string> {
  const store = open ?? openOrNull(root, id);
  if (!store) return {};
  try {
    const raw = store.meta().experiment_reused;
    return raw ? JSON.parse(raw) : {};
  } finally {
    if (!open) store.close();
  }
}
