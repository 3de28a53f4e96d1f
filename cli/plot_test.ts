import assert from "node:assert/strict";
import { plotCommand, readLabelled } from "./plot.ts";

// The smallest report `parseReport` accepts.
const report = {
  run_id: "r",
  preset: "tiny",
  backend: "wasm",
  seeds: 1,
  wall_seconds: 1,
  classifier_accuracy: [0.9, 0.9],
  reduction: null,
  methods: { "sbm-ae": { coherence_by_given: { "1": 0.4, "2": 0.5 } } },
};

Deno.test("polyscore plot: LABEL=folder[:methods] reads the folder's report.json; errors name the argument", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/report.json`, JSON.stringify(report));
    const r = await readLabelled(`new=${dir}:sbm-ae`);
    assert.equal(r.label, "new");
    assert.deepEqual(r.methods, ["sbm-ae"]);
    assert.equal(r.report.methods["sbm-ae"].coherence_by_given["2"], 0.5);
    assert.equal((await readLabelled(`all=${dir}/report.json`)).methods, undefined);
    await assert.rejects(() => readLabelled(dir), /expected LABEL=PATH/);
    await assert.rejects(() => readLabelled(`x=${dir}/nope`), /x: .*nope does not exist/);
    await Deno.mkdir(`${dir}/unfinished`);
    await assert.rejects(() => readLabelled(`u=${dir}/unfinished`), /has not finished/);
    await Deno.writeTextFile(`${dir}/bad.json`, "{");
    await assert.rejects(() => readLabelled(`b=${dir}/bad.json`), /b: .*bad\.json is not JSON/);
    await Deno.writeTextFile(`${dir}/x.json`, JSON.stringify({ run_id: "x" }));
    await assert.rejects(
      () => readLabelled(`x=${dir}/x.json`),
      /x: .*x\.json is not a polyscore report: .*preset must be a string/,
    );
    await Deno.writeTextFile(
      `${dir}/y.json`,
      JSON.stringify({ ...report, methods: { "sbm-ae": {} } }),
    );
    await assert.rejects(
      () => readLabelled(`y=${dir}/y.json`),
      /y\.json is not a polyscore report: .*methods\.sbm-ae\.coherence_by_given/,
    );
    const out = `${dir}/c.png`;
    assert.equal(await plotCommand(["--out", out, "--ceilings", `a=${dir}`]), 0);
    assert.ok((await Deno.stat(out)).size > 100);
    assert.equal(await plotCommand([`a=${dir}`]), 2); // no --out
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
