import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { deriveStatus, keyMetricsOf, listRuns, RunBusyError, RunStore } from "./store.ts";

function withRoot(fn: (root: string) => void | Promise<void>) {
  return async () => {
    const root = Deno.makeTempDirSync({ prefix: "runs_" });
    try {
      await fn(root);
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  };
}

Deno.test(
  "RunStore.create() writes config.json, meta and a WAL database; open() reads them back",
  withRoot((root) => {
    const run = RunStore.create(root, {
      config: { lr: 0.001, m: [1, 2] },
      preset: "tiny",
      backend: "wasm",
    });
    assert.match(run.id, /^\d{8}-\d{6}-[0-9a-f]{6}$/);
    assert.equal(run.dir, `${root}/${run.id}`);
    assert.deepEqual(run.config(), { lr: 0.001, m: [1, 2] });
    const meta = run.meta();
    assert.equal(meta.status, "running");
    assert.equal(meta.pid, String(Deno.pid));
    assert.equal(meta.preset, "tiny");
    assert.equal(meta.backend, "wasm");
    assert.ok(!Number.isNaN(Date.parse(meta.started_at)));
    run.setStage("ae", 0.25);
    run.setMeta("note", "hello");
    assert.equal(run.status(), "running");
    run.close();
    const again = RunStore.open(root, run.id);
    assert.equal(again.meta().stage, "ae");
    assert.equal(again.meta().progress, "0.25");
    assert.equal(again.meta().note, "hello");
    // WAL is a property of the file: a second, independent connection must see it.
    const probe = new DatabaseSync(`${run.dir}/run.sqlite`, { readOnly: true });
    const mode = probe.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
    probe.close();
    assert.equal(mode.journal_mode, "wal");
    again.close();
    assert.throws(
      () => RunStore.create(root, { id: run.id, config: {}, preset: "x", backend: "y" }),
      /folder already exists/,
    );
    assert.throws(() => run.setStage("x", 2), RangeError);
  }),
);

Deno.test(
  "RunStore.open() rejects ids that escape the runs folder and missing runs",
  withRoot((root) => {
    Deno.mkdirSync(`${root}/inner`);
    const run = RunStore.create(`${root}/inner`, {
      id: "ok-1",
      config: {},
      preset: "p",
      backend: "b",
    });
    run.close();
    for (
      const bad of [
        "..",
        ".",
        "../inner/ok-1",
        "ok-1/..",
        "/etc",
        "a/b",
        "a\\b",
        "",
        "x".repeat(200),
        "%2e%2e",
      ]
    ) {
      assert.throws(() => RunStore.open(`${root}/inner`, bad), (e: Error) => {
        assert.ok(e instanceof RangeError || e instanceof TypeError, `${bad}: ${e}`);
        return true;
      }, bad);
    }
    assert.throws(() => RunStore.open(`${root}/inner`, "nope"), /no run "nope" under/);
    assert.throws(
      () => RunStore.create(root, { id: "../evil", config: {}, preset: "p", backend: "b" }),
      /run id/,
    );
    RunStore.open(`${root}/inner`, "ok-1").close();
  }),
);

Deno.test(
  "RunStore.metric() upserts (stage, step, name) and deleteMetricsAfter() drops later steps",
  withRoot((root) => {
    const run = RunStore.create(root, { id: "r", config: {}, preset: "p", backend: "b" });
    for (let step = 1; step <= 5; step++) run.metric("ae", step, { loss: 10 - step, lr: 0.1 });
    run.metric("score", 1, { loss: 3 });
    assert.equal(run.metrics().length, 11);
    assert.equal(run.metrics({ stage: "ae" }).length, 10);
    // A resumed run from a checkpoint at step 3: drop 4..5, then write 4..6 again.
    run.deleteMetricsAfter("ae", 3);
    assert.deepEqual(
      [...new Set(run.metrics({ stage: "ae" }).map((r) => r.step))],
      [1, 2, 3],
    );
    assert.equal(run.metrics({ stage: "score" }).length, 1, "other stages untouched");
    const last = run.metrics().at(-1)!.rowid;
    run.metric("ae", 3, { loss: 6.5 }); // Rewriting a step replaces, never duplicates.
    for (let step = 4; step <= 6; step++) run.metric("ae", step, { loss: 10 - step, lr: 0.1 });
    const ae = run.metrics({ stage: "ae" }).filter((r) => r.name === "loss");
    assert.deepEqual(ae.map((r) => r.step).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6]);
    assert.equal(ae.find((r) => r.step === 3)!.value, 6.5);
    const fresh = run.metrics({ afterRowId: last });
    assert.deepEqual(fresh.map((r) => `${r.step}:${r.name}`), [
      "3:loss",
      "4:loss",
      "4:lr",
      "5:loss",
      "5:lr",
      "6:loss",
      "6:lr",
    ]);
    assert.equal(run.metrics({ limit: 2 }).length, 2);
    run.metric("ae", 7, { loss: NaN });
    assert.ok(Number.isNaN(run.metrics().at(-1)!.value));
    assert.throws(() => run.metric("ae", 1.5, { loss: 1 }), RangeError);
    run.close();
  }),
);

