import assert from "node:assert/strict";
import { resolveConfig } from "../pipeline/config/mod.ts";
import { methodsNamed } from "./mod.ts";

Deno.test("mmvaeplus is selectable by name and its config section is validated, naming the key", () => {
  const cfg = resolveConfig("tiny", { methods: "mmvaeplus,independent" });
  assert.deepEqual(methodsNamed(cfg.methods).map((m) => m.name), ["mmvaeplus", "independent"]);
  // The paper's PolyMNIST settings in the polymnist preset: w = z = 32, batch 128, lr 1e-3.
  const paper = resolveConfig("polymnist").mmvaeplus;
  assert.deepEqual(
    [paper.latentShared, paper.latentPrivate, paper.batch, paper.lr, paper.likelihoodScale],
    [32, 32, 128, 1e-3, 0.75],
  );
  assert.equal(paper.likelihood, "laplace");
  assert.throws(
    () => resolveConfig("tiny", { "mmvaeplus.likelihood": "l1" }),
    /mmvaeplus\.likelihood must be one of laplace, gaussian: current value is "l1"/,
  );
  const bad: [Record<string, string>, RegExp][] = [
    [{ "mmvaeplus.k": "0" }, /mmvaeplus\.k must be an integer >= 1: current value is 0/],
    [{ "mmvaeplus.k": "1000" }, /mmvaeplus\.k must be <= 256/],
    [{ "mmvaeplus.latentShared": "1.5" }, /mmvaeplus\.latentShared must be an integer/],
    [{ "mmvaeplus.hidden": "" }, /mmvaeplus\.hidden must list at least one width/],
    [{ "mmvaeplus.beta": "-1" }, /mmvaeplus\.beta must be >= 0/],
    [{ "mmvaeplus.likelihoodScale": "0" }, /mmvaeplus\.likelihoodScale must be > 0/],
    [{ "mmvaeplus.lrFinal": "0" }, /mmvaeplus\.lrFinal must be in \(0, 1\]/],
    [{ "mmvaeplus.maxGradNorm": "-1" }, /mmvaeplus\.maxGradNorm must be >= 0/],
    [{ "mmvaeplus.nope": "1" }, /Cannot set "mmvaeplus\.nope": unknown key/],
  ];
  for (const [o, re] of bad) assert.throws(() => resolveConfig("tiny", o), re, JSON.stringify(o));
});
