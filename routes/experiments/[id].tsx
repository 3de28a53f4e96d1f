/**
 * One experiment: its plots and its Markdown report (the tables of every grid point), with links
 * to each point's run page. Kept simple: the report is shown as written.
 */

import type { ExperimentReport } from "../../polyscore/experiment/point.ts";
import { define } from "../../server/define.ts";
import { experimentView } from "../../server/experiments.ts";

type Data = { id: string; report: ExperimentReport; markdown: string };

export const handler = define.handlers<Data>({
  GET(ctx) {
    const view = experimentView(ctx.state, ctx.params.id);
    return { data: view, title: `polyscore · experiment ${view.id}` };
  },
});

export default define.page<Data>(({ data }) => {
  const { id, report } = data;
  const file = (f: string) => `/api/experiments/${encodeURIComponent(id)}/files/${f}`;
  return (
    <>
      <h1>
        Experiment <code>{id}</code>
      </h1>
      <p class="muted">
        {report.points.filter((p) => p.status === "done").length} of {report.points.length}{" "}
        grid points finished · preset <b>{report.preset}</b> · <code>{report.reproduce}</code> ·
        {" "}
        <a href={file("experiment.json")}>experiment.json</a> ·{" "}
        <a href={file("experiment.md")}>experiment.md</a>
      </p>
      <ul class="reports">
        {report.points.map((p) => (
          <li key={p.run_id}>
            point {p.index}: {Object.entries(p.values).map(([k, v]) => `${k}=${v}`).join(", ")} ·
            {" "}
            {p.status === "pending"
              ? "pending"
              : <a href={`/runs/${encodeURIComponent(p.run_id)}`}>{p.run_id}</a>}
          </li>
        ))}
      </ul>
      {report.plots.map((f) => (
        <figure key={f}>
          <img src={file(f)} alt={f} />
          <figcaption class="muted">{f}</figcaption>
        </figure>
      ))}
      <pre class="experiment-md">{data.markdown}</pre>
    </>
  );
});
