/**
 * GET /api/playground/:id — the sampler's modalities, test-set size and methods for a run, and the
 * memory its session holds (`memoryBytes`, measured at load) beside the server's session bound.
 */

import { define } from "../../../server/define.ts";
import { json } from "../../../server/http.ts";
import { runDir } from "../../../server/runs.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const dir = runDir(ctx.state, ctx.params.id);
    const host = ctx.state.playground;
    const info = await host.peek(dir, (s) => ({
      modalities: s.modalities,
      testCount: s.testCount,
      methods: s.methods,
      memoryBytes: s.memoryBytes ?? 0,
      maxSessions: host.maxSessions,
    }));
    return json(info);
  },
});
