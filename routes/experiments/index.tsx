/** The experiments list: one row per `polyscore experiment` report. */

import { define } from "../../server/define.ts";
import { type ExperimentSummary, listExperiments } from "../../server/experiments.ts";

export const handler = define.handlers<ExperimentSummary[]>({
  GET(ctx) {
    return { data: listExperiments(ctx.state.experimentsRoot), title: "polyscore · experiments" };
  },
});

export default define.page<ExperimentSummary[]>(({ data }) => (
  <>
    <h1>Experiments</h1>
    {data.length === 0
      ? (
        <p class="empty">
          No experiments yet. Run one with <code>deno task experiment experiments/tiny.json</code>.
        </p>
      )
      : (
        <table class="runs" id="experiments-table">
          <thead>
            <tr>
              <th>experiment</th>
              <th>points</th>
              <th>preset</th>
              <th>grid</th>
              <th>about</th>
            </tr>
          </thead>
          <tbody>
            {data.map((e) => (
              <tr key={e.id} data-experiment={e.id}>
                <td>
                  <a href={`/experiments/${encodeURIComponent(e.id)}`}>{e.id}</a>
                </td>
                <td>{e.done} of {e.total}</td>
                <td>{e.preset}</td>
                <td>{e.axes}</td>
                <td class="muted">{e.about.slice(0, 160)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
  </>
));
