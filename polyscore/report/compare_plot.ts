/**
 * Coherence against the number of given modalities, one line per (report, method), with each
 * report's 95% CI bars and, optionally, its reconstruction ceiling on the same tuples: a picture of
 * several finished runs side by side (`polyscore plot`). Reports are read with `parseReport`; draws
 * with the report's own PNG plotter.
 */
import { type Panel, PANEL_TITLE_CHARS, plotPanels, type Series } from "./plot.ts";
import type { MethodReport, Report } from "./report.ts";

/** The fields of a Report this plot draws; any parsed Report is one. */
export interface ComparedReport {
  methods: Record<string, Pick<MethodReport, "coherence_by_given" | "coherence_ci_by_given">>;
  ceiling_by_given?: Report["ceiling_by_given"];
}

/** One report with the label its lines carry, and optionally the methods to draw (default: all). */
export interface LabelledReport {
  label: string;
  report: ComparedReport;
  methods?: string[];
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
  const title = (opts.title ?? "COHERENCE BY GIVEN MODALITIES").toUpperCase();
  if (title.length > PANEL_TITLE_CHARS) {
    throw new RangeError(
      `Cannot plot: the title "${opts.title}" has ${title.length} characters and at most ${PANEL_TITLE_CHARS} fit the panel: shorten --title`,
    );
  }
  const panel: Panel = {
    title,
    xLabel: "GIVEN MODALITIES",
    yLabel: "COHERENCE (95% CI)",
    series: reports.flatMap((r) => reportSeries(r, opts.ceilings ?? false)),
  };
  return plotPanels([panel], { perRow: 1 });
}
