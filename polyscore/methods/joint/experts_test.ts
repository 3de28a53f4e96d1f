import assert from "node:assert/strict";
import { ReferenceBackend } from "../../../engine/reference/backend.ts";
import * as ops from "../../../engine/ops/mod.ts";
import { Tensor, tidy } from "../../../engine/tensor.ts";
import { assertAllClose, randomArray } from "../../../engine/testing.ts";
import { assertGradMatchesFiniteDifferences, refData } from "./_gradcheck.ts";
import { nonEmptySubsets, productOfExperts, standardExpert } from "./experts.ts";

const be = new ReferenceBackend();
const B = 3, D = 2, K = 3;

/** The product of the experts j with mask[r][j] = 1, in plain f64 arithmetic. */
function poeByHand(mus: Float64Array[], lvs: Float64Array[], mask: number[]) {
  const mu = new Float64Array(B * D), lv = new Float64Array(B * D);
  for (let r = 0; r < B; r++) {
    for (let i = 0; i < D; i++) {
      let prec = 0, num = 0;
      for (let j = 0; j < K; j++) {
        if (!mask[r * K + j]) continue;
        const tj = Math.exp(-lvs[j][r * D + i]);
        prec += tj;
        num += tj * mus[j][r * D + i];
      }
      mu[r * D + i] = num / prec;
      lv[r * D + i] = -Math.log(prec);
    }
  }
  return { mu, lv };
}

Deno.test("productOfExperts fuses a different subset per row, as the precision-weighted formula", () => {
  const mus = [1, 2, 3].map((s) => randomArray(B * D, s, -2, 2));
  const lvs = [4, 5, 6].map((s) => randomArray(B * D, s, -1, 1));
  // Row 0: experts 0 and 2; row 1: expert 1 alone; row 2: all three (column 2 not constant).
  const mask = [1, 0, 1, 0, 1, 0, 1, 1, 1];
  tidy(() => {
    const experts = mus.map((m, j) => ({
      mu: Tensor.from(be, m, [B, D]),
      logvar: Tensor.from(be, lvs[j], [B, D]),
    }));
    const got = productOfExperts(experts, mask);
    const want = poeByHand(mus, lvs, mask);
    assertAllClose(refData(got.mu), want.mu, { atol: 1e-12, rtol: 1e-12, label: "mean" });
    assertAllClose(refData(got.logvar), want.lv, { atol: 1e-12, rtol: 1e-12, label: "logvar" });
    // A single expert is returned unchanged; the prior expert is N(0, I).
    assertAllClose(refData(got.mu).subarray(D, 2 * D), mus[1].subarray(D, 2 * D), { atol: 1e-12 });
    const prior = standardExpert(be, B, D);
    assert.deepEqual(
      [...refData(prior.mu), ...refData(prior.logvar)],
      new Array(2 * B * D).fill(0),
    );
  });
});

Deno.test("productOfExperts rejects an empty row and a mask of the wrong size", () => {
  tidy(() => {
    const e = standardExpert(be, 2, D);
    assert.throws(() => productOfExperts([e, e], [1, 0, 0, 0]), /row 1 selects no expert/);
    assert.throws(() => productOfExperts([e, e], [1, 1]), /mask must hold 2 rows × 2 experts/);
  });
});

Deno.test("productOfExperts has gradients that match finite differences", () => {
  const ps = [1, 2, 3, 4, 5, 6].map((s) =>
    Tensor.from(be, randomArray(B * D, 30 + s, -1, 1), [B, D]).requireGrad()
  );
  const r = Tensor.from(be, randomArray(B * D, 40, -1, 1), [B, D]);
  const mask = [1, 1, 0, 0, 1, 1, 1, 0, 1];
  assertGradMatchesFiniteDifferences(ps, () => {
    const q = productOfExperts(
      [0, 1, 2].map((j) => ({ mu: ps[2 * j], logvar: ps[2 * j + 1] })),
      mask,
    );
    return ops.sumAll(ops.mul(ops.add(q.mu, ops.scale(q.logvar, 0.7)), r));
  }, { label: "product of experts" });
});

Deno.test("nonEmptySubsets lists 2^M − 1 subsets by size, then lexicographically", () => {
  assert.deepEqual(nonEmptySubsets(2), [[0], [1], [0, 1]]);
  const s5 = nonEmptySubsets(5);
  assert.equal(s5.length, 31);
  assert.deepEqual(s5.slice(4, 7), [[4], [0, 1], [0, 2]]);
  assert.deepEqual(s5.at(-1), [0, 1, 2, 3, 4]);
  assert.throws(() => nonEmptySubsets(0), /modalities must be an integer in \[1, 16\]/);
});
