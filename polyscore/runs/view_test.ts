import assert from "node:assert/strict";
import { downsample, readRunView, toSeries } from "./view.ts";
import { RunStore } from "./store.ts";

Deno.test("downsample() averages equal buckets and keeps each bucket's last step", () => {
  const s = { steps: [1, 2, 3, 4, 5, 6], values: [1, 3, null, 5, 7, 9] };
  assert.deepEqual(downsample(s, 3), { steps: [2, 4, 6], values: [2, 5, 8] });
  assert.equal(downsample(s, 10), s, "short series unchanged");
  const long = {
    steps: Array.from({ length: 1001 }, (_, i) => i),
    values: Array.from({ length: 1001 }, (_, i) => i),
  };
  const d = downsample(long, 100);
  assert.equal(d.steps.length, 100);
  assert.equal(d.steps.at(-1), 1000);
});

Deno.test("toSeries() groups by stage and name, sorts steps, a later row replaces an earlier one", () => {
  const rows = [
    { rowid: 1, stage: "ae", step: 2, name: "loss", value: 2, time: 0 },
    { rowid: 2, stage: "ae", step: 1, name: "loss", value: 1, time: 0 },
    { rowid: 3, stage: "ae", step: 2, name: "loss", value: 5, time: 0 },
    { rowid: 4, stage: "prior", step: 1, name: "loss", value: NaN, time: 0 },
  ];
  assert.deepEqual(toSeries(rows), {
    ae: { loss: { steps: [1, 2], values: [1, 5] } },
    prior: { loss: { steps: [1], values: [null] } },
  });
});

Deno.test("readRunView() reads a run read-only with cursors, events and sample files", () => {
  const root = Deno.makeTempDirSync();
  try {
    const run = RunStore.create(root, { id: "v", config: { a: 1 }, preset: "p", backend: "b" });
    for (let i = 1; i <= 50; i++) run.metric("ae", i, { loss: 1 / i });
    run.event("info", "ae", "hello");
    run.writeFile("samples/a.png", new Uint8Array([1]));
    run.writeFile("samples/sub/b.png", new Uint8Array([1]));
    run.writeFile("samples/notes.txt", "x");
    const v = readRunView(root, "v", { maxPoints: 10 });
    assert.equal(v.series.ae.loss.steps.length, 10);
    assert.equal(v.cursor.metric, run.metrics().at(-1)!.rowid);
    assert.equal(v.cursor.event, 1);
    assert.deepEqual(v.samples, ["samples/a.png", "samples/sub/b.png"]);
    assert.deepEqual(v.config, { a: 1 });
    assert.equal(v.report, null);
    assert.equal(v.summary.status, "running");
    run.close();
    assert.throws(() => readRunView(root, "../v"), RangeError);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
