/** Run lookups for route files: validated id → 400, missing run → 404, never an engine error. */

import { join } from "node:path";
import { readRunView, type RunView } from "../polyscore/runs/view.ts";
import { HttpError, runIdParam } from "./http.ts";
import type { ServerState } from "./state.ts";

/** The folder of an existing run (id validated; 404 when there is no such run). */
export function runDir(state: ServerState, rawId: string | undefined): string {
  const id = runIdParam(rawId);
  const dir = join(state.runsRoot, id);
  try {
    Deno.statSync(join(dir, "run.sqlite"));
  } catch {
    throw new HttpError(404, `Cannot find run ${id}`);
  }
  return dir;
}

/** The run page's data. */
export function runView(state: ServerState, rawId: string | undefined): RunView {
  runDir(state, rawId);
  try {
    return readRunView(state.runsRoot, rawId!, { maxPoints: state.limits.maxPoints });
  } catch (e) {
    if (e instanceof RangeError) throw new HttpError(404, e.message);
    throw e;
  }
}
