/** The run page: live curves, sample grids, coherence, accuracies, reduction, config. */

import type { RunView } from "../../polyscore/runs/view.ts";
import { CoherencePanel } from "../../app/components/CoherencePanel.tsx";
import { ConfigView } from "../../app/components/ConfigView.tsx";
import { ReductionPanel } from "../../app/components/ReductionPanel.tsx";
import { ReportTables } from "../../app/components/ReportTables.tsx";
import { SampleGrid } from "../../app/components/SampleGrid.tsx";
import { LiveRun } from "../../app/islands/LiveRun.tsx";
import { define } from "../../server/define.ts";
import { runView } from "../../server/runs.ts";

export const handler = define.handlers<RunView>({
  GET(ctx) {
    const view = runView(ctx.state, ctx.params.id);
    return { data: view, title: `polyscore · ${view.summary.id}` };
  },
});

export default define.page<RunView>(({ data }) => {
  const s = data.summary;
  return (
    <>
      <h1>
        Run <code>{s.id}</code>
      </h1>
      <p class="muted">
        preset <b>{s.preset}</b> · backend <b>{s.backend}</b> · started{" "}
        {s.startedAt.replace("T", " ").slice(0, 19)} UTC
        {s.status === "done"
          ? (
            <>
              · <a href={`/playground?run=${encodeURIComponent(s.id)}`}>open in playground</a>
            </>
          )
          : null}
      </p>
      <LiveRun
        runId={s.id}
        status={s.status}
        stage={s.stage}
        progress={s.progress}
        message={s.message}
        series={data.series}
        cursor={data.cursor}
        events={data.events}
      />
      <h2>Samples</h2>
      <SampleGrid runId={s.id} files={data.samples} />
      <h2>Coherence</h2>
      <CoherencePanel report={data.report} />
      <ReductionPanel report={data.report} />
      <h2>Numbers</h2>
      {data.reports.length
        ? (
          <ul class="reports">
            {data.reports.map((r) => (
              <li key={r.json}>
                {r.markdown
                  ? (
                    <>
                      <a href={`/api/runs/${encodeURIComponent(s.id)}/files/${r.markdown}`}>
                        {r.markdown}
                      </a>{" "}
                      ·{" "}
                    </>
                  )
                  : null}
                <a href={`/api/runs/${encodeURIComponent(s.id)}/files/${r.json}`}>{r.json}</a>
                {r.json === "report.json" ? " (the run)" : " (re-evaluation: polyscore eval)"}
              </li>
            ))}
          </ul>
        )
        : null}
      <ReportTables report={data.report} />
      <ConfigView config={data.config} />
    </>
  );
});
