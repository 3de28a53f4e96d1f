/**
 * Coherence against the number of given modalities, one line per (report, method), with each
 * report's 95% CI bars and, optionally, its reconstruction ceiling on the same tuples: a picture of
 * several finished runs side by side (`polyscore plot`). Reads the report JSON the pipeline and
 * `polyscore eval` write; draws with the report's own PNG plotter.
 */
import { type Panel, plotPanels, type Series } from "./plot.ts";

/** The fields of a report.json (or report.evalN.json) this plot reads. */
export interface ComparedReport {
  run_id?: string;
  seeds?: number;
  methods: Record<string, {
    coherence_by_given: Record<string, number>;
    coherence_ci_by_given?: Record<string, [number, number]>;
  }>;
  ceiling_by_given?: Record<string, number>;
}

/** One report with the label its lines carry, and optionally the methods to draw (default: all). */
export interface LabelledReport {
  label: string;
  report: ComparedReport;
  methods?: string[];
}

/** Checks a parsed JSON value is a report with coherence by given count; names what is missing. */
export function asComparedReport(value: unknown, where: string): ComparedReport {
  const r = value as ComparedReport;
  if (typeof r !== "object" || r === null || typeof r.methods !== "object" || r.methods === null) {
    throw new TypeError(
      `Cannot plot ${where}: it is not a polyscore report (no "methods" object); give a run folder or its report.json / report.evalN.json`,
    );
  }
  for (const [name, m] of Object.entries(r.methods)) {
    if (typeof m?.coherence_by_given !== "object" || m.coherence_by_given === null) {
      throw new TypeError(
        `Cannot plot ${where}: method "${name}" has no coherence_by_given (a report from a run that did not finish its evaluation?)`,
      );
    }
  }
  return r;
}

const byGiven = (o: Record<string, unknown>) =>
  Object.keys(o).map(Number).filter(Number.isFinite).sort((a, b) => a - b);

/** The series of one labelled report: one per method (label, or "label method" when several). */
export function reportSeries(r: LabelledReport, ceilings: boolean): Series[] {
  const names = r.methods ?? Object.keys(r.report.methods);
  const out: Series[] = [];
  for (const name of names) {
    const m = r.report.methods[name];
    if (!m) {
      throw new RangeError(
        `Cannot plot ${r.label}: it has no method "${name}": its methods are ${
          Object.keys(r.report.methods).join(", ")
        }`,
      );
    }
    const ks = byGiven(m.coherence_by_given);
    const ci = m.coherence_ci_by_given;
    out.push({
      label: names.length > 1 ? `${r.label} ${name}` : r.label,
      x: ks,
      y: ks.map((k) => m.coherence_by_given[k]),
      lo: ks.map((k) => ci?.[k]?.[0] ?? null),
      hi: ks.map((k) => ci?.[k]?.[1] ?? null),
    });
  }
  const c = r.report.ceiling_by_given;
  if (ceilings && c) {
    const ks = byGiven(c);
    out.push({ label: `${r.label} ceiling`, x: ks, y: ks.map((k) => c[k]) });
  }
  return out;
}

/** The PNG: one panel, coherence (95% CI) against the number of given modalities. */
export function comparePlot(
  reports: readonly LabelledReport[],
  opts: { title?: string; ceilings?: boolean } = {},
): Uint8Array {
  if (reports.length === 0) throw new RangeError("Cannot plot: no reports were given");
  const panel: Panel = {
    title: (opts.title ?? "COHERENCE BY GIVEN MODALITIES").toUpperCase(),
    xLabel: "GIVEN MODALITIES",
    yLabel: "COHERENCE (95% CI)",
    series: reports.flatMap((r) => reportSeries(r, opts.ceilings ?? false)),
  };
  return plotPanels([panel], { perRow: 1 });
}