Deno.test(
  "RunStore.event() and events(afterId) page through the log",
  withRoot((root) => {
    const run = RunStore.create(root, { id: "e", config: {}, preset: "p", backend: "b" });
    run.event("info", "ae", "started");
    run.event("warn", "ae", "slow");
    run.event("error", "score", "nan at step 7");
    const all = run.events();
    assert.deepEqual(all.map((e) => e.level), ["info", "warn", "error"]);
    assert.deepEqual(run.events(all[0].id).map((e) => e.message), ["slow", "nan at step 7"]);
    assert.equal(run.events(0, 1).length, 1);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => run.event("debug" as any, "x", "y"), RangeError);
    run.close();
  }),
);

Deno.test(
  "RunStore checkpoints round-trip atomically and corrupt files are named",
  withRoot((root) => {
    const run = RunStore.create(root, { id: "c", config: {}, preset: "p", backend: "b" });
    assert.equal(run.loadCheckpoint("ae_m0"), null);
    const w = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
    run.saveCheckpoint("ae_m0", {
      w: { shape: [3, 4], data: w },
      b: { shape: [4], data: new Float32Array(4) },
    }, {
      step: "100",
    });
    const back = run.loadCheckpoint("ae_m0")!;
    assert.deepEqual(back.metadata, { step: "100" });
    assert.deepEqual(back.tensors.w.shape, [3, 4]);
    assert.deepEqual(Array.from(back.tensors.w.data), Array.from(w));
    assert.deepEqual(
      [...Deno.readDirSync(`${run.dir}/checkpoints`)].map((e) => e.name),
      ["ae_m0.safetensors"],
      "no temp files left behind",
    );
    const path = `${run.dir}/checkpoints/ae_m0.safetensors`;
    const bytes = Deno.readFileSync(path);
    Deno.writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    assert.throws(() => run.loadCheckpoint("ae_m0"), (e: Error) => {
      assert.ok(e.message.includes(path) && e.message.includes("truncated"), e.message);
      return true;
    });
    assert.throws(() => run.saveCheckpoint("../x", {}), RangeError);
    run.close();
  }),
);

Deno.test(
  "RunStore.writeFile() stays inside the run folder",
  withRoot((root) => {
    const run = RunStore.create(root, { id: "f", config: {}, preset: "p", backend: "b" });
    run.writeFile("samples/recon_m0.png", new Uint8Array([1, 2, 3]));
    run.writeFile("report.json", '{"a":1}');
    assert.deepEqual(Array.from(run.readFile("samples/recon_m0.png")!), [1, 2, 3]);
    assert.equal(new TextDecoder().decode(run.readFile("report.json")!), '{"a":1}');
    assert.equal(run.readFile("missing.png"), null);
    for (
      const bad of [
        "../x",
        "a/../../x",
        "/etc/passwd",
        "samples//x",
        "a\\b",
        "",
        "run.sqlite",
        "..",
        "./x",
      ]
    ) {
      assert.throws(() => run.writeFile(bad, "x"), RangeError, bad);
    }
    assert.throws(() => run.readFile("../f/report.json"), RangeError);
    run.close();
    const ro = RunStore.open(root, "f", { readOnly: true });
    assert.throws(() => ro.writeFile("x.txt", "y"), /opened read-only/);
    ro.close();
  }),
);

const WRITER = `
import { RunStore } from "${new URL("./store.ts", import.meta.url).href}";
const [root, mode] = Deno.args;
const run = RunStore.create(root, { id: "live", config: { mode }, preset: "tiny", backend: "ref" });
run.setStage("ae", 0);
for (let step = 1; step <= 40; step++) {
  run.metric("ae", step, { loss: 1 / step });
  run.setStage("ae", step / 40);
  await new Promise((r) => setTimeout(r, 25));
}
await new Promise((r) => setTimeout(r, 500)); // still alive a moment after the last step
if (mode === "finish") { run.setStatus("done"); run.close(); }
else Deno.exit(0); // killed: no status, no close
`;

