/**
 * A uPlot chart as a Preact hook-driven component, browser only: the server renders an empty sized
 * box; the chart is created after hydration and updated in place when the data changes.
 */

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

/** Props of {@link UPlotChart}. */
export interface UPlotChartProps {
  options: Omit<uPlot.Options, "width" | "height"> & { width?: number; height?: number };
  data: uPlot.AlignedData;
  class?: string;
}

/** Renders `data` with `options`; recreates the chart when `options` identity changes. */
export function UPlotChart({ options, data, class: cls }: UPlotChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  useEffect(() => {
    if (!box.current) return;
    const width = options.width || Math.min(760, Math.max(240, box.current.clientWidth || 360));
    chart.current = new uPlot(
      { ...options, width, height: options.height ?? 200 } as uPlot.Options,
      data,
      box.current,
    );
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, [options]);
  useEffect(() => {
    chart.current?.setData(data);
  }, [data]);
  return (
    <div
      class={`chart ${cls ?? ""}`}
      ref={box}
      style={{ minHeight: `${(options.height ?? 200) + 40}px` }}
    />
  );
}

/** A readable palette for series. */
export const COLORS = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#7f7f7f",
  "#bcbd22",
];
