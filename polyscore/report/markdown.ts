/**
 * `report.md`, a researcher's summary of a {@link Report}: coherence by number of given modalities
 * per method (mean ± std over seeds), Fréchet distances, classifier accuracies, the reconstruction
 * ceiling, the reduction with the diagnostics of H and the lift ceiling, the time split. Also the
 * aggregation of per-seed results.
 */
import type { FrechetByGiven } from "../eval/frechet_given.ts";
import type { MethodResult } from "../pipeline/stage_eval.ts";
import { type MethodReport, modalityNames, type Report } from "./report.ts";

/** Mean and sample standard deviation. */
export function meanStd(xs: readonly number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  if (xs.length < 2) return [m, 0];
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  return [m, Math.sqrt(v)];
}

/** The mean over target modalities with a value; null when none has one. */
export function meanOverTargets(fd: readonly (number | null)[]): number | null {
  const v = fd.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** A method's results across seeds: means under the plain names, stds beside them. */
export function aggregate(runs: MethodResult[]): MethodReport {
  const keys = Object.keys(runs[0].coherence_by_given);
  const by: Record<string, number> = {}, byStd: Record<string, number> = {};
  for (const k of keys) [by[k], byStd[k]] = meanStd(runs.map((r) => r.coherence_by_given[k]));
  const mods = runs[0].fd_by_modality.length;
  const fd: (number | null)[] = [], fdStd: (number | null)[] = [];
  const tgt: number[] = [], tgtStd: number[] = [];
  for (let m = 0; m < mods; m++) {
    const f = runs.map((r) => r.fd_by_modality[m]);
    if (f.some((v) => v === null)) {
      fd.push(null);
      fdStd.push(null);
    } else {
      const [a, b] = meanStd(f as number[]);
      fd.push(a);
      fdStd.push(b);
    }
    const [c, d] = meanStd(runs.map((r) => r.coherence_by_target[m]));
    tgt.push(c);
    tgtStd.push(d);
  }
  const fdRec: (number | null)[] = [], fdRecStd: (number | null)[] = [];
  for (let m = 0; m < mods; m++) {
    const f = runs.map((r) => r.fd_vs_reconstruction[m]);
    const [a, b] = f.some((v) => v === null) ? [null, null] : meanStd(f as number[]);
    fdRec.push(a);
    fdRecStd.push(b);
  }
  const atLeast = runs[0].unconditional_at_least
    ? Object.fromEntries(
      Object.keys(runs[0].unconditional_at_least).map((k) => [
        k,
        meanStd(runs.map((r) => r.unconditional_at_least![k]))[0],
      ]),
    )
    : null;
  const unc = runs.map((r) => r.unconditional_coherence);
  const [u, uStd] = unc.some((v) => v === null) ? [null, null] : meanStd(unc as number[]);
  const fdUnc = runs.map((r) => meanOverTargets(r.fd_by_modality));
  const [fu, fuStd] = fdUnc.some((v) => v === null) ? [null, null] : meanStd(fdUnc as number[]);
  const subsetKeys = Object.keys(runs[0].coherence_by_subset);
  const bySubset: Record<string, number> = {};
  for (const k of subsetKeys) bySubset[k] = meanStd(runs.map((r) => r.coherence_by_subset[k]))[0];
  return {
    coherence_by_given: by,
    coherence_by_given_std: byStd,
    coherence_by_target: tgt,
    coherence_by_target_std: tgtStd,
    coherence_by_subset: bySubset,
    unconditional_coherence: u,
    unconditional_coherence_std: uStd,
    fd_by_modality: fd,
    fd_by_modality_std: fdStd,
    seeds: runs.length,
    eval_seconds: runs.reduce((a, r) => a + r.wall_seconds, 0),
    unconditional_at_least: atLeast,
    fd_vs_reconstruction: fdRec,
    fd_vs_reconstruction_std: fdRecStd,
    ...givenFrechet(runs.map((r) => r.fd_by_given), ""),
    ...givenFrechet(runs.map((r) => r.fd_by_given_vs_reconstruction), "_vs_reconstruction"),
    fd_unconditional: fu,
    fd_unconditional_std: fuStd,
    score_scale_by_seed: runs.map((r) => r.score_scale),
    score_scale_choice_by_seed: runs.map((r) => r.score_scale_choice),
  };
}

/** Mean ± std over seeds of one conditional Fréchet distance (field names end in `suffix`). */
function givenFrechet(runs: FrechetByGiven[], suffix: "" | "_vs_reconstruction") {
  const mean: Record<string, number | null> = {}, std: Record<string, number | null> = {};
  const byTarget: Record<string, (number | null)[]> = {};
  for (const k of Object.keys(runs[0])) {
    const perSeed = runs.map((r) => meanOverTargets(r[k]));
    [mean[k], std[k]] = perSeed.some((v) => v === null)
      ? [null, null]
      : meanStd(perSeed as number[]);
    byTarget[k] = runs[0][k].map((_, m) => {
      const v = runs.map((r) => r[k][m]);
      return v.some((x) => x === null) ? null : meanStd(v as number[])[0];
    });
  }
  return {
    [`fd_by_given${suffix}`]: mean,
    [`fd_by_given${suffix}_std`]: std,
    [`fd_by_given${suffix}_by_target`]: byTarget,
  } as Pick<MethodReport, "fd_by_given" | "fd_by_given_std" | "fd_by_given_by_target">;
}

function fmt(v: unknown, digits = 3): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "–";
}

