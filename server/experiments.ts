/**
 * Experiment lookups for route files: the experiments folder's `<id>/experiment.json` files (written
 * by `polyscore experiment`), listed and read; a bad id → 400, a missing experiment → 404.
 */

import { join } from "node:path";
import type { ExperimentReport } from "../polyscore/experiment/point.ts";
import { validateSegment } from "../polyscore/runs/files.ts";
import { HttpError } from "./http.ts";
import type { ServerState } from "./state.ts";

/** One row of the experiments list. */
export interface ExperimentSummary {
  id: string;
  about: string;
  preset: string;
  done: number;
  total: number;
  axes: string;
}

function readReport(dir: string): ExperimentReport | null {
  try {
    return JSON.parse(Deno.readTextFileSync(join(dir, "experiment.json"))) as ExperimentReport;
  } catch {
    return null;
  }
}

/** Every experiment with a readable report, by id. */
export function listExperiments(root: string): ExperimentSummary[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(root)];
  } catch {
    return [];
  }
  const out: ExperimentSummary[] = [];
  for (const e of entries) {
    if (!e.isDirectory) continue;
    const r = readReport(join(root, e.name));
    if (!r || !Array.isArray(r.points)) continue;
    out.push({
      id: e.name,
      about: r.about ?? "",
      preset: r.preset ?? "",
      done: r.points.filter((p) => p.status === "done").length,
      total: r.points.length,
      axes: (r.axes ?? []).map((a) => `${a.key} ∈ {${a.values.join(", ")}}`).join(" × "),
    });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** The folder of an existing experiment (id validated; 404 when it has no report). */
export function experimentDir(state: ServerState, rawId: string | undefined): string {
  let id: string;
  try {
    id = validateSegment(rawId ?? "", "experiment id");
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
  const dir = join(state.experimentsRoot, id);
  try {
    Deno.statSync(join(dir, "experiment.json"));
  } catch {
    throw new HttpError(404, `Cannot find experiment ${id}`);
  }
  return dir;
}

/** The experiment page's data: its report and its Markdown. */
export function experimentView(
  state: ServerState,
  rawId: string | undefined,
): { id: string; report: ExperimentReport; markdown: string } {
  const dir = experimentDir(state, rawId);
  const report = readReport(dir);
  if (!report) {
    throw new HttpError(404, `Cannot read experiment ${rawId}: experiment.json is not JSON`);
  }
  let markdown = "";
  try {
    markdown = Deno.readTextFileSync(join(dir, "experiment.md"));
  } catch { /* written with the JSON; a missing one leaves the plots */ }
  return { id: rawId!, report, markdown };
}
