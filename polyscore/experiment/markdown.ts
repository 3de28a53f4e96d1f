/** `experiment.md`: the grid points and, per finished point, its tables (from experiment.json). */
import { BASELINE, type ExperimentReport } from "./point.ts";

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
    const fdRows = Object.entries(p.methods).filter(([, m]) => m.fd_by_given);
    if (fdRows.length) {
      const spread = (p.seeds ?? 1) > 1;
      const cell = (v: number | null | undefined, sd: number | null | undefined) =>
        v === null || v === undefined
          ? "–"
          : `${v.toFixed(2)}${
            spread && sd !== null && sd !== undefined ? ` ± ${sd.toFixed(2)}` : ""
          }`;
      L.push(
        "",
        `Fréchet distance of the conditional samples (classifier features, mean over targets, against ` +
          `real test images${spread ? "; ± std over seeds" : "; one seed"}):`,
        "",
        `| method | ${givens.map((g) => `given ${g}`).join(" | ")} | uncond. |`,
        `|---|${givens.map(() => "---").join("|")}|---|`,
      );
      for (const [name, m] of fdRows) {
        L.push(
          `| ${name} | ${
            givens.map((g) => cell(m.fd_by_given![g], m.fd_by_given_std?.[g])).join(" | ")
          } | ${cell(m.fd_unconditional, m.fd_unconditional_std)} |`,
        );
      }
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
        L.push(
          "",
          `Lift ceiling (accuracy on decode(lift(project(z_test))) per modality, the complement from N(0, I) and set to 0; SBM-SRR's lift uses ${
            red.complement ?? "noise"
          }):`,
        );
        L.push(
          "",
          "| reduction | total rank | N(0, I) complement | zero complement |",
          "|---|---|---|---|",
        );
        for (const c of red.lift_ceiling) {
          L.push(
            `| ${c.label} | ${c.total_rank} | ${c.gaussian.map(f3).join(" ")} | ${
              (c.zero ?? []).map(f3).join(" ")
            } |`,
          );
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
