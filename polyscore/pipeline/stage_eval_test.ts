/**
 * The conditional Fréchet distance by given count on cases with a known answer, through
 * evaluateMethod itself: a "method" whose samples are the real test images of the tuples it is
 * asked for has distance ≈ 0 to the real test images at every given count (its samples are exactly
 * the reference images: every target uses all test tuples once); one whose samples are a constant
 * image has distance ‖f(c) − μ‖² + tr C (its features have no spread). The features are gathered
 * from the coherence pass: scoreBatchWithFeatures (and predictWithFeatures, for the unconditional
 * samples) return bitwise the scores, digits and features of separate passes.
 */
import assert from "node:assert/strict";
import { Init } from "../../engine/nn/module.ts";
import { Rng } from "../../engine/random.ts";
import { Tensor } from "../../engine/tensor.ts";
import { createWasmCpuBackend } from "../../wasm/cpu/mod.ts";
import type { FeatureStats, ReconstructionStats } from "../eval/ceiling.ts";
import { meanCov } from "../eval/frechet.ts";
import { evalPlan } from "../eval/protocol.ts";
import type { ModalitySpec } from "../data/dataset.ts";
import type { TrainedMethod } from "../methods/method.ts";
import { ConvClassifier } from "../models/classifier.ts";
import { resolveConfig } from "./config/mod.ts";
import { batchTensor, type PipelineContext } from "./context.ts";
import {
  classifierFeatures,
  predictWithFeatures,
  scoreBatch,
  scoreBatchWithFeatures,
  type Scorer,
} from "./stage_classifier.ts";
import { evaluateMethod } from "./stage_eval.ts";

const WASM = await createWasmCpuBackend({ threads: 1 });
const N = 40, MODS = 3, SHAPE = [1, 8, 8];
const SPEC: ModalitySpec = { name: "m", kind: "image", shape: SHAPE };

/** N test tuples of 3 modalities; modality m's pixels are brighter with m (distinct features). */
function context(): PipelineContext {
  const rng = new Rng(11);
  const size = 64;
  // Each image: a brightness of its own (spread in the features) plus pixel noise.
  const data = Array.from({ length: MODS }, (_, m) => {
    const out = new Uint8Array(N * size);
    for (let i = 0; i < N; i++) {
      const level = rng.int(150) + 30 * m, half = rng.int(2);
      for (let j = 0; j < size; j++) {
        out[i * size + j] = Math.min(
          255,
          level * (half === (j < 32 ? 0 : 1) ? 1 : 0.2) + rng.int(30),
        );
      }
    }
    return out;
  });
  const labels = Uint8Array.from({ length: N }, () => rng.int(10));
  const cfg = resolveConfig("tiny", {
    modalities: String(MODS),
    "eval.tuplesBySize": `${N},${N}`,
    "eval.unconditional": String(N),
  });
  const specs = Array.from({ length: MODS }, (_, m) => ({ ...SPEC, name: `m${m}` }));
  return {
    cfg,
    backend: WASM,
    run: { setStage() {} },
    dataset: { name: "fixture", modalities: specs, numClasses: 10 },
    test: { count: N, labels, data },
    quiet: true,
    log() {},
  } as unknown as PipelineContext;
}

function scorers(): Scorer[] {
  return Array.from({ length: MODS }, (_, m) => ({
    kind: "digit" as const,
    clf: new ConvClassifier(new Init(WASM, 30 + m), SHAPE, [4, 8], 16, 10),
  }));
}

async function realStats(ctx: PipelineContext, sc: Scorer[]): Promise<FeatureStats[]> {
  const all = Array.from({ length: N }, (_, i) => i);
  return await Promise.all(sc.map(async (s, m) => {
    const x = batchTensor(WASM, SPEC, ctx.test.data[m], all);
    const f = (await classifierFeatures(s, x))!;
    x.dispose();
    return meanCov(f, N, f.length / N);
  }));
}

/** Fréchet references only (no ceiling outcomes): real images and the "reconstructions". */
function referenceStats(
  real: FeatureStats[],
  reconstructed: FeatureStats[],
): ReconstructionStats {
  return {
    ceiling: [],
    mse: [],
    outcomes: [],
    predictions: [],
    real,
    reconstructed,
    featureRows: N,
  };
}

/** A method whose decoded samples are `image(m, tuple)`. */
function fakeMethod(ctx: PipelineContext, image: (m: number, tuple: number) => Float32Array) {
  return {
    name: "fake",
    generate(obs) {
      return Promise.resolve({
        decoded: (m: number, rows: readonly number[]) => {
          const out = new Float32Array(rows.length * 64);
          rows.forEach((r, b) => out.set(image(m, obs.tuples[r]), b * 64));
          return Tensor.from(ctx.backend, out, [rows.length, ...SHAPE]);
        },
        dispose() {},
      });
    },
    dispose() {},
  } satisfies TrainedMethod;
}

