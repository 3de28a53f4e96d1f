/** GET /api/runs — the runs list as JSON. */

import { listRuns } from "../../engine/runs/store.ts";
import { define } from "../_define.ts";
import { json } from "../_http.ts";

export const handler = define.handlers({
  GET(ctx) {
    return json({ runs: listRuns(ctx.state.runsRoot) });
  },
});
