/**
 * reconstructionStats against separate passes, on untrained networks over two chunks of test
 * tuples (the Fréchet references stop inside the second): the ceiling outcomes are the
 * reconstructions' digits against the labels, and the Fréchet references are the statistics of
 * the real images' features and of the reconstructions' features, bitwise — the latter taken from
 * the pass that scores the reconstructions (predictWithFeatures), not from a second pass.
 */
import assert from "node:assert/strict";
import { Init } from "../../engine/nn/module.ts";
import * as ops from "../../engine/ops/mod.ts";
import { Rng } from "../../engine/random.ts";
import { noGrad, tidy } from "../../engine/tensor.ts";
import { createWasmCpuBackend } from "../../wasm/cpu/mod.ts";
import type { ModalitySpec } from "../data/dataset.ts";
import { ConvClassifier } from "../models/classifier.ts";
import { ConvAutoencoder } from "../models/conv_vae.ts";
import { resolveConfig } from "../pipeline/config/mod.ts";
import { batchTensor, chunks, type PipelineContext } from "../pipeline/context.ts";
import { classifierFeatures, type Scorer } from "../pipeline/stage_classifier.ts";
import { reconstructionStats } from "./ceiling.ts";
import { meanCov } from "./frechet.ts";

const WASM = await createWasmCpuBackend({ threads: 1 });
const N = 300, MODS = 2, SHAPE = [1, 8, 8], FEATURE_ROWS = 260;
const SPEC: ModalitySpec = { name: "m", kind: "image", shape: SHAPE };

Deno.test("reconstructionStats: ceiling outcomes and both Fréchet references equal separate passes, bitwise", async () => {
  const rng = new Rng(4);
  const data = Array.from(
    { length: MODS },
    () => Uint8Array.from({ length: N * 64 }, () => rng.int(256)),
  );
  const labels = Uint8Array.from({ length: N }, () => rng.int(10));
  const specs = Array.from({ length: MODS }, (_, m) => ({ ...SPEC, name: `m${m}` }));
  const ctx = {
    cfg: resolveConfig("tiny", { modalities: String(MODS) }),
    backend: WASM,
    dataset: { name: "fixture", modalities: specs, numClasses: 10 },
    test: { count: N, labels, data },
    quiet: true,
  } as unknown as PipelineContext;
  const aes = specs.map((_, m) =>
    new ConvAutoencoder(new Init(WASM, 20 + m), SHAPE, [4, 6], {
      variant: "ae",
      latent: 3,
      likelihood: "gaussian",
      beta: 0,
      aeNoise: 0,
      aeZWeight: 0,
    })
  );
  const scorers: Scorer[] = specs.map((_, m) => ({
    kind: "digit" as const,
    clf: new ConvClassifier(new Init(WASM, 30 + m), SHAPE, [4, 8], 16, 10),
  }));
  const stats = await reconstructionStats(ctx, aes, scorers, FEATURE_ROWS);
  for (let m = 0; m < MODS; m++) {
    const clf = (scorers[m] as Extract<Scorer, { kind: "digit" }>).clf;
    const outcomes: number[] = [], realF: number[] = [], reconF: number[] = [];
    for (const idx of chunks(N, 256)) {
      const x = batchTensor(WASM, SPEC, data[m], idx);
      const r = tidy(() => noGrad(() => ops.sigmoid(aes[m].decode(aes[m].encode(x).mu))));
      const logits = await tidy(() => noGrad(() => clf.forward(r))).data();
      idx.forEach((t, b) => {
        const row = Array.from(logits.subarray(b * 10, b * 10 + 10));
        outcomes.push(row.indexOf(Math.max(...row)) === labels[t] ? 1 : 0);
      });
      const take = Math.max(0, Math.min(idx.length, FEATURE_ROWS - idx[0]));
      const fr = (await classifierFeatures(scorers[m], x))!;
      const fc = (await classifierFeatures(scorers[m], r))!;
      const d = fr.length / idx.length;
      realF.push(...fr.subarray(0, take * d));
      reconF.push(...fc.subarray(0, take * d));
      x.dispose();
      r.dispose();
    }
    assert.deepEqual(Array.from(stats.outcomes[m]!), outcomes, `outcomes of m${m}`);
    const d = realF.length / FEATURE_ROWS;
    assert.deepEqual(stats.real[m], meanCov(Float64Array.from(realF), FEATURE_ROWS, d));
    assert.deepEqual(stats.reconstructed[m], meanCov(Float64Array.from(reconF), FEATURE_ROWS, d));
    // The two references differ (reconstructions are not the images): the test tells them apart.
    assert.notDeepEqual(stats.real[m]!.mean, stats.reconstructed[m]!.mean);
  }
});