/**
 * The conditional Fréchet distance by number of given modalities (mean over targets), against real
 * images and against reconstructions, with the unconditional one beside it; empty on older reports.
 */
export function givenFrechetSections(r: Report): string[] {
  const names = Object.keys(r.methods).filter((n) => r.methods[n].fd_by_given);
  if (!names.length) return [];
  const givens = Object.keys(r.methods[names[0]].fd_by_given!);
  const spread = r.seeds > 1;
  const pm = (v: number | null | undefined, sd: number | null | undefined) =>
    spread ? `${fmt(v, 2)} ± ${fmt(sd, 2)}` : fmt(v, 2);
  const rows = r.protocol?.fd_rows_by_target;
  const lines = [
    "",
    `## Fréchet distance by number of given modalities (classifier features — not Inception FID; ${
      spread ? `mean ± std over ${r.seeds} seeds` : "one seed, no CI"
    })`,
    "",
    `Conditional samples of each target modality, scored against the real test images; mean over ` +
    `the target modalities (per target in report.json). ${
      rows ? `Samples per target at every given count: ${rows.join(", ")}` : ""
    }${
      r.protocol?.fd_reference_rows ? ` (references: ${r.protocol.fd_reference_rows} images)` : ""
    }; the unconditional column uses eval.unconditional samples. A small sample biases the ` +
    `distance upwards, so columns with equal sample counts compare like with like.`,
    "",
    `| method | ${givens.map((g) => `given ${g}`).join(" | ")} | unconditional |`,
    `|---|${givens.map(() => "---").join("|")}|---|`,
  ];
  for (const n of names) {
    const m = r.methods[n];
    lines.push(
      `| ${n} | ${
        givens.map((g) => pm(m.fd_by_given?.[g], m.fd_by_given_std?.[g])).join(" | ")
      } | ${pm(m.fd_unconditional, m.fd_unconditional_std)} |`,
    );
  }
  const floor = r.fd_reconstruction_vs_real && meanOverTargets(r.fd_reconstruction_vs_real);
  if (floor !== null && floor !== undefined) {
    lines.push(
      `| *reconstructions* | ${givens.map(() => fmt(floor, 2)).join(" | ")} | ${fmt(floor, 2)} |`,
    );
  }
  lines.push(
    "",
    "Against the autoencoders' reconstructions of the same test images (what the prior decides):",
    "",
    `| method | ${givens.map((g) => `given ${g}`).join(" | ")} |`,
    `|---|${givens.map(() => "---").join("|")}|`,
  );
  for (const n of names) {
    const m = r.methods[n];
    lines.push(
      `| ${n} | ${
        givens.map((g) =>
          pm(m.fd_by_given_vs_reconstruction?.[g], m.fd_by_given_vs_reconstruction_std?.[g])
        ).join(" | ")
      } |`,
    );
  }
  return lines;
}

