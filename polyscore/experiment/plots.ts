/**
 * The experiment's PNG plots: coherence against the number of given modalities with 95% CI bars,
 * one line per method and one panel per (M, latent); the paired difference against SBM-AE
 * likewise; the Fréchet distance against the number of given modalities (0: unconditional); total
 * rank and estimated bound against ε.
 */
import { type Panel, plotPanels, type Series } from "../report/plot.ts";
import { BASELINE, type ExperimentMethodRow, type ExperimentPoint } from "./point.ts";
/** Axis values that are not the panel's (M, latent): they name a line beside the method. */
function lineSuffix(p: ExperimentPoint): string {
  const rest = Object.entries(p.values).filter(([k]) => k !== "modalities" && k !== "ae.latent");
  return rest.map(([k, v]) => ` ${k.split(".").pop()}=${v}`).join("");
}

/** Points grouped into panels by (M, latent), in first-appearance order. */
function panelsOf(points: ExperimentPoint[]): { title: string; points: ExperimentPoint[] }[] {
  const out = new Map<string, ExperimentPoint[]>();
  for (const p of points.filter((q) => q.status === "done")) {
    const t = `M=${p.modalities} LATENT=${p.latent}`;
    out.set(t, [...(out.get(t) ?? []), p]);
  }
  return [...out].map(([title, pts]) => ({ title, points: pts }));
}

/** Adds `s` unless a series with the same label and numbers is already there (shared results). */
function addUnique(list: Series[], s: Series): void {
  const key = JSON.stringify([s.label, s.y, s.lo, s.hi]);
  if (!list.some((t) => JSON.stringify([t.label, t.y, t.lo, t.hi]) === key)) list.push(s);
}

/**
 * One series per method and point of a panel; a method whose series are the same at every point
 * of the panel (an axis that does not touch it, such as ε for SBM-AE) is drawn once, by its name.
 */
function methodSeries(
  points: ExperimentPoint[],
  make: (m: ExperimentMethodRow) => Omit<Series, "label"> | null,
): Series[] {
  const byMethod = new Map<string, { suffix: string; s: Omit<Series, "label"> }[]>();
  for (const p of points) {
    for (const [name, m] of Object.entries(p.methods)) {
      const s = make(m);
      if (s) byMethod.set(name, [...(byMethod.get(name) ?? []), { suffix: lineSuffix(p), s }]);
    }
  }
  const out: Series[] = [];
  for (const [name, list] of byMethod) {
    const same = list.every((e) => JSON.stringify(e.s) === JSON.stringify(list[0].s));
    if (same) out.push({ label: name, ...list[0].s });
    else for (const e of list) addUnique(out, { label: name + e.suffix, ...e.s });
  }
  return out;
}

function givenSeries(
  points: ExperimentPoint[],
  pick: (m: ExperimentMethodRow, k: string) => [number, number, number] | null,
): Series[] {
  return methodSeries(points, (m) => {
    const ks = Object.keys(m.coherence_by_given).sort((a, b) => Number(a) - Number(b));
    const vals = ks.map((k) => pick(m, k));
    if (vals.every((v) => v === null)) return null;
    return {
      x: ks.map(Number),
      y: vals.map((v) => v?.[0] ?? null),
      lo: vals.map((v) => v?.[1] ?? null),
      hi: vals.map((v) => v?.[2] ?? null),
    };
  });
}

/**
 * The panels of frechet.png: per (M, latent) the Fréchet distance against the number of given
 * modalities, one line per method, given count 0 being the unconditional samples; bars are ± one
 * std over seeds (of zero length with one seed). Methods without the conditional distance (reports
 * from before it) are left out.
 */
export function frechetPanels(points: ExperimentPoint[]): Panel[] {
  return panelsOf(points).map((g) => ({
    title: g.title,
    xLabel: "GIVEN MODALITIES (0 = UNCOND.)",
    yLabel: "FRECHET DIST. (+-STD OVER SEEDS)",
    series: methodSeries(g.points, (m) => {
      if (!m.fd_by_given) return null;
      const ks = Object.keys(m.fd_by_given).sort((a, b) => Number(a) - Number(b));
      const y = [m.fd_unconditional, ...ks.map((k) => m.fd_by_given![k])];
      if (y.every((v) => v === null)) return null;
      const sd = [m.fd_unconditional_std, ...ks.map((k) => m.fd_by_given_std?.[k] ?? null)];
      const bar = (sign: number) =>
        y.map((v, i) => v === null || sd[i] === null ? null : v + sign * sd[i]!);
      return { x: [0, ...ks.map(Number)], y, lo: bar(-1), hi: bar(1) };
    }),
  })).filter((p) => p.series.length > 0);
}

