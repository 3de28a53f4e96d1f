/**
 * Known answers of the shift augmentation: a (2, 3, 4) ramp shifted by (1, −2) replicates the edge
 * row and columns; a zero shift and maxShift = 0 leave the batch alone; the offsets of a batch
 * depend only on (seed, step) and stay within ±maxShift, and all of them occur. (Checked to fail
 * with dx and dy swapped, with the clamp replaced by a zero fill, and with the offsets drawn from
 * the step alone, which makes two seeds shift alike.)
 */
import assert from "node:assert/strict";
import { shiftBatch, shiftImage } from "./augment.ts";

const SHAPE = [2, 3, 4];
const ramp = () => Float32Array.from({ length: 24 }, (_, i) => i + 1);

Deno.test("shiftImage: moves content down and left with the edges replicated", () => {
  const out = new Float32Array(24);
  shiftImage(ramp(), 0, out, 0, SHAPE, 1, -2);
  // Channel 0 rows were [1 2 3 4], [5 6 7 8], [9 10 11 12]; down by 1 (top row repeated), left by 2.
  assert.deepEqual(Array.from(out.subarray(0, 12)), [3, 4, 4, 4, 3, 4, 4, 4, 7, 8, 8, 8]);
  assert.deepEqual(Array.from(out.subarray(12, 16)), [15, 16, 16, 16]);
  shiftImage(ramp(), 0, out, 0, SHAPE, 0, 0);
  assert.deepEqual(out, ramp());
});

Deno.test("shiftBatch: offsets from (seed, step) only, within ±maxShift, each one drawn", () => {
  const rows = 400, n = 24;
  const batch = () => {
    const b = new Float32Array(rows * n);
    for (let r = 0; r < rows; r++) b.set(ramp(), r * n);
    return b;
  };
  const tmp = new Float32Array(n);
  const a = batch(), b = batch(), c = batch(), d = batch();
  shiftBatch(a, rows, SHAPE, 1, 7, 3, tmp);
  shiftBatch(b, rows, SHAPE, 1, 7, 3, tmp);
  shiftBatch(c, rows, SHAPE, 1, 8, 3, tmp);
  shiftBatch(d, rows, SHAPE, 0, 7, 3, tmp);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual(d, batch());
  // Recover each row's offset by matching against the nine candidate shifts.
  const seen = new Set<string>();
  const cand = new Float32Array(n);
  for (let r = 0; r < rows; r++) {
    const row = a.subarray(r * n, (r + 1) * n);
    let found = "";
    for (let dy = -1; dy <= 1 && !found; dy++) {
      for (let dx = -1; dx <= 1 && !found; dx++) {
        shiftImage(ramp(), 0, cand, 0, SHAPE, dy, dx);
        if (cand.every((v, j) => v === row[j])) found = `${dy},${dx}`;
      }
    }
    assert.ok(found, `row ${r} is not a shift of at most 1 px`);
    seen.add(found);
  }
  assert.equal(seen.size, 9);
  assert.throws(
    () => shiftBatch(a, rows, [24], 1, 7, 3, tmp),
    /shape must be \(C, H, W\): current value is \[24\]/,
  );
});
