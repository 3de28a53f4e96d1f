/** The runs list (home page). */

import { listRuns, type RunSummary } from "../engine/runs/store.ts";
import { RunsTable } from "../app/components/RunsTable.tsx";
import { define } from "./_define.ts";

export const handler = define.handlers<RunSummary[]>({
  GET(ctx) {
    return { data: listRuns(ctx.state.runsRoot), title: "polyscore · runs" };
  },
});

export default define.page<RunSummary[]>(({ data }) => (
  <>
    <h1>Runs</h1>
    <RunsTable runs={data} />
  </>
));
