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
  const normed = new ConvClassifier(new Init(be, 1), [1, 8, 8], [4, 6], 5, 3, "group");
  const named = new Map(normed.namedParameters());
  const gammas = ["conv0_norm.weight", "conv1_norm.weight"].map((n) => named.get(n)!);
  const x = Tensor.from(be, randomArray(4 * 64, 2, 0, 1), [4, 1, 8, 8]);
  const y = Tensor.from(be, [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0], [4, 3]);
  const gs = tidy(() => grad(ops.crossEntropy(normed.forward(x), y), gammas));
  for (const g of gs) assert.ok((await g!.data()).some((v) => v !== 0));
});
