/**
 * The classifier's group-norm option: off, the parameter names are the plain network's (so older
 * checkpoints load); on, every conv stage has a norm whose parameters get a gradient. (Checked to
 * fail with the norms built but not applied in `featuresOf`.)
 */
import assert from "node:assert/strict";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { Init } from "../../engine/nn/module.ts";
import * as ops from "../../engine/ops/mod.ts";
import { grad, Tensor, tidy } from "../../engine/tensor.ts";
import { randomArray } from "../../engine/testing.ts";
import { ConvClassifier } from "./classifier.ts";

Deno.test("ConvClassifier: group norm is optional and, when on, in the graph", async () => {
  const be = new ReferenceBackend();
  const plain = new ConvClassifier(new Init(be, 1), [1, 8, 8], [4, 6], 5, 3);
  assert.deepEqual(plain.namedParameters().map(([n]) => n), [
    "conv0.weight",
    "conv0.bias",
    "conv1.weight",
    "conv1.bias",
    "fc.weight",
    "fc.bias",
    "out.weight",
    "out.bias",
  ]);
  const normed = new ConvClassifier(new Init(be, 1), [1, 8, 8], [4, 6], 5, 3, { norm: "group" });
  const named = new Map(normed.namedParameters());
  const gammas = ["conv0_norm.weight", "conv1_norm.weight"].map((n) => named.get(n)!);
  const x = Tensor.from(be, randomArray(4 * 64, 2, 0, 1), [4, 1, 8, 8]);
  const y = Tensor.from(be, [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0], [4, 3]);
  const gs = tidy(() => grad(ops.crossEntropy(normed.forward(x), y), gammas));
  for (const g of gs) assert.ok((await g!.data()).some((v) => v !== 0));
});

Deno.test("ConvClassifier: the stem and the kernel size keep the feature sizes and are trained", async () => {
  const be = new ReferenceBackend();
  const clf = new ConvClassifier(new Init(be, 1), [1, 9, 7], [4, 6], 5, 3, { stem: 3, kernel: 5 });
  const named = new Map(clf.namedParameters());
  assert.deepEqual(named.get("stem.weight")!.shape, [3, 1, 3, 3]);
  assert.deepEqual(named.get("conv0.weight")!.shape, [4, 3, 5, 5]);
  // 9 × 7 → 5 × 4 → 3 × 2 as with 3 × 3 kernels: fc reads 6 · 3 · 2 features.
  assert.deepEqual(named.get("fc.weight")!.shape, [5, 36]);
  const x = Tensor.from(be, randomArray(4 * 63, 3, 0, 1), [4, 1, 9, 7]);
  const y = Tensor.from(be, [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0], [4, 3]);
  const [g] = tidy(() => grad(ops.crossEntropy(clf.forward(x), y), [named.get("stem.weight")!]));
  assert.ok((await g!.data()).some((v) => v !== 0));
  assert.throws(
    () => new ConvClassifier(new Init(be, 1), [1, 8, 8], [4], 5, 3, { kernel: 4 }),
    /kernel must be an odd positive integer, got 4/,
  );
});