/** The plots of the finished points: file name → PNG bytes. */
export function experimentPlots(points: ExperimentPoint[]): Record<string, Uint8Array> {
  const groups = panelsOf(points);
  if (groups.length === 0) return {};
  const out: Record<string, Uint8Array> = {};
  const coherence: Panel[] = groups.map((g) => ({
    title: g.title,
    xLabel: "GIVEN MODALITIES",
    yLabel: "COHERENCE (95% CI)",
    series: givenSeries(g.points, (m, k) => {
      const c = m.ci_by_given?.[k];
      return [m.coherence_by_given[k], c?.[0] ?? NaN, c?.[1] ?? NaN];
    }),
  }));
  // Every figure colours a method as the coherence figure does.
  const colorOrder = [...new Set(coherence.flatMap((p) => p.series.map((s) => s.label)))];
  out["coherence.png"] = plotPanels(coherence, { colorOrder });
  const paired: Panel[] = groups.map((g) => ({
    title: g.title,
    xLabel: "GIVEN MODALITIES",
    yLabel: `DIFFERENCE VS ${BASELINE} (95% CI)`,
    series: givenSeries(g.points, (m, k) => {
      const d = m.paired_vs_baseline?.[k];
      return d ? [d.diff, d.lo, d.hi] : null;
    }),
  })).filter((p) => p.series.length > 0);
  if (paired.length) out["paired.png"] = plotPanels(paired, { colorOrder });
  const fd = frechetPanels(points);
  if (fd.length) out["frechet.png"] = plotPanels(fd, { colorOrder });
  // One line per (M, latent), or per point where the sweeps differ (another network or seed).
  const rank: Series[] = [], bound: Series[] = [];
  for (const g of groups) {
    const pts = g.points.filter((q) => q.reduction && q.reduction.sweep.length);
    const sweeps = pts.map((p) => [...p.reduction!.sweep].sort((a, b) => a.fraction - b.fraction));
    const same = sweeps.every((s) => JSON.stringify(s) === JSON.stringify(sweeps[0]));
    pts.forEach((p, i) => {
      if (same && i > 0) return;
      const label = `M=${p.modalities} L=${p.latent}${same ? "" : lineSuffix(p)}`;
      const sw = sweeps[i];
      addUnique(rank, { label, x: sw.map((s) => s.fraction), y: sw.map((s) => s.total_rank) });
      addUnique(bound, { label, x: sw.map((s) => s.fraction), y: sw.map((s) => s.bound) });
    });
  }
  // The grid's own ε (when ε is an axis): each point's chosen ranks and bound, one line per panel.
  for (const g of groups) {
    const pts = g.points.filter((q) => q.reduction?.epsilon_fraction != null)
      .sort((a, b) => a.reduction!.epsilon_fraction! - b.reduction!.epsilon_fraction!);
    const fractions = new Set(pts.map((p) => p.reduction!.epsilon_fraction));
    if (fractions.size < 2) continue;
    const label = `${g.title.replace("LATENT", "L")} CHOSEN`;
    const x = pts.map((p) => p.reduction!.epsilon_fraction!);
    addUnique(rank, { label, x, y: pts.map((p) => p.reduction!.total_rank) });
    addUnique(bound, { label, x, y: pts.map((p) => p.reduction!.bound) });
  }
  if (rank.length) {
    out["epsilon.png"] = plotPanels([
      { title: "TOTAL RANK", xLabel: "EPS / (TR H / 2)", yLabel: "KEPT DIMENSIONS", series: rank },
      { title: "ESTIMATED BOUND", xLabel: "EPS / (TR H / 2)", yLabel: "NATS", series: bound },
    ]);
  }
  return out;
}
