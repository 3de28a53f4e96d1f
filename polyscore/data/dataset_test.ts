import assert from "node:assert/strict";
import { Rng } from "../../engine/random.ts";
import {
  ArraySplit,
  batches,
  gatherBatch,
  gatherBatchU8,
  labelCounts,
  materialize,
  type ModalitySpec,
  padImages,
  subsetSplit,
} from "./dataset.ts";

const specs: ModalitySpec[] = [
  { name: "img", kind: "image", shape: [1, 2, 2] },
  { name: "attr", kind: "attributes", shape: [3] },
];

function split(n: number): ArraySplit {
  const img = Uint8Array.from({ length: n * 4 }, (_, i) => (i * 5) % 256);
  const attr = Uint8Array.from({ length: n * 3 }, (_, i) => i % 2);
  return new ArraySplit(specs, Uint8Array.from({ length: n }, (_, i) => i % 10), [img, attr]);
}

Deno.test("batches() covers every index once per epoch and drops or keeps the short batch", () => {
  const all = [...batches(23, 5, new Rng(3))];
  assert.deepEqual(all.map((b) => b.length), [5, 5, 5, 5]);
  const kept = [...batches(23, 5, new Rng(3), { last: "keep" })];
  assert.deepEqual(kept.map((b) => b.length), [5, 5, 5, 5, 3]);
  const seen = kept.flatMap((b) => [...b]).sort((a, b) => a - b);
  assert.deepEqual(seen, Array.from({ length: 23 }, (_, i) => i));
  assert.deepEqual(kept.slice(0, 4), all, "same seed, same order");
  const other = [...batches(23, 5, new Rng(4))];
  assert.notDeepEqual(other, all);
  assert.throws(
    () => [...batches(5, 0, new Rng(1))],
    /batch size must be a positive integer: current value is 0/,
  );
});

Deno.test("gatherBatch() scales images by 1/255 and copies attributes", () => {
  const s = split(6);
  const img = gatherBatch(s, 0, [2, 0]);
  assert.equal(img.length, 8);
  assert.ok(Math.abs(img[0] - ((8 * 5) % 256) / 255) < 1e-7);
  assert.ok(Math.abs(img[4] - 0) < 1e-7);
  assert.deepEqual(Array.from(gatherBatch(s, 1, [1])), [1, 0, 1]);
  assert.deepEqual(gatherBatchU8(s, 0, [5]), s.data[0].subarray(20, 24));
  const buf = new Float32Array(8);
  assert.equal(gatherBatch(s, 0, [2, 0], buf), buf);
  assert.deepEqual(buf, img);
  assert.throws(() => gatherBatch(s, 0, [1], buf), /out must have 1x4 values: current value is 8/);
  assert.throws(
    () => gatherBatch(s, 0, [6]),
    /sample index must be in \[0, 6\): current value is 6/,
  );
  assert.throws(
    () => gatherBatch(s, 2, [0]),
    /modality index must be in \[0, 2\): current value is 2/,
  );
});

Deno.test("ArraySplit rejects arrays whose size does not match the count", () => {
  assert.throws(
    () => new ArraySplit(specs, new Uint8Array(2), [new Uint8Array(8), new Uint8Array(5)]),
    /modality attr must have 2x3 values: current value is 5/,
  );
});

Deno.test("subsetSplit(), materialize() and labelCounts() agree with the source", () => {
  const s = split(12);
  const sub = subsetSplit(s, new Uint32Array([11, 3]));
  assert.deepEqual(Array.from(sub.labels), [1, 3]);
  assert.deepEqual(
    materialize(sub, 0),
    Uint8Array.from([...s.data[0].subarray(44, 48), ...s.data[0].subarray(12, 16)]),
  );
  assert.deepEqual(labelCounts(s, 10), [2, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
});

Deno.test("padImages() zero-pads image modalities and leaves attributes alone", () => {
  const s = split(3);
  const ds = { name: "t", modalities: specs, train: s, test: s, numClasses: 10 };
  const p = padImages(ds, 1);
  assert.deepEqual(p.modalities.map((m) => m.shape), [[1, 4, 4], [3]]);
  const img = gatherBatchU8(p.train, 0, [2]);
  const src = s.data[0].subarray(8, 12);
  assert.deepEqual(Array.from(img), [
    0,
    0,
    0,
    0,
    0,
    src[0],
    src[1],
    0,
    0,
    src[2],
    src[3],
    0,
    0,
    0,
    0,
    0,
  ]);
  assert.deepEqual(gatherBatchU8(p.train, 1, [2]), gatherBatchU8(s, 1, [2]));
  assert.throws(() => padImages(ds, -1), /pad must be a non-negative integer: current value is -1/);
});
