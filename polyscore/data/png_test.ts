import assert from "node:assert/strict";
import { deflateSync, inflateSync } from "node:zlib";
import { Rng } from "../../engine/random.ts";
import { crc32, decodePng, encodePng, type RawImage } from "./png.ts";

function randomImage(width: number, height: number, channels: 1 | 3 | 4, seed: number): RawImage {
  const rng = new Rng(seed);
  const data = new Uint8Array(width * height * channels);
  // Half smooth gradient, half noise, so that different filters win on different rows.
  for (let i = 0; i < data.length; i++) data[i] = i % 7 < 4 ? (i * 3) & 255 : rng.int(256);
  return { width, height, channels, data };
}

/** Filter byte + filtered bytes per row, with plain (independent) forward filters. */
function filterRows(rows: Uint8Array[], types: number[], bpp: number): Uint8Array {
  const stride = rows[0].length;
  const raw = new Uint8Array(rows.length * (stride + 1));
  for (let y = 0; y < rows.length; y++) {
    raw[y * (stride + 1)] = types[y];
    for (let i = 0; i < stride; i++) {
      const x = rows[y][i];
      const a = i >= bpp ? rows[y][i - bpp] : 0;
      const b = y > 0 ? rows[y - 1][i] : 0;
      const c = y > 0 && i >= bpp ? rows[y - 1][i - bpp] : 0;
      let pred = 0;
      if (types[y] === 1) pred = a;
      if (types[y] === 2) pred = b;
      if (types[y] === 3) pred = Math.floor((a + b) / 2);
      if (types[y] === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      raw[y * (stride + 1) + 1 + i] = (x - pred + 256) % 256;
    }
  }
  return raw;
}

/** A PNG file from already-filtered scanline data. */
function pngFromRaw(
  width: number,
  height: number,
  colorType: number,
  depth: number,
  raw: Uint8Array,
  interlace = 0,
  extra: [string, Uint8Array][] = [],
): Uint8Array {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([depth, colorType, 0, 0, interlace], 8);
  const chunks: [string, Uint8Array][] = [
    ["IHDR", ihdr],
    ...extra,
    ["IDAT", new Uint8Array(deflateSync(raw))],
    ["IEND", new Uint8Array(0)],
  ];
  const parts: number[] = [137, 80, 78, 71, 13, 10, 26, 10];
  for (const [type, body] of chunks) {
    const c = new Uint8Array(12 + body.length);
    const dv = new DataView(c.buffer);
    dv.setUint32(0, body.length);
    for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
    c.set(body, 8);
    dv.setUint32(8 + body.length, crc32(c, 4, 8 + body.length));
    parts.push(...c);
  }
  return new Uint8Array(parts);
}

/** A non-interlaced PNG built by hand, filter types per row given by `types`. */
function handPng(
  width: number,
  height: number,
  colorType: number,
  depth: number,
  rows: Uint8Array[], // packed scanlines, without filter byte
  types: number[],
  extra: [string, Uint8Array][] = [],
): Uint8Array {
  const samples = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  const bpp = Math.max(1, (samples * depth) >> 3);
  return pngFromRaw(width, height, colorType, depth, filterRows(rows, types, bpp), 0, extra);
}

Deno.test("crc32() matches the known CRC of the IEND chunk type", () => {
  assert.equal(crc32(new TextEncoder().encode("IEND")), 0xae426082);
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

Deno.test("encodePng() then decodePng() round-trips gray/RGB/RGBA at 1x1, 45x7 and 7x45", () => {
  for (const channels of [1, 3, 4] as const) {
    for (const [w, h] of [[1, 1], [45, 7], [7, 45]]) {
      const img = randomImage(w, h, channels, w * 100 + channels);
      for (const level of [1, 6]) {
        const back = decodePng(encodePng(img, { level }));
        assert.deepEqual([back.width, back.height, back.channels], [w, h, channels]);
        assert.deepEqual(back.data, img.data);
      }
    }
  }
});

Deno.test("encodePng() picks different filters on different rows and is deterministic", () => {
  const img = randomImage(45, 30, 3, 3);
  const png = encodePng(img);
  assert.deepEqual(encodePng(img), png);
  // Find the IDAT, inflate and collect the filter bytes.
  const dv = new DataView(png.buffer);
  let pos = 8, types = new Set<number>();
  while (pos < png.length) {
    const len = dv.getUint32(pos), type = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
    if (type === "IDAT") {
      const raw = new Uint8Array(inflateSync(png.subarray(pos + 8, pos + 8 + len)));
      types = new Set(Array.from({ length: 30 }, (_, y) => raw[y * (45 * 3 + 1)]));
    }
    pos += 12 + len;
  }
  assert.ok(types.size >= 2, `filters used: ${[...types]}`);
});

Deno.test("decodePng() undoes all five filter types (hand-built file)", () => {
  const rng = new Rng(11);
  const w = 9, h = 10;
  const rows = Array.from(
    { length: h },
    () => Uint8Array.from({ length: w * 3 }, () => rng.int(256)),
  );
  const types = [0, 1, 2, 3, 4, 4, 3, 2, 1, 0];
  const img = decodePng(handPng(w, h, 2, 8, rows, types));
  const expected = new Uint8Array(w * h * 3);
  rows.forEach((r, y) => expected.set(r, y * w * 3));
  assert.deepEqual(img.data, expected);
});

Deno.test("decodePng() reads Adam7-interlaced RGB and 2-bit gray (hand-built passes)", () => {
  const rng = new Rng(12);
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [
    1,
    0,
    2,
    2,
  ], [0, 1, 1, 2]];
  for (
    const [w, h, colorType, depth] of [[11, 9, 2, 8], [13, 6, 0, 2], [1, 1, 2, 8], [3, 5, 0, 2]]
  ) {
    const spp = colorType === 2 ? 3 : 1, levels = (1 << depth) - 1;
    const px = Array.from({ length: w * h * spp }, () => rng.int(levels + 1)); // sample values
    const parts: Uint8Array[] = [];
    passes.forEach(([x0, y0, dx, dy], k) => {
      const pw = Math.ceil((w - x0) / dx), ph = Math.ceil((h - y0) / dy);
      if (pw <= 0 || ph <= 0) return;
      const rows = Array.from({ length: ph }, (_, y) => {
        const row = new Uint8Array(Math.ceil((pw * spp * depth) / 8));
        for (let x = 0; x < pw; x++) {
          for (let s = 0; s < spp; s++) {
            const v = px[((y0 + y * dy) * w + x0 + x * dx) * spp + s], bit = (x * spp + s) * depth;
            row[bit >> 3] |= v << (8 - depth - (bit & 7));
          }
        }
        return row;
      });
      const bpp = Math.max(1, (spp * depth) >> 3);
      parts.push(filterRows(rows, rows.map((_, y) => (y + k) % 5), bpp));
    });
    const raw = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((o, p) => (raw.set(p, o), o + p.length), 0);
    const img = decodePng(pngFromRaw(w, h, colorType, depth, raw, 1));
    assert.deepEqual(
      Array.from(img.data),
      px.map((v) => Math.round((v * 255) / levels)),
      `${w}x${h} type ${colorType}`,
    );
  }
});

Deno.test("decodePng() reads 1-bit gray, 16-bit RGB, gray+alpha and palette images", () => {
  // 1-bit gray, width 10 → 2 bytes per row.
  const bits = [new Uint8Array([0b10110000, 0b01000000]), new Uint8Array([0b01001111, 0b11000000])];
  const g1 = decodePng(handPng(10, 2, 0, 1, bits, [0, 2]));
  assert.deepEqual(Array.from(g1.data.subarray(0, 10)), [255, 0, 255, 255, 0, 0, 0, 0, 0, 255]);
  assert.deepEqual(Array.from(g1.data.subarray(10, 20)), [
    0,
    255,
    0,
    0,
    255,
    255,
    255,
    255,
    255,
    255,
  ]);
  // 16-bit RGB: the high byte is kept.
  const rgb16 = decodePng(
    handPng(2, 1, 2, 16, [new Uint8Array([1, 9, 2, 9, 3, 9, 250, 0, 251, 0, 252, 0])], [1]),
  );
  assert.deepEqual(Array.from(rgb16.data), [1, 2, 3, 250, 251, 252]);
  // Gray + alpha: alpha dropped.
  const ga = decodePng(handPng(2, 1, 4, 8, [new Uint8Array([10, 255, 20, 0])], [4]));
  assert.deepEqual([ga.channels, ...ga.data], [1, 10, 20]);
  // Palette (2-bit indices) with tRNS.
  const plte = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255]);
  const pal = decodePng(
    handPng(3, 1, 3, 2, [new Uint8Array([0b00011000])], [0], [["PLTE", plte], [
      "tRNS",
      new Uint8Array([128]),
    ]]),
  );
  assert.equal(pal.channels, 4);
  assert.deepEqual(Array.from(pal.data), [255, 0, 0, 128, 0, 255, 0, 255, 0, 0, 255, 255]);
});

