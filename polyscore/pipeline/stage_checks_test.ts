import assert from "node:assert/strict";
import {
  checkFinite,
  checkReduction,
  DivergedStageError,
  type ReductionOutputs,
} from "./stage_checks.ts";

const sane = (): ReductionOutputs => ({
  h: Float64Array.from([0.2, 0.01, 0.01, 0.1]),
  d: 2,
  trace: 0.3,
  bound: 0.006,
  epsilon: 0.008,
  gaussianTrace: 0.29,
  finalLosses: [-0.31, -0.27, -0.35, -0.29],
});

Deno.test("gh-19: checkReduction() passes a sane reduction", () => {
  checkReduction("reduction/score_ratio", sane());
  // Minibatch noise around a loss near 0 is not divergence.
  checkReduction("reduction/score_ratio", { ...sane(), finalLosses: [0.02, -0.05, 0.03, -0.01] });
  // Fixed ranks (reduction.ranks or the lift-ceiling selection) have no ε: NaN is not divergence,
  // and the prior-score estimator has no loss.
  checkReduction("reduction/prior_score", { ...sane(), epsilon: NaN, finalLosses: [] });
  assert.throws(
    () => checkReduction("reduction/score_ratio", { ...sane(), epsilon: NaN, bound: NaN }),
    /the bound, ε and tr H is not finite \(entry 0 is NaN\)/,
  );
});

Deno.test("gh-19: checkReduction() fails a diverged reduction with a clear message", () => {
  const isDiverged = (re: RegExp) => (e: Error) =>
    e instanceof DivergedStageError && re.test(e.message) && /learning rate|\.lr/.test(e.message);
  assert.throws(
    () => checkReduction("reduction/score_ratio", { ...sane(), finalLosses: [288, 213, 167, 141] }),
    isDiverged(/loss ended at 202\.3 .*worse than the zero function/),
  );
  assert.throws(
    () => checkReduction("reduction/score_ratio", { ...sane(), trace: 7.2e20, bound: 3.6e20 }),
    isDiverged(/tr H = 7\.200e\+20 is more than 1000× its Gaussian part/),
  );
  const h = sane().h.slice();
  h[3] = Infinity;
  assert.throws(
    () => checkReduction("reduction/score_ratio", { ...sane(), h }),
    isDiverged(/the diagnostic matrix H is not finite \(entry 3 is Infinity\)/),
  );
  assert.throws(() => checkFinite("latents", "the test latents", [0, NaN]), /entry 1 is NaN/);
});