/** The Markdown summary of a report. */
export function reportMarkdown(r: Report): string {
  const methods = r.methods;
  const names = Object.keys(methods);
  const givens = Object.keys(methods[names[0]].coherence_by_given);
  const lines: string[] = [];
  lines.push(`# polyscore report — run ${r.run_id}`, "");
  lines.push(
    `Preset **${r.preset}**, backend **${r.backend}**, ${r.seeds} seed(s) for the priors and sampling ` +
      `(autoencoders and classifiers: one seed), wall time **${fmt(r.wall_seconds, 0)} s**, ` +
      `peak memory ${fmt(r.peak_rss_mb, 0)} MB.`,
    "",
  );
  const pr = r.prior;
  if (pr) {
    lines.push(
      `Score priors: conditioning **${pr.conditioning}** (${
        pr.conditioning === "masked"
          ? `MLD-style, mask probability ${pr.mask_prob}`
          : `observed latents re-imposed "${pr.observed_noise}"${
            pr.observed_noise === "code_quirk" && pr.observed_gain !== undefined &&
              pr.observed_gain !== 1
              ? ` with gain ${pr.observed_gain}`
              : ""
          }`
      }), EMA ${pr.ema > 0 ? pr.ema : "off"}, SBM-AE latents ${
        pr.standardize ? "standardised per dimension" : "raw"
      }.${
        pr.sampler
          ? ` Sampler **${pr.sampler}**, ${pr.sample_steps} steps + ${pr.final_corrector_steps} final corrector steps${
            pr.snr !== undefined
              ? ` (corrector SNR ${pr.snr}${
                pr.final_snr !== pr.snr ? `, ${pr.final_snr} in the final steps` : ""
              })`
              : ""
          }${
            pr.score_scale_auto
              ? `, every score × γ chosen from the data per method and seed (γ in [${pr.score_scale_auto.grid}]; "Score factor chosen from the data")`
              : pr.score_scale !== undefined && pr.score_scale !== 1
              ? `, every score × ${pr.score_scale} (a sharper prior)`
              : ""
          }: **${pr.nfe} network evaluations per sample**.`
          : ""
      }`,
      "",
    );
  }
  const re = r.reevaluation;
  if (re) {
    lines.push(
      `**Re-evaluation** (${re.file}) of the run's saved autoencoders, classifiers and priors — ` +
        `nothing retrained — for ${re.methods.join(", ")}, with ${
          Object.keys(re.overrides).length
            ? Object.entries(re.overrides).map(([k, v]) => `\`${k}=${v}\``).join(", ")
            : "no overrides"
        }. Wall time and time split are the re-evaluation's.`,
      "",
    );
    for (const [label, v] of Object.entries(re.variants ?? {})) {
      lines.push(
        `- variant **${label}** ("<method>@${label}"): ${
          Object.entries(v.overrides).map(([k, x]) => `\`${k}=${x}\``).join(", ")
        }; ${v.nfe} network evaluations per sample.`,
      );
    }
    if (re.variants) lines.push("");
  }
  // One seed has no spread across seeds: print means alone rather than "± 0.000".
  const spread = r.seeds > 1;
  const pm = (v: number | null, sd: number | null | undefined) =>
    spread ? `${fmt(v)} ± ${fmt(sd)}` : fmt(v);
  lines.push(
    `## Conditional coherence by number of given modalities (${
      spread ? `mean ± std over ${r.seeds} seeds` : "one seed"
    })`,
    "",
  );
  lines.push(`| method | ${givens.join(" | ")} | unconditional |`);
  lines.push(`|---|${givens.map(() => "---").join("|")}|---|`);
  for (const n of names) {
    const m = methods[n];
    const by = m.coherence_by_given;
    const sd = m.coherence_by_given_std;
    lines.push(
      `| ${n} | ${givens.map((g) => pm(by[g], sd?.[g])).join(" | ")} | ${
        pm(m.unconditional_coherence, m.unconditional_coherence_std)
      } |`,
    );
  }
  lines.push(...evaluationSections(r));
  lines.push(...givenFrechetSections(r));
  lines.push("", "## Fréchet distance per modality (classifier features — not Inception FID)", "");
  const mods = methods[names[0]].fd_by_modality.length;
  lines.push(`| method | ${Array.from({ length: mods }, (_, m) => `m${m}`).join(" | ")} |`);
  lines.push(`|---|${Array.from({ length: mods }, () => "---").join("|")}|`);
  for (const n of names) {
    lines.push(
      `| ${n} | ${methods[n].fd_by_modality.map((v) => fmt(v, 2)).join(" | ")} |`,
    );
  }
  if (r.fd_reconstruction_vs_real) {
    lines.push(
      `| *reconstructions* | ${r.fd_reconstruction_vs_real.map((v) => fmt(v, 2)).join(" | ")} |`,
      "",
      "Against the autoencoders' reconstructions of the same test images (what the prior decides; " +
        "the decoders' blur is the same for every method):",
      "",
      `| method | ${Array.from({ length: mods }, (_, m) => `m${m}`).join(" | ")} |`,
      `|---|${Array.from({ length: mods }, () => "---").join("|")}|`,
    );
    for (const n of names) {
      const f = methods[n].fd_vs_reconstruction ?? [];
      lines.push(`| ${n} | ${f.map((v) => fmt(v, 2)).join(" | ")} |`);
    }
  }
  lines.push("", "## Autoencoders and classifiers", "");
  // The linear probe (label ← z_m) sits beside the ceiling: a probe well above the ceiling says the
  // latent holds the digit and the decoder (or the classifier on blurred images) loses it.
  const probe = r.linear_probe;
  lines.push(
    `| modality | classifier test accuracy | reconstruction ceiling | ${
      probe ? "linear probe (label ← z_m) | " : ""
    }reconstruction MSE |`,
  );
  lines.push(probe ? "|---|---|---|---|---|" : "|---|---|---|---|");
  const ceil = r.reconstruction_ceiling, mse = r.reconstruction_mse;
  r.classifier_accuracy.forEach((a, m) =>
    lines.push(
      `| m${m} | ${fmt(a)} | ${fmt(ceil[m])} | ${probe ? `${fmt(probe[m])} | ` : ""}${
        fmt(mse[m], 5)
      } |`,
    )
  );
  const red = r.reduction;
  if (red) {
    lines.push("", "## Score-ratio reduction (SBM-SRR)", "");
    lines.push(
      `ε = ${fmt(red.epsilon, 4)} (${
        red.epsilon_fraction ?? (Number.isFinite(red.epsilon) ? "absolute" : "none: ranks fixed")
      } of ½ tr H = ${fmt(0.5 * red.trace, 4)}), ` +
        `ranks [${red.ranks}] of [${red.latent_dims}] → total ${red.total_rank} of ${red.total_dim}, ` +
        `estimated bound D_KL(π‖π_r) ≤ ${fmt(red.bound, 4)} (½ Σ of the discarded eigenvalues ` +
        `of the *learned* H: an estimate, not a certificate).` +
        (red.estimator
          ? ` H from the \`${red.estimator}\` estimator; the lift's complement is \`${
            red.complement ?? "noise"
          }\`.`
          : ""),
    );
    const ls = red.lift_selection;
    if (ls) {
      lines.push(
        "",
        `Ranks chosen by the lift ceiling on ${ls.tuples} train tuples: the smallest total rank whose mean lift ceiling is within ${ls.gap} of full rank's (${
          fmt(ls.full)
        }); tried: ${ls.points.map((p) => `${p.total_rank} → ${fmt(p.lift)}`).join(", ")}.`,
      );
    }
    const sweep = red.sweep;
    if (sweep?.length) {
      const withCoh = sweep.some((p) => p.coherence_by_given);
      lines.push(
        "",
        `| ε / (½ tr H) | total rank | estimated bound | ranks |${
          withCoh ? " coherence by given |" : ""
        }`,
        `|---|---|---|---|${withCoh ? "---|" : ""}`,
      );
      for (const p of sweep) {
        const coh = p.coherence_by_given
          ? ` ${
            Object.entries(p.coherence_by_given).map(([k, v]) => `${k}: ${fmt(v)}`).join(", ")
          } |`
          : withCoh
          ? " – |"
          : "";
        lines.push(`| ${p.fraction} | ${p.totalRank} | ${fmt(p.bound, 4)} | [${p.ranks}] |${coh}`);
      }
    }
    lines.push(...diagnosticsMarkdown(r));
  }
  const split = r.time_split;
  lines.push("", "## Time split", "", "| stage | seconds |", "|---|---|");
  for (const [k, v] of Object.entries(split)) lines.push(`| ${k} | ${fmt(v, 1)} |`);
  lines.push("");
  return lines.join("\n");
}

