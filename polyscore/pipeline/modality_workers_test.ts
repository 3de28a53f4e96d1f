/**
 * Modality workers: autoencoders and classifiers trained two at a time in workers (1 Wasm thread
 * each) write bit for bit the checkpoints and metrics that one-at-a-time training on two threads
 * writes, continue a partial checkpoint as the sequential stage does, and stop the run with the
 * sequential stage's error when a loss turns non-finite. Small synthetic images, in-memory run.
 */
import assert from "node:assert/strict";
import { assetUrl } from "../../engine/assets.ts";
import { Rng } from "../../engine/random.ts";
import { NonFiniteLossError } from "../../engine/train/loop.ts";
import { createWasmCpuBackend } from "../../wasm/cpu/mod.ts";
import type { MultimodalDataset } from "../data/dataset.ts";
import type { HostTensor } from "./checkpoint.ts";
import { resolveConfig } from "./config/mod.ts";
import type { DenseSplit, PipelineContext, RunSink } from "./context.ts";
import type { ModalityWorkers } from "./modality_workers.ts";
import { trainAutoencoders } from "./stage_ae.ts";
import { trainClassifiers } from "./stage_classifier.ts";

type Saved = { tensors: Record<string, HostTensor>; metadata: Record<string, string> };

/** The run's writes, in memory; `killAfterSave` throws after that many checkpoint saves. */
class MemoryRun implements RunSink {
  readonly checkpoints = new Map<string, Saved>();
  readonly rows: string[] = [];
  /** The context's log lines ("stage: message"). */
  readonly logs: string[] = [];
  #saves = 0;
  constructor(readonly killAfterSave = Infinity) {}
  setStage() {}
  metric(stage: string, step: number, values: Record<string, number>) {
    this.rows.push(`${stage} ${step} ${JSON.stringify(values)}`);
  }
  deleteMetricsAfter(stage: string, step: number) {
    const keep = this.rows.filter((r) => {
      const [s, n] = r.split(" ");
      return s !== stage || Number(n) <= step;
    });
    this.rows.splice(0, this.rows.length, ...keep);
  }
  metrics() {
    return [];
  }
  event() {}
  saveCheckpoint(name: string, tensors: Record<string, HostTensor>, metadata = {}) {
    this.checkpoints.set(name, structuredClone({ tensors, metadata }));
    if (++this.#saves >= this.killAfterSave) throw new Error("killed");
  }
  loadCheckpoint(name: string) {
    return structuredClone(this.checkpoints.get(name) ?? null);
  }
  renameCheckpoint() {}
  writeFile() {}
  readFile() {
    return null;
  }
  /** The metric rows sorted by stage (workers interleave stages; each stage keeps its order). */
  byStage(): string[] {
    return [...this.rows].sort((a, b) => a.split(" ")[0].localeCompare(b.split(" ")[0]));
  }
}

const M = 3, TRAIN = 256, TEST = 64;
const SPECS = Array.from({ length: M }, (_, m) => ({
  name: `m${m}`,
  kind: "image" as const,
  shape: [3, 28, 28],
}));

/** Random digits-like tuples: uint8 images, labels 0..9. */
function split(count: number, seed: number): DenseSplit {
  const rng = new Rng(seed);
  return {
    count,
    labels: Uint8Array.from({ length: count }, () => Math.floor(rng.uniform() * 10)),
    data: SPECS.map(() =>
      Uint8Array.from({ length: count * 3 * 28 * 28 }, () => Math.floor(rng.uniform() * 256))
    ),
  };
}
const TRAIN_SPLIT = split(TRAIN, 1), TEST_SPLIT = split(TEST, 2);

const BACKEND = await createWasmCpuBackend({ threads: 2 });
const WORKERS: ModalityWorkers = { url: assetUrl("cli/modality_worker.ts"), count: 2 };

function context(run: MemoryRun, overrides: Record<string, string> = {}): PipelineContext {
  const cfg = resolveConfig("tiny", {
    modalities: String(M),
    "ae.steps": "24",
    "ae.batch": "16",
    "classifier.steps": "16",
    "classifier.batch": "16",
    ...overrides,
  });
  const dataset = {
    name: "synthetic",
    modalities: SPECS,
    numClasses: 10,
  } as unknown as MultimodalDataset;
  return {
    cfg,
    backend: BACKEND,
    run,
    dataset,
    train: TRAIN_SPLIT,
    test: TEST_SPLIT,
    quiet: true,
    log: (stage, message) => run.logs.push(`${stage}: ${message}`),
  };
}

/** Whether the workers trained `names` (their start line), not the sequential fallback. */
function workersTrained(run: MemoryRun, kind: string, names: string, at = 2): boolean {
  return run.logs.includes(
    `${kind}: training ${names} ${at} at a time in workers (one Wasm thread each; the same bits as one at a time)`,
  );
}

function assertSameCheckpoints(a: MemoryRun, b: MemoryRun): void {
  assert.deepEqual([...a.checkpoints.keys()].sort(), [...b.checkpoints.keys()].sort());
  for (const [name, x] of a.checkpoints) {
    const y = b.checkpoints.get(name)!;
    assert.deepEqual(y.metadata, x.metadata, name);
    assert.deepEqual(Object.keys(y.tensors).sort(), Object.keys(x.tensors).sort(), name);
    for (const [t, v] of Object.entries(x.tensors)) {
      assert.deepEqual(y.tensors[t].shape, v.shape, `${name} ${t}`);
      const w = y.tensors[t].data;
      const bits = (d: Float32Array) => new Uint32Array(d.buffer, d.byteOffset, d.length);
      const a = bits(v.data), b = bits(w);
      const same = a.length === b.length && a.every((u, i) => u === b[i]);
      assert.ok(same, `${name} ${t}: the workers' bits differ from one-at-a-time training`);
    }
  }
}

Deno.test("modality workers write one-at-a-time training's checkpoints and metrics, bit for bit", async () => {
  const seq = new MemoryRun(), par = new MemoryRun();
  const aSeq = await trainAutoencoders(context(seq));
  const cSeq = await trainClassifiers(context(seq));
  const aPar = await trainAutoencoders(context(par), WORKERS);
  const cPar = await trainClassifiers(context(par), WORKERS);
  assert.equal(seq.checkpoints.size, 2 * M);
  // Whole rounds: the workers take m0 and m1, and m2 trains on the main backend's two threads.
  assert.ok(workersTrained(par, "ae", "m0, m1") && workersTrained(par, "classifier", "m0, m1"));
  assert.ok(!workersTrained(seq, "ae", "m0, m1"));
  assertSameCheckpoints(seq, par);
  assert.deepEqual(par.byStage(), seq.byStage());
  assert.deepEqual(cPar.accuracy, cSeq.accuracy);
  for (const [m, ae] of aPar.entries()) {
    const p = ae.parameters(), q = aSeq[m].parameters();
    for (let i = 0; i < p.length; i++) assert.deepEqual(await p[i].data(), await q[i].data());
  }
  [...aSeq, ...aPar].forEach((ae) => ae.dispose());
});

Deno.test("modality workers continue a killed stage's partial checkpoint exactly", async () => {
  const whole = new MemoryRun();
  await trainAutoencoders(context(whole));
  // 24 steps save at 10, 20 and 24 (done), so the fifth save is m1's partial at step 20: the
  // kill leaves m0 finished, m1 partial and m2 untrained, and the workers take m1 and m2.
  const killed = new MemoryRun(5);
  await assert.rejects(trainAutoencoders(context(killed)), /killed/);
  const partial = [...killed.checkpoints.values()].filter((c) => c.metadata.done !== "1");
  assert.deepEqual(partial.map((c) => c.metadata.step), ["20"]);
  const resumed = new MemoryRun();
  for (const [k, v] of killed.checkpoints) resumed.checkpoints.set(k, v);
  await trainAutoencoders(context(resumed), WORKERS);
  assert.ok(workersTrained(resumed, "ae", "m1, m2"), resumed.logs.join("\n"));
  assertSameCheckpoints(whole, resumed);
});

Deno.test("a worker's non-finite loss stops the stage with NonFiniteLossError naming it", async () => {
  const run = new MemoryRun();
  const err = await trainAutoencoders(
    context(run, { "ae.lr": "1e30", "ae.maxGradNorm": "0" }),
    WORKERS,
  )
    .then(() => null, (e) => e);
  assert.ok(workersTrained(run, "ae", "m0, m1"));
  assert.ok(err instanceof NonFiniteLossError, `got ${err}`);
  assert.match(err.message, /Cannot train ae\/m[0-2]: \w+ became non-finite/);
});

Deno.test("modality workers without a limit train every modality at once, with the same bits", async () => {
  const seq = new MemoryRun(), all = new MemoryRun();
  await trainAutoencoders(context(seq));
  await trainAutoencoders(context(all), { ...WORKERS, count: Infinity });
  assert.ok(workersTrained(all, "ae", "m0, m1, m2", 3), all.logs.join("\n"));
  assertSameCheckpoints(seq, all);
});
