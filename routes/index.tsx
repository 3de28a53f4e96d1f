/** The runs list (home page). */

import { listRuns, type RunSummary } from "../polyscore/runs/store.ts";
import { RunsTable } from "../app/components/RunsTable.tsx";
import { runsSignature, RunsWatch } from "../app/islands/RunsWatch.tsx";
import { define } from "../server/define.ts";

export const handler = define.handlers<RunSummary[]>({
  GET(ctx) {
    const runs = listRuns(ctx.state.runsRoot);
    // While something trains, refresh the list every 5 s without JavaScript; with it, RunsWatch
    // reloads the list when a run appears or changes status.
    const refresh = runs.some((r) => r.status === "running") ? 5 : undefined;
    return { data: runs, title: "polyscore · runs", refresh };
  },
});

export default define.page<RunSummary[]>(({ data }) => (
  <>
    <h1>Runs</h1>
    <RunsTable runs={data} />
    <RunsWatch signature={runsSignature(data)} everyMs={3000} />
  </>
));