Deno.test("decodePng() names the file and the problem for corrupt and truncated files", () => {
  const png = encodePng(randomImage(12, 12, 3, 5));
  const corrupt = png.slice();
  corrupt[45] ^= 0xff; // inside the IDAT body
  assert.throws(
    () => decodePng(corrupt, "a/b.png"),
    /Cannot decode PNG a\/b\.png: CRC mismatch in chunk IDAT/,
  );
  assert.throws(
    () => decodePng(png.slice(0, png.length - 20), "c.png"),
    /Cannot decode PNG c\.png: truncated/,
  );
  assert.throws(() => decodePng(png.slice(0, 30), "c.png"), /truncated/);
  assert.throws(
    () => decodePng(new TextEncoder().encode("GIF89a........"), "d.png"),
    /d\.png: not a PNG/,
  );
  const odd = pngFromRaw(2, 1, 0, 8, new Uint8Array([0, 1, 2]), 2);
  assert.throws(() => decodePng(odd, "e.png"), /e\.png: unknown interlace method 2/);
});

Deno.test("encodePng() rejects a data length that does not match the size", () => {
  assert.throws(
    () => encodePng({ width: 3, height: 3, channels: 3, data: new Uint8Array(10) }),
    /Cannot encode PNG: data length must be 3x3x3: current value is 10/,
  );
});
