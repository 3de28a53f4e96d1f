import assert from "node:assert/strict";
import { decodeImage, decodeJpeg, firstChannel, resizeImage, toRgb } from "./image.ts";
import { encodePng } from "./png.ts";
import { encodeJpeg, smoothImage } from "./_fixtures.ts";

Deno.test("decodeImage() reads a jpeg-js JPEG close to its source and a PNG exactly", () => {
  const rgb = smoothImage(33, 17, 1);
  const jpg = decodeImage(encodeJpeg(rgb, 33, 17), "x.jpg");
  assert.deepEqual([jpg.width, jpg.height, jpg.channels], [33, 17, 3]);
  let err = 0;
  for (let i = 0; i < rgb.length; i++) err += Math.abs(jpg.data[i] - rgb[i]);
  assert.ok(err / rgb.length < 6, `mean abs error ${err / rgb.length}`);
  const png = decodeImage(encodePng({ width: 33, height: 17, channels: 3, data: rgb }), "x.png");
  assert.deepEqual(png.data, rgb);
});

Deno.test("decodeJpeg() names the file for truncated and corrupt JPEGs", () => {
  const bytes = encodeJpeg(smoothImage(32, 32, 2), 32, 32);
  assert.throws(
    () => decodeJpeg(bytes.slice(0, bytes.length - 40), "t.jpg"),
    /Cannot decode JPEG t\.jpg: truncated/,
  );
  const corrupt = bytes.slice();
  corrupt.fill(0x11, 20, 200); // wipe the quantisation/Huffman tables
  assert.throws(() => decodeJpeg(corrupt, "c.jpg"), /Cannot decode JPEG c\.jpg/);
  assert.throws(
    () => decodeImage(new Uint8Array([1, 2, 3, 4]), "u.bin"),
    /u\.bin: not a PNG or JPEG/,
  );
});

Deno.test("resizeImage() averages areas when shrinking and keeps constants when growing", () => {
  const img = {
    width: 4,
    height: 2,
    channels: 1 as const,
    data: new Uint8Array([0, 10, 20, 30, 40, 50, 60, 70]),
  };
  assert.deepEqual(Array.from(resizeImage(img, 2, 1).data), [25, 45]);
  assert.deepEqual(Array.from(resizeImage(img, 1, 1).data), [35]);
  const flat = { width: 3, height: 5, channels: 3 as const, data: new Uint8Array(45).fill(77) };
  assert.ok(resizeImage(flat, 11, 7).data.every((v) => v === 77));
  assert.ok(resizeImage(flat, 2, 2).data.every((v) => v === 77));
  // Non-integer shrink 5 → 3 keeps the mean.
  const ramp = {
    width: 5,
    height: 1,
    channels: 1 as const,
    data: new Uint8Array([0, 30, 60, 90, 120]),
  };
  const r = resizeImage(ramp, 3, 1).data;
  assert.deepEqual(Array.from(r), [12, 60, 108]); // (0·1 + 30·⅔)/(5/3) = 12, …
  // Growing 2 → 4 interpolates monotonically.
  const up =
    resizeImage({ width: 2, height: 1, channels: 1, data: new Uint8Array([0, 200]) }, 4, 1).data;
  assert.deepEqual(Array.from(up), [0, 50, 150, 200]);
  assert.throws(() => resizeImage(img, 0, 3), /Cannot resize image: size must be positive/);
});

Deno.test("toRgb() and firstChannel() convert channel counts", () => {
  const gray = { width: 2, height: 1, channels: 1 as const, data: new Uint8Array([5, 9]) };
  assert.deepEqual(Array.from(toRgb(gray).data), [5, 5, 5, 9, 9, 9]);
  const rgba = { width: 1, height: 1, channels: 4 as const, data: new Uint8Array([1, 2, 3, 4]) };
  assert.deepEqual(Array.from(toRgb(rgba).data), [1, 2, 3]);
  assert.deepEqual(Array.from(firstChannel(rgba).data), [1]);
});

Deno.test("resizeImage() integer-factor shrink is the rounded 4x4 block mean", () => {
  const rgb = smoothImage(48, 36, 9);
  const img = { width: 48, height: 36, channels: 3 as const, data: rgb };
  const fast = resizeImage(img, 12, 9).data;
  // 48×36 → 12×9 takes the integer-factor path: every output is the rounded mean of a 4×4 block.
  for (let oy = 0; oy < 9; oy++) {
    for (let ox = 0; ox < 12; ox++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let y = 0; y < 4; y++) {
          for (let x = 0; x < 4; x++) s += rgb[((oy * 4 + y) * 48 + ox * 4 + x) * 3 + c];
        }
        assert.equal(fast[(oy * 12 + ox) * 3 + c], Math.round(s / 16));
      }
    }
  }
});
