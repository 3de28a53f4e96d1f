/**
 * The experiment report: `experiment.json` (every grid point's numbers, taken from its run's
 * report.json), `experiment.md` (the tables) and PNG plots — coherence against the number of given
 * modalities with 95% CI bars, one line per method and one panel per (M, latent); the paired
 * difference against SBM-AE likewise; the Fréchet distance per modality; the reduction's total
 * rank and estimated bound against ε. It reads reports; it computes no new statistics.
 */
import type { PipelineConfig } from "../pipeline/config.ts";
import type { Report } from "../report/report.ts";
import { type Panel, plotPanels, type Series } from "../report/plot.ts";
import type { ExperimentSpec } from "./spec.ts";
import { join } from "node:path";

/** One grid point's state and (when finished) its run's report. */
export interface PointOutcome {
  index: number;
  values: Record<string, string>;
  run_id: string;
  status: "done" | "pending";
  /** Cache group → short digest of its key (equal digests share checkpoints). */
  keys: Record<string, string>;
  /** Cache group → the run whose checkpoints this point started from. */
  reused: Record<string, string>;
  config: PipelineConfig;
  report: Report | null;
}

/** The baseline every paired difference is taken against. */
export const BASELINE = "sbm-ae";

/** One method's row of one point. */
export interface ExperimentMethodRow {
  coherence_by_given: Record<string, number>;
  ci_by_given: Record<string, [number, number]> | null;
  incremental: number[] | null;
  incremental_ci: [number, number][] | null;
  unconditional_coherence: number | null;
  fd_by_modality: (number | null)[];
  fd_by_modality_std: (number | null)[];
  /** `method − sbm-ae` by given count with its 95% CI (null for the baseline itself). */
  paired_vs_baseline:
    | Record<string, { diff: number; lo: number; hi: number; significant: boolean }>
    | null;
}

/** One point of `experiment.json`. */
export interface ExperimentPoint {
  index: number;
  values: Record<string, string>;
  run_id: string;
  status: "done" | "pending";
  modalities: number;
  latent: number;
  keys: Record<string, string>;
  reused: Record<string, string>;
  wall_seconds: number | null;
  time_split: Record<string, number> | null;
  seeds: number | null;
  methods: Record<string, ExperimentMethodRow>;
  ceiling_by_given: Record<string, number> | null;
  reduction: {
    epsilon_fraction: number | null;
    ranks: number[];
    total_rank: number;
    total_dim: number;
    bound: number;
    held_out_bound: number | null;
    sweep: { fraction: number; total_rank: number; bound: number }[];
    lift_ceiling: { label: string; total_rank: number; gaussian: (number | null)[] }[];
  } | null;
}

/** `experiment.json`. */
export interface ExperimentReport {
  id: string;
  about: string;
  preset: string;
  set: Record<string, string>;
  axes: { key: string; values: string[] }[];
  reproduce: string;
  points: ExperimentPoint[];
  plots: string[];
}

function pairedOf(r: Report, method: string): ExperimentMethodRow["paired_vs_baseline"] {
  if (method === BASELINE) return null;
  const out: NonNullable<ExperimentMethodRow["paired_vs_baseline"]> = {};
  for (const p of r.paired ?? []) {
    const sign = p.a === method && p.b === BASELINE
      ? 1
      : p.a === BASELINE && p.b === method
      ? -1
      : 0;
    if (sign === 0) continue;
    const [lo, hi] = sign > 0 ? [p.lo, p.hi] : [-p.hi, -p.lo];
    out[p.given] = { diff: sign * p.diff, lo, hi, significant: p.significant };
  }
  return Object.keys(out).length ? out : null;
}