/** The diagnostics of H (held-out, Gaussian part) and the lift ceiling, when the report has them. */
function diagnosticsMarkdown(r: Report): string[] {
  const red = r.reduction;
  if (!red) return [];
  const lines: string[] = [];
  const ho = red.held_out, gp = red.gaussian_part, lc = red.lift_ceiling;
  if (ho || gp) {
    lines.push("", "### Diagnostics of H", "");
    lines.push("| H | tr H | estimated bound at the chosen ranks |", "|---|---|---|");
    lines.push(
      `| learned, in-sample (training latents) | ${fmt(red.trace)} | ${fmt(red.bound, 4)} |`,
    );
    if (ho) {
      lines.push(
        `| learned, held-out (${ho.tuples} test latents) | ${fmt(ho.trace)} | ${
          fmt(ho.bound, 4)
        } |`,
      );
    }
    if (gp) {
      lines.push(`| Gaussian part H_G (in-sample) | ${fmt(gp.trace)} | ${fmt(gp.bound, 4)} |`);
    }
    if (gp) {
      const names = modalityNames(r, gp.principal_angles_deg.length);
      lines.push(
        "",
        `‖H − H_G‖_F / ‖H‖_F = ${
          fmt(gp.relative_frobenius)
        }. Largest principal angle between the ` +
          `chosen basis of H and of H_G at the same rank, per modality: ${
            gp.principal_angles_deg.map((a, m) =>
              `${names[m]} ${a.length ? `${fmt(Math.max(...a), 1)}°` : "–"}`
            ).join(", ")
          }.`,
      );
    }
  }
  if (lc?.points.length) {
    const mods = lc.points[0].gaussian.length;
    const names = modalityNames(r, mods);
    lines.push(
      "",
      `### Lift ceiling: accuracy on decode(lift(project(z_test))), ${lc.tuples} test tuples`,
      "",
      lc.points[0].conditional
        ? "Each cell: complement from N(0, I) / complement 0 / Gaussian conditional given all kept y (mean + noise) / its mean. SBM-SRR samples with the complement " +
          `\`${red.complement ?? "noise"}\`.`
        : "Each cell: complement from N(0, I) (as SBM-SRR samples it) / complement 0.",
      "",
      `| reduction | total rank | ${names.join(" | ")} |`,
      `|---|---|${names.map(() => "---").join("|")}|`,
      `| reconstruction ceiling (all test tuples) | ${red.total_dim} | ${
        names.map((_, m) => fmt(r.reconstruction_ceiling[m])).join(" | ")
      } |`,
    );
    for (const p of lc.points) {
      lines.push(
        `| ${p.label} | ${p.total_rank} | ${
          p.gaussian.map((g, m) =>
            [g, p.zero[m], ...(p.conditional ? [p.conditional[m], p.conditional_mean?.[m]] : [])]
              .map((v) => fmt(v ?? null)).join(" / ")
          ).join(" | ")
        } |`,
      );
    }
  }
  return lines;
}

