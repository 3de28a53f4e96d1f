/**
 * GET /api/runs/:id/metrics?stage=&after=&limit= — metric rows after a rowid, oldest first:
 * `{ rows: [rowid, stage, step, name, value][], cursor }` (value null when not finite).
 */

import { RunStore } from "../../../../polyscore/runs/store.ts";
import { define } from "../../../../server/define.ts";
import { HttpError, intParam, json } from "../../../../server/http.ts";
import { runDir } from "../../../../server/runs.ts";

export const handler = define.handlers({
  GET(ctx) {
    runDir(ctx.state, ctx.params.id);
    const q = ctx.url.searchParams;
    const stage = q.get("stage") ?? undefined;
    if (stage !== undefined && !/^[A-Za-z0-9._/-]{1,64}$/.test(stage)) {
      throw new HttpError(
        400,
        `Cannot read stage: it must match [A-Za-z0-9._/-]{1,64}: current value is ${
          JSON.stringify(stage.slice(0, 80))
        }`,
      );
    }
    const after = intParam("after", q.get("after"), 0, Number.MAX_SAFE_INTEGER, 0);
    const limit = intParam("limit", q.get("limit"), 1, 10_000, 5_000);
    const store = RunStore.open(ctx.state.runsRoot, ctx.params.id, { readOnly: true });
    try {
      const rows = store.metrics({ stage, afterRowId: after, limit });
      return json({
        rows: rows.map((
          r,
        ) => [r.rowid, r.stage, r.step, r.name, Number.isFinite(r.value) ? r.value : null]),
        cursor: rows.at(-1)?.rowid ?? after,
      });
    } finally {
      store.close();
    }
  },
});
