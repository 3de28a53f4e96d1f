/**
 * The run page. A finished run leads with its results — coherence with n and intervals, the sample
 * grids with legends, the reduction with its rank cut-offs, the numbers report.md has — and shows
 * the training curves and events below; a run in progress shows its live curves first.
 */

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
        <span class={`badge status-${s.status}`}>{s.status}</span> · preset <b>{s.preset}</b>{" "}
        · backend <b>{s.backend}</b> · started {s.startedAt.replace("T", " ").slice(0, 19)} UTC
        {s.status === "done"
          ? (
            <>
              · <a href={`/playground?run=${encodeURIComponent(s.id)}`}>open in playground</a>
            </>
          )
          : null}
      </p>
      {data.report ? <Results data={data} /> : null}
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
      {data.report ? null : (
        <>
          <h2>Samples</h2>
          <SampleGrid runId={s.id} files={data.samples} modalities={[]} />
        </>
      )}
      <ConfigView config={data.config} />
    </>
  );
});

/** The results of a run with a report, in the order a reader asks for them. */
function Results({ data }: { data: RunView }) {
  const report = data.report!;
  const id = data.summary.id;
  const tuples = configNumber(data.config, ["eval", "conditional"]);
  return (
    <section class="results" id="results">
      <h2>Coherence</h2>
      <CoherencePanel report={report} tuples={tuples} />
      <h2>Samples</h2>
      <SampleGrid runId={id} files={data.samples} modalities={report.modalities} />
      <ReductionPanel report={report} />
      <h2>Numbers</h2>
      <ul class="reports">
        {data.reports.map((r) => (
          <li key={r.json}>
            {r.markdown
              ? (
                <>
                  <a href={`/api/runs/${encodeURIComponent(id)}/files/${r.markdown}`}>
                    {r.markdown}
                  </a>{" "}
                  ·{" "}
                </>
              )
              : null}
            <a href={`/api/runs/${encodeURIComponent(id)}/files/${r.json}`}>{r.json}</a>
            {r.json === "report.json" ? " (the run)" : " (re-evaluation: polyscore eval)"}
          </li>
        ))}
      </ul>
      <ReportTables report={report} />
    </section>
  );
}

/** A number at `path` of the run's config (unknown shape: older runs), or null. */
function configNumber(config: unknown, path: string[]): number | null {
  let v: unknown = config;
  for (const k of path) {
    v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  }
  return typeof v === "number" ? v : null;
}
