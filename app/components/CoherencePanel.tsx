/** Coherence vs number of given modalities, one line (± std band) per method in the report. */

import { LineChart } from "../islands/LineChart.tsx";
import type { Report } from "../../polyscore/report/report.ts";
import { coherenceCurves } from "./_report.ts";

/** The chart, or nothing when the report has no coherence yet. */
export function CoherencePanel({ report }: { report: Report | null }) {
  const curves = coherenceCurves(report);
  if (curves.length === 0) return <p class="empty">No coherence results yet.</p>;
  const x = [...new Set(curves.flatMap((c) => c.given))].sort((a, b) => a - b);
  const series = curves.map((c) => ({
    label: c.method,
    values: x.map((g) => c.mean[c.given.indexOf(g)] ?? null),
    ...(c.std ? { std: x.map((g) => c.std![c.given.indexOf(g)] ?? null) } : {}),
  }));
  return (
    <div class="coherence">
      <LineChart
        id="coherence-chart"
        title="Conditional coherence vs given modalities"
        xLabel="given modalities |S|"
        yLabel="coherence"
        x={x}
        series={series}
        integerX
      />
      <table class="numbers">
        <thead>
          <tr>
            <th>method</th>
            {x.map((g) => <th key={g}>|S| = {g}</th>)}
          </tr>
        </thead>
        <tbody>
          {curves.map((c) => (
            <tr key={c.method}>
              <td>{c.method}</td>
              {x.map((g) => {
                const i = c.given.indexOf(g);
                const m = i >= 0 ? c.mean[i] : null, s = i >= 0 && c.std ? c.std[i] : null;
                return (
                  <td key={g}>
                    {m === null ? "—" : m.toFixed(3)}
                    {s !== null ? ` ± ${s.toFixed(3)}` : ""}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
