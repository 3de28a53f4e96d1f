import assert from "node:assert/strict";
import { ranksForTotal } from "./stage_rank_select.ts";

const spectra = [
  { values: Float64Array.from([5, 3, 0.5]) },
  { values: Float64Array.from([4, 1, 0.9, 0.1]) },
];

Deno.test("ranksForTotal(): one per block, then the largest remaining eigenvalues across blocks", () => {
  assert.deepEqual(ranksForTotal(spectra, 2), [1, 1]);
  assert.deepEqual(ranksForTotal(spectra, 3), [2, 1]); // 3 beats 1
  assert.deepEqual(ranksForTotal(spectra, 4), [2, 2]); // then 1
  assert.deepEqual(ranksForTotal(spectra, 5), [2, 3]); // 0.9 beats 0.5
  assert.deepEqual(ranksForTotal(spectra, 7), [3, 4]);
});

Deno.test("ranksForTotal(): a total outside [M, D] is refused by name", () => {
  assert.throws(
    () => ranksForTotal(spectra, 1),
    /must be an integer in \[2, 7\]: current value is 1/,
  );
  assert.throws(() => ranksForTotal(spectra, 8), /current value is 8/);
});