const ci = (c: [number, number] | undefined) => c ? `[${fmt(c[0])}, ${fmt(c[1])}]` : "–";

/** The protocol, CIs, ceilings on the same tuples, the incremental curve and the paired table. */
function evaluationSections(r: Report): string[] {
  const p = r.protocol;
  if (!p) return [];
  const names = Object.keys(r.methods);
  const givens = Object.keys(p.tuples_by_given);
  const lines: string[] = ["", "## Evaluation protocol", ""];
  lines.push(
    `Test tuples per number of given modalities: ${
      givens.map((k) => `${k}: ${p.tuples_by_given[k]}`).join(", ")
    } — the same tuples, rows and sampler seeds for every method (paired); ${p.rows_per_method} ` +
      `conditional rows per method and seed. Rule: ${p.rule}. 95% intervals: percentile ` +
      `bootstrap, ${p.bootstrap_reps} replicates, over tuples${r.seeds > 1 ? " and seeds" : ""}.`,
    "",
    "| method | " + givens.map((k) => `given ${k} (95% CI)`).join(" | ") + " |",
    `|---|${givens.map(() => "---").join("|")}|`,
  );
  for (const n of names) {
    const m = r.methods[n];
    lines.push(
      `| ${n} | ${
        givens.map((k) => `${fmt(m.coherence_by_given[k])} ${ci(m.coherence_ci_by_given?.[k])}`)
          .join(" | ")
      } |`,
    );
  }
  if (r.ceiling_by_given) {
    lines.push(
      `| *reconstruction ceiling, same tuples* | ${
        givens.map((k) => fmt(r.ceiling_by_given![k])).join(" | ")
      } |`,
    );
  }
  if (r.paired?.length) {
    lines.push(
      "",
      "### Paired differences (a − b, same tuples; * = the 95% CI excludes 0)",
      "",
      "| a − b | " + givens.map((k) => `given ${k}`).join(" | ") + " |",
      `|---|${givens.map(() => "---").join("|")}|`,
    );
    const pairs = [...new Set(r.paired.map((d) => `${d.a}|${d.b}`))];
    for (const key of pairs) {
      const [a, b] = key.split("|");
      const cells = givens.map((k) => {
        const d = r.paired!.find((x) => x.a === a && x.b === b && x.given === k);
        return d
          ? `${d.diff >= 0 ? "+" : ""}${fmt(d.diff)} [${fmt(d.lo)}, ${fmt(d.hi)}]${
            d.significant ? " *" : ""
          }`
          : "–";
      });
      lines.push(`| ${a} − ${b} | ${cells.join(" | ")} |`);
    }
  }
  const inc = p.incremental_given;
  if (inc.length) {
    lines.push(
      "",
      `### Incremental protocol: target m${p.incremental_target}, given the first i others`,
      "",
      "| method | " + inc.map((s) => `given {${s.map((m) => `m${m}`).join(",")}}`).join(" | ") +
        " |",
      `|---|${inc.map(() => "---").join("|")}|`,
    );
    for (const n of names) {
      const m = r.methods[n];
      lines.push(
        `| ${n} | ${
          inc.map((_, i) => `${fmt(m.incremental_coherence?.[i])} ${ci(m.incremental_ci?.[i])}`)
            .join(" | ")
        } |`,
      );
    }
    if (r.incremental_ceiling) {
      lines.push(
        `| *reconstruction ceiling* | ${r.incremental_ceiling.map((v) => fmt(v)).join(" | ")} |`,
      );
    }
  }
  const uc = r.unconditional_ceiling;
  const atKeys = Object.keys(r.methods[names[0]].unconditional_at_least ?? {});
  if (atKeys.length) {
    lines.push(
      "",
      "### Unconditional coherence: samples whose largest agreeing group has ≥ k members",
      "",
      "| method | " + atKeys.map((k) => `≥ ${k} agree`).join(" | ") + " |",
      `|---|${atKeys.map(() => "---").join("|")}|`,
    );
    for (const n of names) {
      const a = r.methods[n].unconditional_at_least ?? {};
      lines.push(`| ${n} | ${atKeys.map((k) => fmt(a[k])).join(" | ")} |`);
    }
    if (uc) {
      lines.push(
        `| *ceiling: reconstructions of test tuples* | ${
          atKeys.map((k) => fmt(uc.at_least[k])).join(" | ")
        } |`,
      );
    }
  }
  lines.push(...scoreScaleSection(r));
  return lines;
}

