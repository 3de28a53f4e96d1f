import assert from "node:assert/strict";
import { ConfigError } from "../pipeline/config/mod.ts";
import { expandGrid, parseExperiment } from "./spec.ts";

const throwsConfig = (f: () => unknown, re: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof ConfigError && re.test((e as Error).message));

Deno.test("parseExperiment: the grid expands last axis fastest, with the fixed overrides in every point", () => {
  const spec = parseExperiment({
    preset: "tiny",
    set: { methods: ["sbm-ae", "sbm-srr"], "prior.ema": 0.999 },
    grid: { "ae.latent": [8, 16], "reduction.epsilonFraction": [0.05, 0.1, 0.2] },
  }, "experiments/my-grid.json");
  assert.deepEqual(spec.id, "my-grid");
  const points = expandGrid(spec);
  assert.deepEqual(points.length, 6);
  assert.deepEqual(points.map((p) => [p.config.ae.latent, p.config.reduction.epsilonFraction]), [
    [8, 0.05],
    [8, 0.1],
    [8, 0.2],
    [16, 0.05],
    [16, 0.1],
    [16, 0.2],
  ]);
  for (const p of points) {
    assert.deepEqual(p.config.methods, ["sbm-ae", "sbm-srr"]);
    assert.deepEqual(p.config.prior.ema, 0.999);
    assert.deepEqual(p.config.preset, "tiny");
  }
});

Deno.test("parseExperiment: bad files are refused before anything runs, naming the field", () => {
  throwsConfig(() => parseExperiment([], "x.json"), /JSON object/);
  throwsConfig(() => parseExperiment({ grid: {} }, "x.json"), /at least one axis/);
  throwsConfig(() => parseExperiment({ grid: { "ae.latent": 8 } }, "x.json"), /grid\.ae\.latent/);
  throwsConfig(
    () => parseExperiment({ grid: { "ae.latent": [8, 8] } }, "x.json"),
    /lists a value twice/,
  );
  throwsConfig(
    () => parseExperiment({ set: { "ae.latent": 8 }, grid: { "ae.latent": [8] } }, "x.json"),
    /both in set and in grid/,
  );
  throwsConfig(() => parseExperiment({ grids: {} }, "x.json"), /unknown field "grids"/);
  throwsConfig(() => parseExperiment({ id: "../up", grid: { seed: [1] } }, "x.json"), /id must/);
  // Every point is resolved: a bad key or value names the point.
  throwsConfig(
    () => parseExperiment({ preset: "tiny", grid: { "ae.latnt": [8] } }, "x.json"),
    /grid point 0 \(ae\.latnt=8\).*unknown key/,
  );
  throwsConfig(
    () => parseExperiment({ preset: "tiny", grid: { "prior.ema": [0.5, 1.5] } }, "x.json"),
    /grid point 1 \(prior\.ema=1\.5\).*prior\.ema must be in \[0, 1\)/,
  );
  throwsConfig(() => parseExperiment({ preset: "nope", grid: { seed: [1] } }, "x.json"), /preset/);
});

Deno.test("the shipped experiment files parse", () => {
  for (const f of ["mission.json", "tiny.json"]) {
    const path = new URL(`../../experiments/${f}`, import.meta.url);
    const spec = parseExperiment(JSON.parse(Deno.readTextFileSync(path)), f);
    if (expandGrid(spec).length < 2) throw new Error(`${f} has fewer than 2 grid points`);
  }
});
