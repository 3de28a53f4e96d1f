import assert from "node:assert/strict";
import { resolveConfig } from "../pipeline/config/mod.ts";
import { RunStore } from "../runs/store.ts";
import { CACHE_GROUPS, cacheKeys, canonical, seedGroup } from "./cache.ts";

Deno.test("canonical JSON ignores key order", () => {
  assert.deepEqual(
    canonical({ b: 1, a: [1, { d: 2, c: 3 }] }),
    canonical({ a: [1, { c: 3, d: 2 }], b: 1 }),
  );
});

Deno.test("cacheKeys: ε, priors and evaluation share everything; the latent size shares only the classifiers", () => {
  const base = cacheKeys(resolveConfig("tiny"));
  const eps = cacheKeys(resolveConfig("tiny", { "reduction.epsilonFraction": "0.2" }));
  assert.deepEqual(eps, base);
  const prior = cacheKeys(resolveConfig("tiny", { "prior.ema": "0.999", "eval.bootstrap": "50" }));
  assert.deepEqual(prior, base);
  const latent = cacheKeys(resolveConfig("tiny", { "ae.latent": "16" }));
  assert.deepEqual(latent.classifiers, base.classifiers);
  assert.notDeepEqual(latent.autoencoders, base.autoencoders);
  assert.notDeepEqual(latent.latents, base.latents);
  assert.notDeepEqual(latent.reduction, base.reduction);
  const red = cacheKeys(resolveConfig("tiny", { "reduction.steps": "200" }));
  assert.deepEqual(red.autoencoders, base.autoencoders);
  assert.notDeepEqual(red.reduction, base.reduction);
  // The data seed and the number of modalities change every artefact.
  const changes: Record<string, string>[] = [{ seed: "2" }, { modalities: "3" }];
  for (const o of changes) {
    const k = cacheKeys(resolveConfig("tiny", o));
    for (const g of CACHE_GROUPS) {
      assert.notDeepEqual(k[g.name], base[g.name], `${g.name} ${canonical(o)}`);
    }
  }
});

Deno.test("seedGroup links only finished checkpoints of the group and copies its curves", () => {
  const root = Deno.makeTempDirSync();
  const a = RunStore.create(root, { id: "a", config: {}, preset: "tiny", backend: "wasm" });
  const t = { w: { shape: [2], data: new Float32Array([1, 2]) } };
  a.saveCheckpoint("ae_m0", t, { done: "1", step: "10" });
  a.saveCheckpoint("ae_m1", t, { done: "0", step: "5" });
  a.saveCheckpoint("classifier_m0", t, { done: "1", step: "10" });
  a.metric("ae/m0", 5, { loss: 3, recon: 2 });
  a.metric("ae/m0", 10, { loss: 1, recon: 0.5 });
  a.metric("classifier/m0", 10, { loss: 9 });
  const b = RunStore.create(root, { id: "b", config: {}, preset: "tiny", backend: "wasm" });
  const names = seedGroup(a, b, CACHE_GROUPS[0]);
  assert.deepEqual(names, ["ae_m0"]);
  assert.deepEqual(Object.keys(b.checkpointMetadata()), ["ae_m0"]);
  assert.deepEqual(b.loadCheckpoint("ae_m0")!.tensors.w.data, new Float32Array([1, 2]));
  const rows = b.metrics().map((r) => [r.stage, r.step, r.name, r.value]);
  assert.deepEqual(rows.sort(), [
    ["ae/m0", 10, "loss", 1],
    ["ae/m0", 10, "recon", 0.5],
    ["ae/m0", 5, "loss", 3],
    ["ae/m0", 5, "recon", 2],
  ]);
  a.close();
  b.close();
  Deno.removeSync(root, { recursive: true });
});

Deno.test("cacheKeys: the classifier keys added later are left out at their plain values only", () => {
  const base = cacheKeys(resolveConfig("tiny")).classifiers;
  assert.ok(!base.includes('"stem"') && !base.includes('"kernel"'), base);
  assert.ok(base.includes('"shift":0'), base);
  const stem = cacheKeys(resolveConfig("tiny", { "classifier.stem": "8" })).classifiers;
  const kernel = cacheKeys(resolveConfig("tiny", { "classifier.kernel": "5" })).classifiers;
  assert.ok(stem.includes('"stem":8') && kernel.includes('"kernel":5'));
  assert.notEqual(stem, base);
  assert.notEqual(kernel, base);
});
