import assert from "node:assert/strict";
import { arrayToImage, bytesToArray } from "./images.ts";

Deno.test("arrayToImage() converts (C, H, W) in [0, 1] to (H, W, C) bytes, clamping", () => {
  const data = new Float32Array([0, 0.5, 1, 2, /* ch1 */ -1, NaN, 0.25, 1, /* ch2 */ 0, 0, 0, 1]);
  const img = arrayToImage(data, [3, 2, 2], "image");
  assert.deepEqual([img.width, img.height, img.channels], [2, 2, 3]);
  assert.deepEqual(Array.from(img.data), [0, 0, 0, 128, 0, 0, 255, 64, 0, 255, 255, 255]);
  const mask = arrayToImage(new Float32Array([1, 0]), [1, 2], "mask");
  assert.deepEqual([mask.width, mask.height, mask.channels], [2, 1, 1]);
  assert.throws(() => arrayToImage(new Float32Array(3), [3, 2, 2], "image"), RangeError);
  assert.throws(() => arrayToImage(new Float32Array(8), [2, 2, 2], "image"), /shape must be/);
});

Deno.test("arrayToImage() draws attributes as a strip of 8×8 cells", () => {
  const img = arrayToImage(new Float32Array([1, 0, 0.5]), [3], "attributes");
  assert.deepEqual([img.width, img.height, img.channels], [24, 8, 1]);
  assert.equal(img.data[1 * 24 + 1], 255);
  assert.equal(img.data[1 * 24 + 9], 0);
  assert.equal(img.data[1 * 24 + 17], 128);
  assert.equal(img.data[0], 0, "cell border");
});

Deno.test("bytesToArray() maps bytes to [0, 1] and checks the length", () => {
  assert.deepEqual(
    Array.from(bytesToArray(new Uint8Array([0, 255, 51]), [3])),
    [0, 1, 0.2].map(Math.fround),
  );
  assert.throws(() => bytesToArray(new Uint8Array(4), [3, 1, 1]), /needs 3 bytes/);
});