Deno.test("conditional Fréchet distance: the real test images as samples are at ≈ 0 at every given count, a constant image at ‖f(c) − μ‖² + tr C", async () => {
  const ctx = context();
  const sc = scorers();
  const real = await realStats(ctx, sc);
  const constant = new Float32Array(64).fill(0.5);
  const constStats = await Promise.all(sc.map(async (s) => {
    const x = Tensor.from(WASM, constant, [1, ...SHAPE]);
    const f = (await classifierFeatures(s, x))!;
    x.dispose();
    return meanCov(f, 1, f.length);
  }));
  const recon = referenceStats(real, constStats);
  const plan = evalPlan(ctx.cfg.eval, MODS, N, ctx.cfg.seed);
  const ref = { plan, scorers: sc, recon };
  const pixels = (m: number, t: number) =>
    Float32Array.from(ctx.test.data[m].subarray(t * 64, (t + 1) * 64), (v) => v / 255);
  const same = await evaluateMethod(ctx, fakeMethod(ctx, pixels), ref, 1);
  const flat = await evaluateMethod(ctx, fakeMethod(ctx, () => constant), ref, 1);
  assert.deepEqual(Object.keys(same.fd_by_given), ["1", "2"]);
  for (const k of ["1", "2"]) {
    for (let m = 0; m < MODS; m++) {
      const { mean: mu, cov } = real[m], c = constStats[m].mean, d = mu.length;
      let gap = 0, tr = 0;
      for (let j = 0; j < d; j++) gap += (c[j] - mu[j]) ** 2;
      for (let j = 0; j < d; j++) tr += cov[j * d + j];
      const expected = gap + tr;
      // An untrained classifier's features vary little (tr C ~ 1e-4), but they do vary.
      assert.ok(tr > 1e-6, `modality ${m}: the features must vary (tr C = ${tr})`);
      const fdSame = same.fd_by_given[k][m]!, fdFlat = flat.fd_by_given[k][m]!;
      // Measured 0 (clamped roundoff); one tuple swapped for another moves it by ~1e-3 · expected.
      assert.ok(fdSame < 1e-6 * expected, `given ${k}, m${m}: real vs real ${fdSame}`);
      assert.ok(
        Math.abs(fdFlat - expected) < 1e-4 * expected,
        `given ${k}, m${m}: constant ${fdFlat}, expected ${expected}`,
      );
      // Against the second reference (here the constant image's features) the roles swap.
      const vsRecon = same.fd_by_given_vs_reconstruction[k][m]!;
      assert.ok(Math.abs(vsRecon - expected) < 1e-4 * expected, `vs recon ${vsRecon}`);
      assert.ok(flat.fd_by_given_vs_reconstruction[k][m]! < 1e-6 * expected);
    }
  }
  // The unconditional distance of the constant method is the same closed form.
  for (let m = 0; m < MODS; m++) {
    assert.ok(Math.abs(flat.fd_by_modality[m]! - flat.fd_by_given["1"][m]!) < 1e-6);
  }
});

Deno.test("scoreBatchWithFeatures and predictWithFeatures: bitwise the scores, digits and features of separate passes", async () => {
  const ctx = context();
  const [s] = scorers();
  const idx = Array.from({ length: 17 }, (_, i) => i * 2);
  const make = () => batchTensor(WASM, SPEC, ctx.test.data[0], idx);
  const a = await scoreBatch(ctx, s, SPEC, make, idx, 0);
  const b = await scoreBatchWithFeatures(ctx, s, SPEC, make, idx, 0, true);
  const none = await scoreBatchWithFeatures(ctx, s, SPEC, make, idx, 0, false);
  const x = make();
  const f = (await classifierFeatures(s, x))!;
  x.dispose();
  assert.deepEqual(b.scores, a);
  assert.deepEqual(none.scores, a);
  assert.equal(none.features, null);
  assert.deepEqual(Array.from(b.features!), Array.from(f));
  assert.ok(a.some((v) => v === 1) || a.some((v) => v === 0));
  // The unconditional path: digits = argmax of clf.forward, features of the same pass.
  const y = make();
  const both = await predictWithFeatures(s, y, true);
  const logits = await (s as Extract<Scorer, { kind: "digit" }>).clf.forward(y).data();
  y.dispose();
  const argmax = Array.from(idx, (_, b) => {
    const row: number[] = Array.from(logits.subarray(b * 10, b * 10 + 10));
    return row.indexOf(Math.max(...row));
  });
  assert.deepEqual(Array.from(both.digits!), argmax);
  assert.deepEqual(Array.from(both.features!), Array.from(f));
});

Deno.test("evaluateMethod reports its progress to the run store: stage eval/<method>, non-decreasing, ending at 1", async () => {
  const ctx = context();
  const stages: [string, number][] = [];
  ctx.run = {
    setStage: (s: string, p: number) => void stages.push([s, p]),
  } as unknown as typeof ctx.run;
  const sc = scorers();
  const real = await realStats(ctx, sc);
  const recon = referenceStats(real, real);
  const plan = evalPlan(ctx.cfg.eval, MODS, N, ctx.cfg.seed);
  const calls: number[] = [];
  const base = fakeMethod(ctx, () => new Float32Array(64).fill(0.5));
  const method: TrainedMethod = {
    ...base,
    generate(obs, opts) {
      calls.push(obs.rows);
      opts.onProgress?.(Math.floor(obs.rows / 2));
      return base.generate(obs);
    },
  };
  await evaluateMethod(ctx, method, { plan, scorers: sc, recon }, 1);
  const total = plan.rows.subset.length + ctx.cfg.eval.unconditional;
  assert.equal(calls.reduce((a, b) => a + b, 0), total, "rows of all sampler calls");
  assert.ok(stages.length >= 2, `${stages.length} stage updates`);
  assert.ok(stages.every(([s]) => s === "eval/fake"));
  const p = stages.map(([, v]) => v);
  // The first update is the first half call (throttled after it), the last the finished method.
  assert.equal(p[0], Math.floor(calls[0] / 2) / total);
  assert.ok(p.every((v, i) => v >= 0 && v <= 1 && (i === 0 || v >= p[i - 1])), `${p}`);
  assert.equal(p.at(-1), 1);
});