Deno.test(
  "a read-only reader sees a live writer's metrics (WAL); a killed writer's run is resumable",
  withRoot(async (root) => {
    const script = `${root}/writer.ts`;
    Deno.writeTextFileSync(script, WRITER);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-config", script, root, "kill"],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const seen: number[] = [];
    let sawRunning = false;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        const ro = RunStore.open(root, "live", { readOnly: true });
        const rows = ro.metrics({ afterRowId: seen.length ? seen.at(-1)! : 0 });
        for (const r of rows) seen.push(r.rowid);
        ro.close();
        if (rows.length > 0 && !sawRunning) {
          const s = listRuns(root).find((r) => r.id === "live");
          if (s?.status === "running") sawRunning = true;
        }
      } catch (e) {
        if (!(e instanceof RangeError)) throw e; // not created yet
      }
      if (seen.length >= 40) break;
      await new Promise((r) => setTimeout(r, 15));
    }
    const status = await child.output();
    assert.ok(status.success, new TextDecoder().decode(status.stderr));
    assert.equal(seen.length, 40);
    assert.ok(sawRunning, "the live run was listed as running while it wrote");
    const [summary] = listRuns(root);
    assert.equal(summary.id, "live");
    assert.equal(summary.status, "resumable", "writer exited without a final status");
    assert.equal(summary.stage, "ae");
    assert.equal(summary.progress, 1);
    // Resume: the same id, written by this process, is running again.
    const run = RunStore.open(root, "live");
    run.setStatus("running");
    assert.equal(listRuns(root)[0].status, "running");
    run.setStatus("failed", "boom");
    assert.equal(listRuns(root)[0].status, "failed");
    assert.equal(listRuns(root)[0].message, "boom");
    run.close();
  }),
);

Deno.test(
  "listRuns() sorts newest first, reads report.json key metrics, tolerates junk",
  withRoot((root) => {
    const a = RunStore.create(root, { id: "a", config: {}, preset: "quick", backend: "wasm" });
    a.writeFile(
      "report.json",
      JSON.stringify({
        run_id: "a",
        preset: "quick",
        backend: "wasm",
        seeds: 1,
        methods: {
          "sbm-ae": {
            coherence_by_given: { "1": 0.2, "2": 0.3, "4": 0.46, "3": 0.39 },
            unconditional_coherence: 0.1,
          },
        },
        classifier_accuracy: [0.97, 0.99],
        wall_seconds: 512,
      }),
    );
    a.setStatus("done");
    a.close();
    Deno.mkdirSync(`${root}/not-a-run`);
    Deno.mkdirSync(`${root}/broken`);
    Deno.writeTextFileSync(
      `${root}/broken/run.sqlite`,
      "this is not sqlite, just text padding ".repeat(10),
    );
    const runs = listRuns(root);
    assert.deepEqual(runs.map((r) => r.id).sort(), ["a", "broken"]);
    const ra = runs.find((r) => r.id === "a")!;
    assert.equal(ra.status, "done");
    assert.equal(ra.keyMetrics["sbm-ae coh@4"], 0.46);
    assert.equal(ra.keyMetrics["wall s"], 512);
    assert.ok(Math.abs(ra.keyMetrics["classifier acc"] - 0.98) < 1e-12);
    const rb = runs.find((r) => r.id === "broken")!;
    assert.equal(rb.status, "failed");
    assert.ok(rb.error);
    assert.deepEqual(listRuns(`${root}/missing`), []);
    assert.deepEqual(keyMetricsOf(null), {});
  }),
);

Deno.test("deriveStatus() needs a fresh heartbeat and a live pid for running", () => {
  const now = 1_000_000;
  assert.equal(
    deriveStatus({ status: "running", heartbeat: String(now - 1000), pid: String(Deno.pid) }, now),
    "running",
  );
  assert.equal(
    deriveStatus(
      { status: "running", heartbeat: String(now - 61_000), pid: String(Deno.pid) },
      now,
    ),
    "resumable",
  );
  assert.equal(
    deriveStatus({ status: "running", heartbeat: String(now), pid: "999999999" }, now),
    "resumable",
  );
  assert.equal(deriveStatus({ status: "done" }, now), "done");
  assert.equal(deriveStatus({ status: "failed" }, now), "failed");
});

Deno.test("gh-19: one trainer per run; the lock of a killed trainer is not stuck", async () => {
  const root = Deno.makeTempDirSync();
  try {
    const a = RunStore.create(root, { id: "r", config: {}, preset: "tiny", backend: "wasm" });
    a.lockTrainer();
    const b = RunStore.open(root, "r");
    assert.throws(
      () => b.lockTrainer(),
      (e: Error) =>
        e instanceof RunBusyError &&
        e.message.startsWith(`Cannot train run r: another trainer is writing it (pid ${Deno.pid},`),
    );
    a.close();
    b.lockTrainer(); // released by close()
    b.close();

    // Another process takes the lock and is killed with SIGKILL: the lock goes with it.
    const script = `const f = Deno.openSync(${
      JSON.stringify(`${root}/r/trainer.lock`)
    }, { read: true, write: true });
      f.lockSync(true); console.log("locked"); setTimeout(() => {}, 60000);`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    assert.match(new TextDecoder().decode(value), /locked/);
    const c = RunStore.open(root, "r");
    assert.throws(() => c.lockTrainer(), RunBusyError);
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    c.lockTrainer();
    c.close();
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