/**
 * Where γ was chosen from the data (prior.scoreScaleAuto): per method and seed, the γ chosen, the
 * all-agree fraction of the unconditional samples at each γ tried, and the target.
 */
function scoreScaleSection(r: Report): string[] {
  const rows: string[] = [];
  for (const [n, m] of Object.entries(r.methods)) {
    (m.score_scale_choice_by_seed ?? []).forEach((c, k) => {
      if (!c) return;
      const tried = [...c.tried].sort((a, b) => a.gamma - b.gamma)
        .map((t) => `${t.gamma}: ${fmt(t.agree)}`).join(", ");
      rows.push(
        `| ${n} | ${k + 1} | **${c.chosen}**${
          c.below_grid ? " (below the grid)" : ""
        } | ${tried} | ${fmt(c.target)} |`,
      );
    });
  }
  if (!rows.length) return [];
  return [
    "",
    "### Score factor chosen from the data",
    "",
    "γ multiplies every score of the sampler (a sharper prior p^γ for γ > 1). Chosen per method and " +
    "seed as the largest γ of the grid whose unconditional samples (their own sampler seeds) have " +
    "all modalities' classifiers agreeing no more often than on the reconstructions of as many " +
    "train tuples (polyscore/eval/score_scale.ts).",
    "",
    "| method | seed | γ chosen | all agree at each γ tried | train reconstructions |",
    "|---|---|---|---|---|",
    ...rows,
  ];
}
