/**
 * Read-side helpers for the dashboard: a whole run as one plain object (summary, config, report,
 * metric series downsampled per (stage, name), recent events, sample files), and new rows since a
 * cursor for live updates. Opens runs read-only; never writes.
 */

import type { Report } from "../report/report.ts";
import { join } from "node:path";
import {
  type EventRow,
  type MetricRow,
  readReport,
  RunStore,
  type RunSummary,
  summarizeRun,
} from "./store.ts";

/** One metric series: parallel arrays, steps ascending. Non-finite values are null. */
export interface Series {
  steps: number[];
  values: (number | null)[];
}

/** Everything the run page shows. */
export interface RunView {
  summary: RunSummary;
  meta: Record<string, string>;
  config: unknown;
  report: Report | null;
  /** stage → metric name → series (downsampled to at most maxPoints). */
  series: Record<string, Record<string, Series>>;
  /** The last metric rowid and event id included (live updates continue after them). */
  cursor: { metric: number; event: number };
  /** The most recent events, oldest first. */
  events: EventRow[];
  /** PNG files under samples/ (relative paths, sorted). */
  samples: string[];
  /**
   * Every report of the run: report.json first, then the re-evaluations (report.eval1.json, …,
   * numerically), each with its Markdown file when present.
   */
  reports: { json: string; markdown: string | null }[];
}

/** The reports of a run folder, in order (see {@link RunView.reports}). */
export function listReports(dir: string): RunView["reports"] {
  const names = new Set<string>();
  try {
    for (const e of Deno.readDirSync(dir)) if (e.isFile) names.add(e.name);
  } catch {
    return [];
  }
  const num = (f: string) => Number(f.match(/^report(?:\.eval(\d+))?\.json$/)?.[1] ?? 0);
  return [...names]
    .filter((f) => /^report(\.eval\d+)?\.json$/.test(f))
    .sort((a, b) => num(a) - num(b))
    .map((json) => {
      const md = json.replace(/\.json$/, ".md");
      return { json, markdown: names.has(md) ? md : null };
    });
}

/**
 * Reduces a series to at most `maxPoints` by averaging equal-width buckets of consecutive points
 * (each bucket keeps its last step). Shorter series are returned unchanged.
 */
export function downsample(series: Series, maxPoints: number): Series {
  const n = series.steps.length;
  if (n <= maxPoints || maxPoints < 2) return series;
  const steps: number[] = [];
  const values: (number | null)[] = [];
  for (let b = 0; b < maxPoints; b++) {
    const lo = Math.floor((b * n) / maxPoints), hi = Math.floor(((b + 1) * n) / maxPoints);
    let sum = 0, cnt = 0;
    for (let i = lo; i < hi; i++) {
      const v = series.values[i];
      if (v !== null) {
        sum += v;
        cnt++;
      }
    }
    steps.push(series.steps[hi - 1]);
    values.push(cnt > 0 ? sum / cnt : null);
  }
  return { steps, values };
}

/** Groups metric rows into series (a later row for the same step replaces an earlier one). */
export function toSeries(rows: MetricRow[]): Record<string, Record<string, Series>> {
  const byKey = new Map<string, Map<string, Map<number, number | null>>>();
  for (const r of rows) {
    let st = byKey.get(r.stage);
    if (!st) byKey.set(r.stage, st = new Map());
    let nm = st.get(r.name);
    if (!nm) st.set(r.name, nm = new Map());
    nm.set(r.step, Number.isFinite(r.value) ? r.value : null);
  }
  const out: Record<string, Record<string, Series>> = {};
  for (const [stage, names] of byKey) {
    out[stage] = {};
    for (const [name, points] of names) {
      const steps = [...points.keys()].sort((a, b) => a - b);
      out[stage][name] = { steps, values: steps.map((s) => points.get(s)!) };
    }
  }
  return out;
}

function listPngs(dir: string, prefix: string, depth: number, out: string[]): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(join(dir, prefix))];
  } catch {
    return;
  }
  for (const e of entries) {
    const rel = `${prefix}/${e.name}`;
    if (e.isDirectory && depth > 0 && /^[A-Za-z0-9._-]+$/.test(e.name)) {
      listPngs(dir, rel, depth - 1, out);
    } else if (e.isFile && /^[A-Za-z0-9._-]+\.png$/.test(e.name)) out.push(rel);
  }
}

/**
 * Reads a run for the run page. Throws RangeError (from RunStore.open) when the id is invalid or
 * the run does not exist.
 */
export function readRunView(
  root: string,
  id: string,
  opts: { maxPoints?: number; maxEvents?: number } = {},
): RunView {
  const store = RunStore.open(root, id, { readOnly: true });
  try {
    const meta = store.meta();
    const rows = store.metrics();
    const series = toSeries(rows);
    const maxPoints = opts.maxPoints ?? 600;
    for (const names of Object.values(series)) {
      for (const k of Object.keys(names)) names[k] = downsample(names[k], maxPoints);
    }
    const allEvents = store.events();
    const events = allEvents.slice(-(opts.maxEvents ?? 100));
    let config: unknown = null;
    try {
      config = store.config();
    } catch {
      config = null;
    }
    const samples: string[] = [];
    listPngs(store.dir, "samples", 2, samples);
    samples.sort();
    return {
      summary: summarizeRun(root, id),
      meta,
      config,
      report: readReport(store.dir),
      series,
      cursor: {
        metric: rows.reduce((m, r) => Math.max(m, r.rowid), 0),
        event: allEvents.at(-1)?.id ?? 0,
      },
      events,
      samples,
      reports: listReports(store.dir),
    };
  } finally {
    store.close();
  }
}
