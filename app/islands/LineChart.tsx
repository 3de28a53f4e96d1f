/**
 * A static line chart island (uPlot): several series over one x axis, optional ± std bands and a log
 * y axis. Used for coherence vs given modalities and for eigenvalue spectra. Props are plain JSON.
 */

import { useMemo } from "preact/hooks";
import type uPlot from "uplot";
import { island } from "../island.tsx";
import { COLORS, UPlotChart } from "./_uplot.tsx";

/** One series: values per x; `std` draws a ± band. */
export interface LineSeries {
  label: string;
  values: (number | null)[];
  std?: (number | null)[];
}

/** Props of {@link LineChart}. */
export interface LineChartProps {
  title: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  series: LineSeries[];
  logY?: boolean;
  /** Show only integer ticks on x. */
  integerX?: boolean;
  /** Vertical dashed lines at these x values, each in the colour of series `series` (cut-offs). */
  markers?: { x: number; series: number; label: string }[];
  height?: number;
  /** For tests and screenshots: an id on the figure. */
  id?: string;
}

function hexAlpha(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

function LineChartView(p: LineChartProps) {
  const { options, data } = useMemo(() => {
    const series: uPlot.Series[] = [{ label: p.xLabel }];
    const data: (number | null)[][] = [p.x];
    const bands: uPlot.Band[] = [];
    p.series.forEach((s, i) => {
      const color = COLORS[i % COLORS.length];
      series.push({ label: s.label, stroke: color, width: 2, points: { show: p.x.length <= 30 } });
      data.push(s.values);
    });
    p.series.forEach((s, i) => {
      if (!s.std) return;
      const color = COLORS[i % COLORS.length];
      const hi = s.values.map((v, k) => v === null || s.std![k] === null ? null : v + s.std![k]!);
      const lo = s.values.map((v, k) => v === null || s.std![k] === null ? null : v - s.std![k]!);
      series.push({ label: `${s.label} +std`, stroke: hexAlpha(color, 0.3), width: 1, show: true });
      data.push(hi);
      series.push({ label: `${s.label} −std`, stroke: hexAlpha(color, 0.3), width: 1 });
      data.push(lo);
      bands.push({ series: [series.length - 2, series.length - 1], fill: hexAlpha(color, 0.12) });
    });
    const markers = p.markers ?? [];
    const options: uPlot.Options = {
      hooks: markers.length
        ? {
          draw: [(u: uPlot) => {
            const c = u.ctx;
            c.save();
            c.setLineDash([5, 4]);
            c.lineWidth = 1.5 * devicePixelRatio;
            c.font = `${11 * devicePixelRatio}px sans-serif`;
            markers.forEach((m, k) => {
              const x = Math.round(u.valToPos(m.x, "x", true));
              c.strokeStyle = c.fillStyle = COLORS[m.series % COLORS.length];
              c.beginPath();
              c.moveTo(x, u.bbox.top);
              c.lineTo(x, u.bbox.top + u.bbox.height);
              c.stroke();
              c.fillText(m.label, x + 4, u.bbox.top + (12 + 13 * k) * devicePixelRatio);
            });
            c.restore();
          }],
        }
        : {},
      title: p.title,
      width: 0,
      height: p.height ?? 240,
      legend: { show: false },
      series,
      bands,
      scales: { x: { time: false }, y: p.logY ? { distr: 3 } : {} },
      axes: [
        { label: p.xLabel, ...(p.integerX ? { incrs: [1, 2, 5, 10, 20, 50, 100] } : {}) },
        p.logY
          ? {
            label: p.yLabel,
            size: 64,
            values: (_u: uPlot, vs: number[]) =>
              vs.map((v) => (v == null ? "" : v.toExponential(0))),
          }
          : { label: p.yLabel },
      ],
    };
    return { options, data: data as uPlot.AlignedData };
  }, [p]);
  return (
    <figure class="linechart" id={p.id}>
      <UPlotChart options={options} data={data} />
      <figcaption class="legend">
        {p.series.map((s, i) => (
          <span key={s.label}>
            <span class="swatch" style={{ background: COLORS[i % COLORS.length] }} />
            {s.label}
            {s.std ? " (± std over seeds)" : ""}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

/** The island. */
export const LineChart = island("LineChart", LineChartView);
