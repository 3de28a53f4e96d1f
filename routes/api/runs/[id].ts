/** GET /api/runs/:id — one run's summary, meta, config and report as JSON. */

import { define } from "../../_define.ts";
import { json } from "../../_http.ts";
import { runView } from "../../_runs.ts";

export const handler = define.handlers({
  GET(ctx) {
    const v = runView(ctx.state, ctx.params.id);
    return json({
      summary: v.summary,
      meta: v.meta,
      config: v.config,
      report: v.report,
      samples: v.samples,
    });
  },
});
