/**
 * The reduction stage (score-ratio matching): per-modality eigenvalue spectra of the diagnostic
 * matrix blocks H_mm (log scale) with the chosen ranks, the estimated bound against ε, and, when the
 * report has them, two small tables: H in-sample, held-out and its Gaussian part; the lift ceiling
 * beside the reconstruction ceiling. Rendered only when report.json has `reduction`.
 */

import { LineChart } from "../islands/LineChart.tsx";
import type { ReductionReport, Report } from "../../polyscore/report/report.ts";
import { modalityNames } from "./_report.ts";

/** The panel, or nothing when the report has no reduction. */
export function ReductionPanel({ report }: { report: Report | null }) {
  const red = report?.reduction;
  if (!report || !red) return null;
  const names = modalityNames(report, red.spectra.length);
  const n = Math.max(0, ...red.spectra.map((s) => s.length));
  const x = Array.from({ length: n }, (_, i) => i + 1);
  const floor = 1e-12;
  const series = red.spectra.map((s, m) => ({
    label: `${names[m]} (rank ${red.ranks[m] ?? "?"}/${red.latent_dims?.[m] ?? s.length})`,
    values: x.map((i) => (i <= s.length ? Math.max(s[i - 1], floor) : null)),
  }));
  const totalRank = red.ranks.reduce((a, b) => a + b, 0);
  const totalDim = red.total_dim ?? red.spectra.reduce((a, s) => a + s.length, 0);
  return (
    <section class="reduction" id="reduction">
      <h2>Dimension reduction</h2>
      <LineChart
        id="spectra-chart"
        title="Eigenvalues of H_mm (descending); dashed: the rank cut-off (eigenvalues right of it are discarded)"
        xLabel="index"
        yLabel="eigenvalue"
        x={x}
        series={series}
        logY
        integerX
        markers={red.ranks.map((r, m) => ({
          x: r + 0.5,
          series: m,
          label: `${names[m]}: keep ${r}`,
        }))}
      />
      <p>
        Total rank <b>{totalRank}</b> of{" "}
        <b>{totalDim}</b>; estimated bound ½ Σ discarded λ of the learned H ={" "}
        <b>{red.bound.toPrecision(4)}</b> (ε = {red.epsilon.toPrecision(4)}).
      </p>
      <div class="report-tables">
        <DiagnosticsTable red={red} />
        <LiftTable red={red} names={names} ceiling={report.reconstruction_ceiling} />
      </div>
    </section>
  );
}

const f = (v: number | null | undefined, digits = 3) =>
  typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "–";

/** tr H and the bound: in-sample, held-out, Gaussian part; the distance and largest angles. */
function DiagnosticsTable({ red }: { red: ReductionReport }) {
  const ho = red.held_out, gp = red.gaussian_part;
  if (!ho && !gp) return null;
  return (
    <table id="h-diagnostics">
      <caption>Diagnostics of H (estimated bound at the chosen ranks)</caption>
      <tr>
        <th>H</th>
        <th>tr H</th>
        <th>bound</th>
      </tr>
      <tr>
        <td>learned, in-sample</td>
        <td>{f(red.trace)}</td>
        <td>{f(red.bound, 4)}</td>
      </tr>
      {ho && (
        <tr>
          <td>learned, held-out ({ho.tuples})</td>
          <td>{f(ho.trace)}</td>
          <td>{f(ho.bound, 4)}</td>
        </tr>
      )}
      {gp && (
        <tr>
          <td>Gaussian part H_G</td>
          <td>{f(gp.trace)}</td>
          <td>{f(gp.bound, 4)}</td>
        </tr>
      )}
      {gp && (
        <tr>
          <td colSpan={3}>
            ‖H − H_G‖/‖H‖ = {f(gp.relative_frobenius)}; largest basis angle per modality:{" "}
            {gp.principal_angles_deg.map((a) => a.length ? `${f(Math.max(...a), 1)}°` : "–")
              .join(", ")}
          </td>
        </tr>
      )}
    </table>
  );
}

/**
 * Accuracy on decode(lift(project(z_test))): complement N(0, I) / 0 (/ Gaussian conditional given
 * all kept y / its mean, when measured), per reduction.
 */
function LiftTable(
  { red, names, ceiling }: {
    red: ReductionReport;
    names: string[];
    ceiling: (number | null)[];
  },
) {
  const lc = red.lift_ceiling;
  if (!lc?.points.length) return null;
  return (
    <table id="lift-ceiling">
      <caption>
        Lift ceiling, {lc.tuples} test tuples (complement N(0, I) / 0
        {lc.points[0].conditional ? " / conditional / conditional mean" : ""}; SBM-SRR samples with
        {" "}
        {red.complement ?? "noise"})
      </caption>
      <tr>
        <th>reduction</th>
        <th>rank</th>
        {names.map((n) => <th key={n}>{n}</th>)}
      </tr>
      <tr>
        <td>reconstruction ceiling (all test tuples)</td>
        <td>{red.total_dim}</td>
        {names.map((n, m) => <td key={n}>{f(ceiling[m])}</td>)}
      </tr>
      {lc.points.map((p) => (
        <tr key={p.label}>
          <td>{p.label}</td>
          <td>{p.total_rank}</td>
          {names.map((n, m) => (
            <td key={n}>
              {[
                p.gaussian[m],
                p.zero[m],
                ...(p.conditional ? [p.conditional[m], p.conditional_mean?.[m] ?? null] : []),
              ].map((v) => f(v)).join(" / ")}
            </td>
          ))}
        </tr>
      ))}
    </table>
  );
}
