/** GET /api/runs — the runs list as JSON. */

import { listRuns } from "../../polyscore/runs/store.ts";
import { define } from "../../server/define.ts";
import { json } from "../../server/http.ts";

export const handler = define.handlers({
  GET(ctx) {
    return json({ runs: listRuns(ctx.state.runsRoot) });
  },
});