/** The JSON of one point. */
export function pointOf(o: PointOutcome): ExperimentPoint {
  const r = o.report;
  const methods: Record<string, ExperimentMethodRow> = {};
  for (const [name, m] of Object.entries(r?.methods ?? {})) {
    methods[name] = {
      coherence_by_given: m.coherence_by_given,
      ci_by_given: m.coherence_ci_by_given ?? null,
      incremental: m.incremental_coherence ?? null,
      incremental_ci: m.incremental_ci ?? null,
      unconditional_coherence: m.unconditional_coherence,
      fd_by_modality: m.fd_by_modality,
      fd_by_modality_std: m.fd_by_modality_std,
      paired_vs_baseline: pairedOf(r!, name),
    };
  }
  const red = r?.reduction;
  return {
    index: o.index,
    values: o.values,
    run_id: o.run_id,
    status: o.status,
    modalities: o.config.modalities,
    latent: o.config.ae.latent,
    keys: o.keys,
    reused: o.reused,
    wall_seconds: r?.wall_seconds ?? null,
    time_split: r?.time_split ?? null,
    seeds: r?.seeds ?? null,
    methods,
    ceiling_by_given: r?.ceiling_by_given ?? null,
    reduction: red
      ? {
        epsilon_fraction: red.epsilon_fraction,
        ranks: red.ranks,
        total_rank: red.total_rank,
        total_dim: red.total_dim,
        bound: red.bound,
        held_out_bound: red.held_out?.bound ?? null,
        sweep: red.sweep.map((s) => ({
          fraction: s.fraction,
          total_rank: s.totalRank,
          bound: s.bound,
        })),
        lift_ceiling: (red.lift_ceiling?.points ?? []).map((p) => ({
          label: p.label,
          total_rank: p.total_rank,
          gaussian: p.gaussian,
        })),
      }
      : null,
  };
}

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
  out["coherence.png"] = plotPanels(coherence);
  const paired: Panel[] = groups.map((g) => ({
    title: g.title,
    xLabel: "GIVEN MODALITIES",
    yLabel: `DIFFERENCE VS ${BASELINE} (95% CI)`,
    series: givenSeries(g.points, (m, k) => {
      const d = m.paired_vs_baseline?.[k];
      return d ? [d.diff, d.lo, d.hi] : null;
    }),
  })).filter((p) => p.series.length > 0);
  if (paired.length) out["paired.png"] = plotPanels(paired);
  const fd: Panel[] = groups.map((g) => {
    const series = methodSeries(g.points, (m) => {
      if (m.fd_by_modality.every((v) => v === null)) return null;
      return {
        x: m.fd_by_modality.map((_, i) => i),
        y: m.fd_by_modality,
        lo: m.fd_by_modality.map((v, i) =>
          v === null || m.fd_by_modality_std[i] === null ? null : v - m.fd_by_modality_std[i]!
        ),
        hi: m.fd_by_modality.map((v, i) =>
          v === null || m.fd_by_modality_std[i] === null ? null : v + m.fd_by_modality_std[i]!
        ),
      };
    });
    return {
      title: g.title,
      xLabel: "MODALITY",
      yLabel: "FRECHET DIST. (UNCOND., +-STD)",
      series,
    };
  }).filter((p) => p.series.length > 0);
  if (fd.length) out["frechet.png"] = plotPanels(fd);
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
  if (rank.length) {
    out["epsilon.png"] = plotPanels([
      { title: "TOTAL RANK", xLabel: "EPS / (TR H / 2)", yLabel: "KEPT DIMENSIONS", series: rank },
      { title: "ESTIMATED BOUND", xLabel: "EPS / (TR H / 2)", yLabel: "NATS", series: bound },
    ]);
  }
  return out;
}

const f3 = (v: number | null | undefined) => (v === null || v === undefined ? "–" : v.toFixed(3));

