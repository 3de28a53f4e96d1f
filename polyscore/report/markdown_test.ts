import assert from "node:assert/strict";
import { fixtureReport } from "../../tests/_fixtures.ts";
import { aggregate, givenFrechetSections, reportMarkdown } from "./markdown.ts";
import { parseReport, type Report, ReportFormatError } from "./report.ts";
import type { MethodResult } from "../pipeline/stage_eval.ts";

Deno.test("report.md gives ± std only when there are several seeds", () => {
  const one = fixtureReport(3, true);
  const md1 = reportMarkdown(one);
  assert.match(md1, /## Conditional coherence by number of given modalities \(one seed\)/);
  assert.doesNotMatch(md1, /± 0\.000/);
  assert.match(md1, /\| sbm-ae \| 0\.200 \| 0\.280 \| 0\.100 \|/);
  const three = { ...one, seeds: 3 };
  const md3 = reportMarkdown(three);
  assert.match(md3, /mean ± std over 3 seeds/);
  assert.match(md3, /\| sbm-ae \| 0\.200 ± 0\.0\d\d \| 0\.280 ± 0\.0\d\d \|/);
});

Deno.test("report.md puts the linear probe beside the reconstruction ceiling, and omits it when absent", () => {
  const r = fixtureReport(3, true);
  const ceil = r.reconstruction_ceiling.map((c) => c!.toFixed(3));
  const withProbe = reportMarkdown({ ...r, linear_probe: [0.91, 0.875, 0.5] });
  assert.match(
    withProbe,
    /\| reconstruction ceiling \| linear probe \(label ← z_m\) \| reconstruction MSE \|/,
  );
  assert.match(
    withProbe,
    new RegExp(`\\| m1 \\| [0-9.]+ \\| ${ceil[1]} \\| 0\\.875 \\| [0-9.]+ \\|`),
  );
  const without = reportMarkdown({ ...r, linear_probe: undefined });
  assert.doesNotMatch(without, /linear probe/);
  assert.match(without, new RegExp(`\\| m1 \\| [0-9.]+ \\| ${ceil[1]} \\| [0-9.]+ \\|$`, "m"));
});

Deno.test("report.md has the Fréchet distance by given count (± std only with several seeds), and older reports go without it", () => {
  const r = fixtureReport(3, true);
  const md = reportMarkdown(r);
  assert.match(md, /## Fréchet distance by number of given modalities \(.*one seed, no CI\)/);
  const protocol = { fd_rows_by_target: [500, 480, 500], fd_reference_rows: 500 };
  assert.match(
    givenFrechetSections({ ...r, protocol: protocol as Report["protocol"] }).join("\n"),
    /Samples per target at every given count: 500, 480, 500 \(references: 500 images\)/,
  );
  assert.match(md, /\| method \| given 1 \| given 2 \| unconditional \|/);
  assert.match(md, /\| sbm-srr \| 34\.00 \| 33\.00 \| 44\.00 \|/);
  assert.match(md, /\| sbm-srr \| 14\.00 \| 13\.00 \|\n/, "against the reconstructions");
  const md3 = reportMarkdown({ ...r, seeds: 3 });
  assert.match(md3, /\| sbm-srr \| 34\.00 ± 0\.50 \| 33\.00 ± 0\.50 \| 44\.00 ± 0\.25 \|/);
  const old = structuredClone(r);
  for (const m of Object.values(old.methods)) delete m.fd_by_given;
  assert.doesNotMatch(reportMarkdown(old), /Fréchet distance by number of given/);
});

Deno.test("aggregate: the conditional FD by given count is the mean over targets, its std over seeds that of the per-seed means", () => {
  const seed = (fd: (number | null)[][], rec: number[][]) =>
    ({
      coherence_by_given: { "1": 0.5, "2": 0.5 },
      coherence_by_target: [0.5, 0.5, 0.5],
      coherence_by_subset: {},
      unconditional_coherence: 0.1,
      unconditional_at_least: null,
      fd_by_modality: [1, 2, 3],
      fd_vs_reconstruction: [1, 1, 1],
      fd_by_given: { "1": fd[0], "2": fd[1] },
      fd_by_given_vs_reconstruction: { "1": rec[0], "2": rec[1] },
      wall_seconds: 1,
      score_scale: 1,
      score_scale_choice: null,
      outcomes: new Map(),
    }) as MethodResult;
  const a = aggregate([
    seed([[10, 20, null], [4, 6, null]], [[1, 2, 3], [0, 0, 0]]),
    seed([[14, 24, null], [6, 8, null]], [[3, 4, 5], [0, 0, 3]]),
  ]);
  // Per seed, given 1: mean of the targets with a value (15, 19); over seeds 17 ± 2√2.
  assert.equal(a.fd_by_given!["1"], 17);
  assert.ok(Math.abs(a.fd_by_given_std!["1"]! - 2 * Math.SQRT2) < 1e-12);
  assert.equal(a.fd_by_given!["2"], 6);
  assert.deepEqual(a.fd_by_given_by_target!["1"], [12, 22, null]);
  assert.equal(a.fd_by_given_vs_reconstruction!["1"], 3);
  assert.equal(a.fd_by_given_vs_reconstruction!["2"], 0.5);
  assert.deepEqual(a.fd_by_given_vs_reconstruction_by_target!["2"], [0, 0, 1.5]);
  assert.equal(a.fd_unconditional, 2);
  assert.equal(a.fd_unconditional_std, 0);
});

Deno.test("parseReport names a conditional FD that is not numbers by given count", () => {
  const r = fixtureReport(3, true);
  assert.equal(parseReport(JSON.parse(JSON.stringify(r))).methods["sbm-ae"].fd_by_given!["1"], 36);
  const bad = JSON.parse(JSON.stringify(r));
  bad.methods["sbm-srr"].fd_by_given = { "1": "34" };
  assert.throws(
    () => parseReport(bad),
    (e: Error) =>
      e instanceof ReportFormatError &&
      e.message === "Cannot read report.json: methods.sbm-srr.fd_by_given must be numbers " +
          "(or null) by given count",
  );
});

Deno.test("report.md states the sampler's SNRs and code_quirk's gain, and older reports go without them", () => {
  const base = {
    conditioning: "replacement",
    observed_noise: "code_quirk",
    mask_prob: null,
    ema: 0,
    standardize: false,
    sampler: "pc",
    sample_steps: 50,
    final_corrector_steps: 10,
    nfe: 110,
  };
  const r = fixtureReport(3, true);
  const older = reportMarkdown({ ...r, prior: base });
  assert.match(older, /re-imposed "code_quirk"\), EMA off/);
  assert.match(older, /50 steps \+ 10 final corrector steps: \*\*110 network/);
  const same = reportMarkdown({
    ...r,
    prior: { ...base, snr: 0.16, final_snr: 0.16, observed_gain: 1 },
  });
  assert.match(same, /re-imposed "code_quirk"\), EMA off/);
  assert.match(same, /10 final corrector steps \(corrector SNR 0\.16\): \*\*110/);
  const tuned = reportMarkdown({
    ...r,
    prior: { ...base, snr: 0.35, final_snr: 0.16, observed_gain: 2 },
  });
  assert.match(tuned, /re-imposed "code_quirk" with gain 2\)/);
  assert.match(tuned, /\(corrector SNR 0\.35, 0\.16 in the final steps\): \*\*110/);
  const one = reportMarkdown({
    ...r,
    prior: { ...base, snr: 0.16, final_snr: 0.16, score_scale: 1 },
  });
  assert.doesNotMatch(one, /every score ×/);
  const sharp = reportMarkdown({
    ...r,
    prior: { ...base, snr: 0.16, final_snr: 0.16, score_scale: 1.5 },
  });
  assert.match(sharp, /\(corrector SNR 0\.16\), every score × 1\.5 \(a sharper prior\): \*\*110/);
});
