/**
 * chooseScoreScale on agreement curves with a known answer: the largest γ of the grid at or below
 * the target, by bisection (about log₂ of the grid's length γ tried), the smallest γ flagged when
 * even it agrees more often, the largest when every γ qualifies. The pipeline's use (a variant
 * choosing γ, then the same γ fixed giving bitwise the same coherence) is in tests/pipeline_test.ts.
 */
import assert from "node:assert/strict";
import { chooseScoreScale, digitsOnEveryModality, requireDigitScorers } from "./score_scale.ts";

const GRID = [1, 1.25, 1.5, 1.75, 2, 2.5, 3];

Deno.test("chooseScoreScale: the largest γ whose agreement is at most the target, in ⌈log₂ 8⌉ = 3 tries", async () => {
  // Agreement 0.1·γ: at or below 0.2 up to γ = 2.
  const seen: number[] = [];
  const c = await chooseScoreScale(GRID, 0.2, (g) => {
    seen.push(g);
    return Promise.resolve(0.1 * g);
  });
  assert.equal(c.chosen, 2);
  assert.equal(c.below_grid, false);
  assert.ok(seen.length <= 3, `tried ${seen}`);
  assert.deepEqual(c.tried.map((t) => t.gamma), seen);
  c.tried.forEach((t) => assert.equal(t.agree, 0.1 * t.gamma));
  // Every γ strictly between two grid points: each grid point is found as the answer.
  for (const [i, g] of GRID.entries()) {
    const next = GRID[i + 1] ?? Infinity;
    const t = (g + Math.min(next, g + 1)) / 2;
    const r = await chooseScoreScale(GRID, t, (x) => Promise.resolve(x));
    assert.equal(r.chosen, g, `target ${t}`);
  }
});

Deno.test("chooseScoreScale: below the grid the smallest γ, flagged; above it the largest", async () => {
  const low = await chooseScoreScale(GRID, 0.05, (g) => Promise.resolve(0.1 * g));
  assert.deepEqual([low.chosen, low.below_grid], [1, true]);
  const high = await chooseScoreScale(GRID, 1, (g) => Promise.resolve(0.1 * g));
  assert.deepEqual([high.chosen, high.below_grid], [3, false]);
  const one = await chooseScoreScale([2], 0.5, () => Promise.resolve(0.4));
  assert.deepEqual([one.chosen, one.tried.length], [2, 1]);
});

Deno.test("requireDigitScorers: a modality without a digit classifier is named with the fix", () => {
  assert.throws(
    () => requireDigitScorers([{ kind: "direct" }]),
    /modality 0 has no digit classifier.*set prior\.scoreScaleAuto=false/,
  );
});

Deno.test("digitsOnEveryModality: PolyMNIST-like images with classes yes; no classes, or a mask, no", () => {
  const img = { name: "m0", kind: "image" as const, shape: [3, 28, 28] };
  const mask = { name: "mask", kind: "mask" as const, shape: [1, 28, 28] };
  assert.equal(digitsOnEveryModality({ numClasses: 10, modalities: [img, img] }), true);
  assert.equal(digitsOnEveryModality({ numClasses: 0, modalities: [img, img] }), false);
  assert.equal(digitsOnEveryModality({ numClasses: 10, modalities: [img, mask] }), false);
});
