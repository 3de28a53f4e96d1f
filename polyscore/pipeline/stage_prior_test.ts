/**
 * The prior stage's checkpoints with the options of issue 15: a run killed after its first partial
 * checkpoint and resumed ends with bitwise the same sampling weights as an uninterrupted run (the
 * EMA shadows, the optimiser and the noise counter are all restored), and a finished checkpoint
 * restores those weights again. In-process, with an in-memory run sink, on the Wasm backend (f32
 * storage, as the f32 checkpoints: the f64 reference would round at every save).
 */
import assert from "node:assert/strict";
import type { Backend } from "../../engine/backend.ts";
import { createWasmCpuBackend } from "../../wasm/cpu/mod.ts";
import { Rng } from "../../engine/random.ts";
import type { HostTensor } from "./checkpoint.ts";
import { resolveConfig } from "./config/mod.ts";
import type { PipelineContext, RunSink } from "./context.ts";
import { priorGenerator, type PriorSpace, trainPrior } from "./stage_prior.ts";

type Saved = { tensors: Record<string, HostTensor>; metadata: Record<string, string> };

/** A run sink holding checkpoints in memory; `killAfterSave` throws after the n-th save. */
function memorySink(store: Map<string, Saved>, killAfterSave = Infinity): RunSink {
  let saves = 0;
  return {
    setStage() {},
    metric() {},
    deleteMetricsAfter() {},
    metrics: () => [],
    event() {},
    saveCheckpoint(name, tensors, metadata = {}) {
      store.set(name, structuredClone({ tensors, metadata }));
      if (++saves >= killAfterSave) throw new Error("killed");
    },
    loadCheckpoint: (name) => structuredClone(store.get(name) ?? null),
    renameCheckpoint(from, to) {
      const c = store.get(from);
      store.delete(from);
      if (c) store.set(to, c);
    },
    writeFile() {},
    readFile: () => null,
  };
}

/** A context with just what the prior stage reads. */
export function priorContext(
  overrides: Record<string, string>,
  run: RunSink,
  backend: Backend = WASM,
): PipelineContext {
  const cfg = resolveConfig("tiny", {
    "prior.width": "16",
    "prior.blocks": "1",
    "prior.embed": "8",
    "prior.timeWidth": "8",
    "prior.steps": "40",
    "prior.batch": "16",
    ...overrides,
  });
  return {
    cfg,
    backend,
    run,
    quiet: true,
    log() {},
  } as unknown as PipelineContext;
}

const WASM = await createWasmCpuBackend({ threads: 1 });

const SPACE: PriorSpace = { name: "sbm-ae", dims: [2, 3], maps: null };
const N = 64;

function data(): Float32Array {
  const rng = new Rng(9);
  return Float32Array.from({ length: N * 5 }, () => rng.normal());
}

async function weights(ctx: PipelineContext): Promise<Float64Array[]> {
  const prior = await trainPrior(ctx, SPACE, data(), N, 1);
  const out = await Promise.all(
    prior.model.parameters().map(async (p) => Float64Array.from(await p.data())),
  );
  prior.model.dispose();
  return out;
}

/** Runs uninterrupted, and killed after the first partial checkpoint then resumed. */
export async function killResume(overrides: Record<string, string>) {
  const whole = await weights(priorContext(overrides, memorySink(new Map())));
  const store = new Map<string, Saved>();
  await assert.rejects(weights(priorContext(overrides, memorySink(store, 1))), /killed/);
  const partial = store.get("prior_sbm-ae")!;
  assert.equal(partial.metadata.done, "0");
  const resumed = await weights(priorContext(overrides, memorySink(store)));
  const finished = store.get("prior_sbm-ae")!;
  assert.equal(finished.metadata.done, "1");
  const restored = await weights(priorContext(overrides, memorySink(store)));
  return { whole, resumed, restored, partial, finished };
}

Deno.test("prior.ema: a killed and resumed prior samples from bitwise the same EMA weights", async () => {
  const r = await killResume({ "prior.ema": "0.9" });
  assert.ok(Object.keys(r.partial.tensors).some((k) => k.startsWith("ema.")), "partial has ema.*");
  assert.ok(Object.keys(r.finished.tensors).some((k) => k.startsWith("ema.")), "final has ema.*");
  r.whole.forEach((w, i) => {
    assert.deepEqual(r.resumed[i], w, `resumed parameter ${i}`);
    assert.deepEqual(r.restored[i], w, `restored parameter ${i}`);
  });
  // The EMA weights are what the prior samples from: they differ from the raw final weights.
  const raw = Object.entries(r.finished.tensors).filter(([k]) => !k.startsWith("ema."));
  assert.notDeepEqual(Float64Array.from(raw[0][1].data), r.whole[0]);
});

Deno.test("prior.ema=0 keeps no EMA in the checkpoints", async () => {
  const r = await killResume({});
  assert.ok(!Object.keys(r.finished.tensors).some((k) => k.startsWith("ema.")));
  r.whole.forEach((w, i) => assert.deepEqual(r.resumed[i], w, `resumed parameter ${i}`));
});

Deno.test("prior.conditioning=masked: the kept-block draws resume exactly (with EMA)", async () => {
  const r = await killResume({ "prior.conditioning": "masked", "prior.ema": "0.9" });
  assert.deepEqual(r.finished.tensors["time1.weight"].shape, [8, 16], "two time inputs of 8");
  r.whole.forEach((w, i) => {
    assert.deepEqual(r.resumed[i], w, `resumed parameter ${i}`);
    assert.deepEqual(r.restored[i], w, `restored parameter ${i}`);
  });
});

Deno.test("priorGenerator's onProgress: called after every sampler step, rows done non-decreasing up to all rows, samples bitwise unchanged", async () => {
  const ctx = priorContext({}, memorySink(new Map()));
  const prior = await trainPrior(ctx, SPACE, data(), N, 1);
  const gen = priorGenerator(ctx, "sbm-ae", prior, 5);
  const rows = 12, steps = 7;
  const mask = Uint8Array.from({ length: rows * 2 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const zObs = data().subarray(0, rows * 5);
  const plain = await gen.generate(mask, zObs, rows, 5, { steps });
  const seen: number[] = [];
  const watched = await gen.generate(mask, zObs, rows, 5, {
    steps,
    onProgress: (done) => seen.push(done),
  });
  prior.model.dispose();
  assert.deepEqual(watched, plain);
  // One call per time step (its share of the chunk's rows), then one for the finished chunk.
  assert.equal(seen.length, steps + 1);
  assert.deepEqual(seen, [1, 3, 5, 6, 8, 10, 12, 12]);
});
