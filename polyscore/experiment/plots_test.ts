import assert from "node:assert/strict";
import { fixtureReport } from "../../tests/_fixtures.ts";
import { resolveConfig } from "../pipeline/config/mod.ts";
import { experimentMarkdown } from "./markdown.ts";
import { experimentPlots, frechetPanels } from "./plots.ts";
import { type ExperimentReport, pointOf } from "./point.ts";

function point(index: number, report: ReturnType<typeof fixtureReport>) {
  return pointOf({
    index,
    values: { modalities: "3" },
    run_id: `run-${index}`,
    status: "done",
    keys: {},
    reused: {},
    config: resolveConfig("tiny", { modalities: "3" }),
    report,
  });
}

Deno.test("frechet.png: the Fréchet distance against the number of given modalities, 0 the unconditional, ± std over seeds", () => {
  const p = point(0, fixtureReport(3, true));
  assert.deepEqual(p.methods["sbm-srr"].fd_by_given_vs_reconstruction, { "1": 14, "2": 13 });
  const panels = frechetPanels([p]);
  assert.equal(panels.length, 1);
  assert.equal(panels[0].title, "M=3 LATENT=8");
  assert.deepEqual(panels[0].series.map((s) => s.label), ["sbm-ae", "sbm-srr", "independent"]);
  const srr = panels[0].series[1];
  assert.deepEqual(srr.x, [0, 1, 2]);
  assert.deepEqual(srr.y, [44, 34, 33]);
  assert.deepEqual(srr.lo, [43.75, 33.5, 32.5]);
  assert.deepEqual(srr.hi, [44.25, 34.5, 33.5]);
  assert.ok(experimentPlots([p])["frechet.png"].length > 0);
  // Reports from before the conditional distance draw no FD panel (no per-modality fallback).
  const old = fixtureReport(3, true);
  for (const m of Object.values(old.methods)) delete m.fd_by_given;
  assert.deepEqual(frechetPanels([point(1, old)]), []);
  assert.equal(experimentPlots([point(1, old)])["frechet.png"], undefined);
});

Deno.test("experiment.md: the Fréchet distance table by given count of each point", () => {
  const p = point(0, fixtureReport(3, true));
  const rep: ExperimentReport = {
    id: "x",
    about: "",
    preset: "tiny",
    set: {},
    axes: [{ key: "modalities", values: ["3"] }],
    reproduce: "deno task experiment x.json",
    points: [p],
    plots: [],
  };
  const md = experimentMarkdown(rep);
  assert.match(md, /Fréchet distance of the conditional samples .*one seed\):/);
  assert.match(md, /\| method \| given 1 \| given 2 \| uncond\. \|/);
  assert.match(md, /\| sbm-srr \| 34\.00 \| 33\.00 \| 44\.00 \|/);
  const three = { ...p, seeds: 3 };
  assert.match(
    experimentMarkdown({ ...rep, points: [three] }),
    /\| sbm-srr \| 34\.00 ± 0\.50 \| 33\.00 ± 0\.50 \| 44\.00 ± 0\.25 \|/,
  );
});