/** `experiment.md`. */
export function experimentMarkdown(rep: ExperimentReport): string {
  const L: string[] = [];
  L.push(`# Experiment ${rep.id}`, "");
  if (rep.about) L.push(rep.about, "");
  const done = rep.points.filter((p) => p.status === "done").length;
  L.push(
    `Preset \`${rep.preset}\`; fixed overrides ${
      Object.entries(rep.set).map(([k, v]) => `\`${k}=${v}\``).join(", ") || "none"
    }; axes ${rep.axes.map((a) => `\`${a.key}\` ∈ {${a.values.join(", ")}}`).join(" × ")}.`,
    `${done} of ${rep.points.length} grid points finished. Reproduce: \`${rep.reproduce}\`.`,
    "",
  );
  for (const p of rep.plots) L.push(`![${p}](${p})`, "");
  L.push("## Grid points", "");
  L.push("| # | point | run | status | wall (s) | reused |", "|---|---|---|---|---|---|");
  for (const p of rep.points) {
    const vals = Object.entries(p.values).map(([k, v]) => `${k}=${v}`).join(", ");
    const reused = Object.entries(p.reused).map(([g, r]) => `${g} ← ${r}`).join("; ") || "–";
    L.push(
      `| ${p.index} | ${vals} | ${p.run_id} | ${p.status} | ${
        p.wall_seconds === null ? "–" : p.wall_seconds.toFixed(0)
      } | ${reused} |`,
    );
  }
  for (const p of rep.points.filter((q) => q.status === "done")) {
    const vals = Object.entries(p.values).map(([k, v]) => `${k}=${v}`).join(", ");
    L.push("", `## Point ${p.index}: ${vals} (run ${p.run_id}, ${p.seeds ?? "?"} seed(s))`, "");
    const givens = Object.keys(Object.values(p.methods)[0]?.coherence_by_given ?? {});
    L.push(
      `Coherence by number of given modalities, mean [95% CI]; Δ = method − ${BASELINE}, paired:`,
      "",
    );
    L.push(
      `| method | ${givens.map((g) => `given ${g}`).join(" | ")} | uncond. |`,
      `|---|${givens.map(() => "---").join("|")}|---|`,
    );
    for (const [name, m] of Object.entries(p.methods)) {
      const cells = givens.map((g) => {
        const ci = m.ci_by_given?.[g];
        return `${f3(m.coherence_by_given[g])}${ci ? ` [${f3(ci[0])}, ${f3(ci[1])}]` : ""}`;
      });
      L.push(`| ${name} | ${cells.join(" | ")} | ${f3(m.unconditional_coherence)} |`);
      if (m.paired_vs_baseline) {
        const d = givens.map((g) => {
          const x = m.paired_vs_baseline![g];
          return x
            ? `${x.diff >= 0 ? "+" : ""}${f3(x.diff)} [${f3(x.lo)}, ${f3(x.hi)}]${
              x.significant ? "*" : ""
            }`
            : "–";
        });
        L.push(`| Δ ${name} − ${BASELINE} | ${d.join(" | ")} | |`);
      }
    }
    if (p.ceiling_by_given) {
      L.push(
        `| reconstruction ceiling | ${
          givens.map((g) => f3(p.ceiling_by_given![g])).join(" | ")
        } | |`,
      );
    }
    L.push("", "Incremental protocol (target m0 given m1 … mi):", "");
    for (const [name, m] of Object.entries(p.methods)) {
      if (!m.incremental) continue;
      L.push(
        `- ${name}: ${
          m.incremental.map((v, i) => {
            const ci = m.incremental_ci?.[i];
            return `${f3(v)}${ci ? ` [${f3(ci[0])}, ${f3(ci[1])}]` : ""}`;
          }).join(" · ")
        }`,
      );
    }
    const red = p.reduction;
    if (red) {
      L.push(
        "",
        `Reduction: ranks [${red.ranks}] (${red.total_rank} of ${red.total_dim}), estimated bound ${
          red.bound.toFixed(4)
        }${red.held_out_bound === null ? "" : ` (held out ${red.held_out_bound.toFixed(4)})`}.`,
      );
      if (red.lift_ceiling.length) {
        L.push("", "Lift ceiling (accuracy on decode(lift(project(z_test))), N(0, I) complement):");
        L.push("", "| reduction | total rank | per modality |", "|---|---|---|");
        for (const c of red.lift_ceiling) {
          L.push(`| ${c.label} | ${c.total_rank} | ${c.gaussian.map(f3).join(" ")} |`);
        }
      }
    }
    if (p.time_split) {
      L.push(
        "",
        `Wall ${p.wall_seconds?.toFixed(0)} s: ${
          Object.entries(p.time_split).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(", ")
        }.`,
      );
    }
  }
  return L.join("\n") + "\n";
}

/** Writes experiment.json, experiment.md and the plots into `dir`. */
export function writeExperimentReport(
  dir: string,
  spec: ExperimentSpec,
  file: string,
  outcomes: PointOutcome[],
): ExperimentReport {
  const points = outcomes.map(pointOf);
  const plots = experimentPlots(points);
  for (const [name, png] of Object.entries(plots)) Deno.writeFileSync(join(dir, name), png);
  const rep: ExperimentReport = {
    id: spec.id,
    about: spec.about,
    preset: spec.preset,
    set: spec.set,
    axes: spec.axes,
    reproduce: `deno task experiment ${file}`,
    points,
    plots: Object.keys(plots),
  };
  Deno.writeTextFileSync(join(dir, "experiment.json"), JSON.stringify(rep, null, 2) + "\n");
  Deno.writeTextFileSync(join(dir, "experiment.md"), experimentMarkdown(rep));
  return rep;
}
