/** GET /api/runs/:id — one run's summary, meta, config, report and the list of its reports as JSON. */

import { define } from "../../../server/define.ts";
import { json } from "../../../server/http.ts";
import { runView } from "../../../server/runs.ts";

export const handler = define.handlers({
  GET(ctx) {
    const v = runView(ctx.state, ctx.params.id);
    return json({
      summary: v.summary,
      meta: v.meta,
      config: v.config,
      report: v.report,
      samples: v.samples,
      reports: v.reports,
    });
  },
});
