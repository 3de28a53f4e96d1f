/** The runs list: one row per run with status, preset, stage, progress, backend, start, key metrics. */

import type { RunSummary } from "../../polyscore/runs/store.ts";

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** The table (server-rendered; no client state). */
export function RunsTable({ runs }: { runs: RunSummary[] }) {
  if (runs.length === 0) {
    return (
      <p class="empty">
        No runs yet. Start one with <code>deno task train</code>.
      </p>
    );
  }
  return (
    <table class="runs" id="runs-table">
      <thead>
        <tr>
          <th>run</th>
          <th>status</th>
          <th>preset</th>
          <th>stage</th>
          <th>progress</th>
          <th>backend</th>
          <th>started (UTC)</th>
          <th>key metrics</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id} data-run={r.id}>
            <td>
              <a href={`/runs/${encodeURIComponent(r.id)}`}>{r.id}</a>
            </td>
            <td>
              <span class={`badge status-${r.status}`} title={r.message}>{r.status}</span>
            </td>
            <td>{r.preset}</td>
            <td>{r.stage}</td>
            <td>
              <progress max={1} value={r.progress} /> {Math.round(r.progress * 100)}%
            </td>
            <td>{r.backend}</td>
            <td class="nowrap">{r.startedAt.replace("T", " ").slice(0, 19)}</td>
            <td class="key-metrics">
              {Object.entries(r.keyMetrics).map(([k, v]) => (
                <span class="kv" key={k}>
                  {k}: <b>{fmt(v)}</b>
                </span>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
