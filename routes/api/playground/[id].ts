/** GET /api/playground/:id — the sampler's modalities, test-set size and methods for a run. */

import { define } from "../../../server/define.ts";
import { json } from "../../../server/http.ts";
import { runDir } from "../../../server/runs.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const dir = runDir(ctx.state, ctx.params.id);
    const info = await ctx.state.playground.peek(dir, (s) => ({
      modalities: s.modalities,
      testCount: s.testCount,
      methods: s.methods,
    }));
    return json(info);
  },
});
