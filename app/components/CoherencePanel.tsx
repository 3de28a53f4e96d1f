/**
 * Coherence vs number of given modalities, one line per method, and the table with n and 95%
 * intervals: the evaluation's own bootstrap intervals (over tuples, and seeds when several) when
 * the report has them; for older reports, over seeds (Student t) when there are several, else the
 * binomial interval of one subset's n tuples — conservative, since each mean pools several subsets
 * and targets. No "± 0" for a single seed. Then the paired differences between methods.
 */

import { LineChart } from "../islands/LineChart.tsx";
import type { Report } from "../../polyscore/report/report.ts";
import { coherenceCurves } from "./_report.ts";

/** Two-sided 95% Student t quantiles for 1..10 degrees of freedom (then the normal's 1.96). */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

/** Half-width of the 95% interval of a mean coherence `m` (see the module doc). */
export function ci95(m: number, sd: number | null, seeds: number, n: number | null): number | null {
  if (seeds > 1 && sd !== null) return (T95[seeds - 2] ?? 1.96) * sd / Math.sqrt(seeds);
  if (n !== null && n > 0) return 1.96 * Math.sqrt(Math.max(m * (1 - m), 0) / n);
  return null;
}

/** The chart and table, or a note when the report has no coherence yet. */
export function CoherencePanel(
  { report, tuples }: { report: Report | null; tuples: number | null },
) {
  const curves = coherenceCurves(report);
  if (curves.length === 0) return <p class="empty">No coherence results yet.</p>;
  const x = [...new Set(curves.flatMap((c) => c.given))].sort((a, b) => a - b);
  const seeds = report?.seeds ?? 1;
  const byGiven = report?.protocol?.tuples_by_given;
  const bootstrap = curves.some((c) => report?.methods[c.method]?.coherence_ci_by_given);
  const series = curves.map((c) => ({
    label: c.method,
    values: x.map((g) => c.mean[c.given.indexOf(g)] ?? null),
    ...(c.std && (report?.seeds ?? 1) > 1
      ? { std: x.map((g) => c.std![c.given.indexOf(g)] ?? null) }
      : {}),
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
      <table class="numbers" id="coherence-table">
        <caption>
          Conditional coherence (mean, 95% interval in brackets): {byGiven
            ? `test tuples per subset by given count ${
              Object.entries(byGiven).map(([k, n]) => `${k}: ${n}`).join(", ")
            }, `
            : tuples !== null
            ? `n = ${tuples} test tuples per subset, `
            : ""}
          {bootstrap
            ? `${seeds} seed(s); bootstrap over tuples${seeds > 1 ? " and seeds" : ""}`
            : seeds > 1
            ? `${seeds} seeds (interval over seeds, Student t)`
            : "one seed (binomial interval over one subset's n tuples; conservative)"}
        </caption>
        <thead>
          <tr>
            <th>method</th>
            {x.map((g) => <th key={g}>given {g}</th>)}
            <th>unconditional</th>
          </tr>
        </thead>
        <tbody>
          {curves.map((c) => {
            const unc = report?.methods[c.method]?.unconditional_coherence ?? null;
            return (
              <tr key={c.method}>
                <td>{c.method}</td>
                {x.map((g) => {
                  const i = c.given.indexOf(g);
                  const m = i >= 0 ? c.mean[i] : null, sd = i >= 0 && c.std ? c.std[i] : null;
                  const own = report?.methods[c.method]?.coherence_ci_by_given?.[String(g)];
                  const h = m === null || own ? null : ci95(m, sd, seeds, tuples);
                  return (
                    <td key={g}>
                      {m === null ? "—" : m.toFixed(3)}
                      {own
                        ? (
                          <span class="ci">
                            {` [${own[0].toFixed(3)}, ${own[1].toFixed(3)}]`}
                          </span>
                        )
                        : m !== null && h !== null
                        ? (
                          <span class="ci">
                            {` [${Math.max(0, m - h).toFixed(3)}, ${
                              Math.min(1, m + h).toFixed(3)
                            }]`}
                          </span>
                        )
                        : null}
                    </td>
                  );
                })}
                <td>{unc === null ? "—" : unc.toFixed(3)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <PairedTable report={report} />
    </div>
  );
}

/** Paired differences a − b on the same tuples and noise, with their 95% intervals. */
function PairedTable({ report }: { report: Report | null }) {
  const rows = report?.paired ?? [];
  if (rows.length === 0) return null;
  return (
    <table class="numbers" id="paired-table">
      <caption>
        Paired differences (same tuples and noise; 95% bootstrap interval; * = excludes 0)
      </caption>
      <thead>
        <tr>
          <th>a − b</th>
          <th>given</th>
          <th>difference</th>
          <th>95% interval</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((p) => (
          <tr key={`${p.a}-${p.b}-${p.given}`} class={p.significant ? "significant" : ""}>
            <td>{p.a} − {p.b}</td>
            <td>{p.given}</td>
            <td>{p.diff >= 0 ? "+" : ""}{p.diff.toFixed(3)}{p.significant ? " *" : ""}</td>
            <td>[{p.lo.toFixed(3)}, {p.hi.toFixed(3)}]</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
