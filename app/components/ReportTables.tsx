/**
 * The numbers report.md has, as tables: per modality the classifiers' accuracy, the reconstruction
 * ceiling and error, and each method's Fréchet distance (in our classifiers' feature space — not
 * Inception FID), unconditional per modality and conditional by number of given modalities; the
 * score factor γ where it was chosen from the data; the ε sweep of the reduction; the time split and the run's totals. Read through
 * the typed {@link Report}.
 */

import type { Report } from "../../polyscore/report/report.ts";
import { modalityNames } from "./_report.ts";

const f = (v: number | null | undefined, digits = 3) =>
  typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "–";

/** The tables (a note when there is no report yet). */
export function ReportTables({ report }: { report: Report | null }) {
  if (!report) return <p class="empty">No report yet.</p>;
  const names = modalityNames(report, report.classifier_accuracy.length);
  const methods = Object.entries(report.methods);
  const sweep = report.reduction?.sweep ?? [];
  const total = Object.values(report.time_split).reduce((a, b) => a + b, 0);
  const fdGiven = methods.filter(([, m]) => m.fd_by_given);
  const givens = Object.keys(fdGiven[0]?.[1].fd_by_given ?? {});
  const choices = methods.flatMap(([name, m]) =>
    (m.score_scale_choice_by_seed ?? []).flatMap((c, k) => c ? [{ name, seed: k + 1, c }] : [])
  );
  const pm = (v: number | null | undefined, sd: number | null | undefined) =>
    report.seeds > 1 ? `${f(v, 1)} ± ${f(sd, 1)}` : f(v, 1);
  return (
    <div class="report-tables">
      <table class="numbers" id="per-modality">
        <caption>
          Per modality. Fréchet distance (FD) in our classifiers' feature space, against real test
          images — <b>not Inception FID</b> (no Inception weights can be had here); lower is better.
        </caption>
        <thead>
          <tr>
            <th></th>
            {names.map((n) => <th key={n}>{n}</th>)}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th>classifier accuracy (test)</th>
            {names.map((n, m) => <td key={n}>{f(report.classifier_accuracy[m])}</td>)}
          </tr>
          <tr>
            <th>reconstruction ceiling</th>
            {names.map((n, m) => <td key={n}>{f(report.reconstruction_ceiling[m])}</td>)}
          </tr>
          {report.linear_probe && (
            <tr>
              <th>linear probe (label ← z_m)</th>
              {names.map((n, m) => <td key={n}>{f(report.linear_probe?.[m])}</td>)}
            </tr>
          )}
          <tr>
            <th>reconstruction MSE</th>
            {names.map((n, m) => <td key={n}>{f(report.reconstruction_mse[m], 5)}</td>)}
          </tr>
          {methods.map(([name, m]) => (
            <tr key={name}>
              <th>FD, {name}</th>
              {names.map((n, k) => <td key={n}>{f(m.fd_by_modality[k], 1)}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      {fdGiven.length > 0 && (
        <table class="numbers" id="fd-by-given">
          <caption>
            FD of conditional samples by number of given modalities (mean over targets, against real
            test images{report.seeds > 1 ? `; ± std over ${report.seeds} seeds` : ""})
          </caption>
          <thead>
            <tr>
              <th>method</th>
              {givens.map((k) => <th key={k}>given {k}</th>)}
              <th>unconditional</th>
            </tr>
          </thead>
          <tbody>
            {fdGiven.map(([name, m]) => (
              <tr key={name}>
                <th>{name}</th>
                {givens.map((k) => (
                  <td key={k}>{pm(m.fd_by_given?.[k], m.fd_by_given_std?.[k])}</td>
                ))}
                <td>{pm(m.fd_unconditional, m.fd_unconditional_std)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {choices.length > 0 && (
        <table class="numbers" id="score-scale">
          <caption>
            Score factor γ chosen from the data: the largest γ tried whose unconditional samples
            agree across all modalities no more often than the reconstructions of train tuples
          </caption>
          <thead>
            <tr>
              <th>method</th>
              <th>seed</th>
              <th>γ chosen</th>
              <th>all agree at each γ tried</th>
              <th>train reconstructions</th>
            </tr>
          </thead>
          <tbody>
            {choices.map(({ name, seed, c }) => (
              <tr key={`${name}-${seed}`}>
                <th>{name}</th>
                <td>{seed}</td>
                <td>{c.chosen}{c.below_grid ? " (below the grid)" : ""}</td>
                <td>
                  {[...c.tried].sort((a, b) => a.gamma - b.gamma)
                    .map((t) => `${t.gamma}: ${f(t.agree)}`).join(", ")}
                </td>
                <td>{f(c.target)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {sweep.length > 0
        ? (
          <table class="numbers" id="epsilon-sweep">
            <caption>ε sweep (ε as a fraction of ½ tr H; estimated bound of the learned H)</caption>
            <thead>
              <tr>
                <th>ε fraction</th>
                <th>total rank</th>
                <th>bound</th>
                <th>ranks</th>
              </tr>
            </thead>
            <tbody>
              {sweep.map((p) => (
                <tr key={p.fraction}>
                  <td>{p.fraction}</td>
                  <td>{p.totalRank}</td>
                  <td>{f(p.bound, 4)}</td>
                  <td>[{p.ranks.join(", ")}]</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
        : null}
      <table class="numbers" id="time-split">
        <caption>
          Time: {f(report.wall_seconds, 0)} s wall, peak memory {f(report.peak_rss_mb, 0)} MB,{" "}
          {report.seeds} seed(s), backend {report.backend}
        </caption>
        <thead>
          <tr>
            <th>stage</th>
            <th>seconds</th>
            <th>share</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(report.time_split).map(([k, v]) => (
            <tr key={k}>
              <td>{k}</td>
              <td>{f(v, 1)}</td>
              <td>{total > 0 ? `${(100 * v / total).toFixed(0)}%` : "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
