/** The sampling playground page: pick a finished run; the island does the rest. */

import { listRuns } from "../polyscore/runs/store.ts";
import { Playground, type PlaygroundProps } from "../app/islands/Playground.tsx";
import { define } from "../server/define.ts";
import { HttpError, runIdParam } from "../server/http.ts";
import { runDir } from "../server/runs.ts";

export const handler = define.handlers<PlaygroundProps>({
  async GET(ctx) {
    const runs = listRuns(ctx.state.runsRoot).filter((r) => r.status === "done")
      .map((r) => ({ id: r.id, label: `${r.id} (${r.preset})` }));
    const raw = ctx.url.searchParams.get("run");
    const limits = { maxCount: ctx.state.limits.maxCount, maxSteps: ctx.state.limits.maxSteps };
    if (!raw) {
      return {
        data: { runs, runId: null, info: null, error: null, limits },
        title: "polyscore · playground",
      };
    }
    const id = runIdParam(raw);
    const dir = runDir(ctx.state, id);
    let info: PlaygroundProps["info"] = null;
    let error: string | null = null;
    try {
      info = await ctx.state.playground.peek(dir, (s) => ({
        modalities: s.modalities.map((m) => ({ name: m.name, kind: m.kind, shape: [...m.shape] })),
        testCount: s.testCount,
        methods: [...s.methods],
        memoryBytes: s.memoryBytes ?? 0,
        maxSessions: ctx.state.playground.maxSessions,
      }));
    } catch (e) {
      error = e instanceof HttpError
        ? e.message
        : `Cannot open the sampler for run ${id}: ${(e as Error).message}`;
    }
    return {
      data: { runs, runId: id, info, error, limits },
      title: `polyscore · playground · ${id}`,
    };
  },
});

export default define.page<PlaygroundProps>(({ data }) => (
  <>
    <h1>Sampling playground</h1>
    <Playground {...data} />
  </>
));
