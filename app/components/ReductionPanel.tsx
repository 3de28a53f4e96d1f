/**
 * The reduction stage (score-ratio matching): per-modality eigenvalue spectra of the diagnostic
 * matrix blocks H_mm (log scale) with the chosen ranks, and the estimated bound against ε.
 * Rendered only when report.json has `reduction`.
 */

import { LineChart } from "../islands/LineChart.tsx";
import type { Report } from "../../polyscore/report/report.ts";
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
        title="Eigenvalues of H_mm (descending)"
        xLabel="index"
        yLabel="eigenvalue"
        x={x}
        series={series}
        logY
      />
      <p>
        Total rank <b>{totalRank}</b> of{" "}
        <b>{totalDim}</b>; estimated bound ½ Σ discarded λ of the learned H ={" "}
        <b>{red.bound.toPrecision(4)}</b> (ε = {red.epsilon.toPrecision(4)}).
      </p>
    </section>
  );
}
