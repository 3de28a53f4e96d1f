/**
 * The report's other numbers: classifier accuracy per modality and, per method, every scalar
 * (unconditional coherence, …) and per-modality array (Fréchet distances, …) it reports.
 */

import type { Report } from "../../polyscore/report/report.ts";
import { modalityNames } from "./_report.ts";

function fmt(v: unknown): string {
  return typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3)) : "—";
}

/** Tables of the report's numbers (nothing when there is no report). */
export function ReportTables({ report }: { report: Report | null }) {
  if (!report) return <p class="empty">No report yet.</p>;
  const acc = report.classifier_accuracy;
  const names = modalityNames(report, acc.length);
  const methods = Object.entries(report.methods);
  const top: [string, unknown][] = Object.entries(report).filter(([_k, v]) =>
    typeof v === "number" || typeof v === "string"
  )
    .slice(0, 20);
  return (
    <div class="report-tables">
      {acc.length > 0
        ? (
          <table class="numbers" id="classifier-accuracy">
            <caption>Classifier accuracy (test split)</caption>
            <thead>
              <tr>{names.map((n) => <th key={n}>{n}</th>)}</tr>
            </thead>
            <tbody>
              <tr>
                {acc.map((a, i) => <td key={i}>{fmt(a)}</td>)}
              </tr>
            </tbody>
          </table>
        )
        : null}
      {methods.map(([name, m]) => {
        const scalars = Object.entries(m).filter(([, v]) => typeof v === "number");
        const arrays = Object.entries(m).filter(([, v]) =>
          Array.isArray(v) && v.every((x: unknown) => typeof x === "number")
        );
        return (
          <table class="numbers method" key={name}>
            <caption>{name}</caption>
            <tbody>
              {scalars.map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{fmt(v)}</td>
                </tr>
              ))}
              {arrays.map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{(v as number[]).map(fmt).join(" · ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        );
      })}
      {top.length > 0
        ? (
          <table class="numbers">
            <caption>Run</caption>
            <tbody>
              {top.map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{typeof v === "number" ? fmt(v) : String(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
        : null}
    </div>
  );
}
