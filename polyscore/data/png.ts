/**
 * PNG encoder and decoder on `node:zlib` (deflate/inflate), per the PNG specification (W3C, 2nd ed.).
 * Decodes colour types 0/2/3/4/6 at bit depths 1–16 (16-bit keeps the high byte), all five filter
 * types and Adam7 interlacing, with CRC and length checks; encodes 8-bit gray/RGB/RGBA,
 * non-interlaced. Not a general image library: no gamma, no colour management.
 */

import { deflateSync, inflateSync } from "node:zlib";

/** A decoded 8-bit image: `data` is (H, W, C) row-major, C = 1 (gray), 3 (RGB) or 4 (RGBA). */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array; // (H, W, C)
}

const SIGNATURE = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309) of `bytes[start, end)`, as used by PNG chunks. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Encodes an 8-bit image as PNG. Each row takes the filter (of the five) with the smallest sum of
 * absolute signed residuals, the usual heuristic; `level` is the zlib level (default 6; 1 is about 3×
 * faster on small images). The output is a pure function of the input and options.
 *
 * @example
 * ```ts
 * const png = encodePng({ width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) });
 * ```
 */
export function encodePng(image: RawImage, options: { level?: number } = {}): Uint8Array {
  const { width, height, channels, data } = image;
  if (!(channels === 1 || channels === 3 || channels === 4)) {
    throw new RangeError(
      `Cannot encode PNG: channels must be 1, 3 or 4: current value is ${channels}`,
    );
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(
      `Cannot encode PNG: size must be positive: current value is ${width}x${height}`,
    );
  }
  if (data.length !== width * height * channels) {
    throw new TypeError(
      `Cannot encode PNG: data length must be ${width}x${height}x${channels}: current value is ${data.length}`,
    );
  }
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const type = chooseFilter(data, y, stride, channels);
    raw[y * (stride + 1)] = type;
    writeFiltered(data, y, stride, channels, type, raw, y * (stride + 1) + 1);
  }
  const colorType = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, colorType, 0, 0, 0], 8);
  const idat = new Uint8Array(deflateSync(raw, { level: options.level ?? 6 }));
  const parts = [
    SIGNATURE,
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array(0)),
  ];
  const total = parts.reduce((s, p) => s + p.length, 0);
  const png = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    png.set(p, o);
    o += p.length;
  }
  return png;
}

/**
 * The filter type (0–4) whose residuals of row y have the smallest sum of |signed byte|; ties go
 * to the lower type. One pass, no allocation (this runs for every row of every written image).
 */
function chooseFilter(data: Uint8Array, y: number, stride: number, bpp: number): number {
  const row = y * stride, prev = row - stride;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  for (let i = 0; i < stride; i++) {
    const x = data[row + i];
    const a = i >= bpp ? data[row + i - bpp] : 0;
    const b = y > 0 ? data[prev + i] : 0;
    const c = y > 0 && i >= bpp ? data[prev + i - bpp] : 0;
    const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
    const r0 = x, r1 = (x - a) & 255, r2 = (x - b) & 255, r3 = (x - ((a + b) >> 1)) & 255;
    const r4 = (x - (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
    s0 += r0 < 128 ? r0 : 256 - r0;
    s1 += r1 < 128 ? r1 : 256 - r1;
    s2 += r2 < 128 ? r2 : 256 - r2;
    s3 += r3 < 128 ? r3 : 256 - r3;
    s4 += r4 < 128 ? r4 : 256 - r4;
  }
  let best = 0, bestSum = s0;
  if (s1 < bestSum) (best = 1, bestSum = s1);
  if (s2 < bestSum) (best = 2, bestSum = s2);
  if (s3 < bestSum) (best = 3, bestSum = s3);
  if (s4 < bestSum) best = 4;
  return best;
}

/** Writes row y filtered with `type` into `out` at `offset`. */
function writeFiltered(
  data: Uint8Array,
  y: number,
  stride: number,
  bpp: number,
  type: number,
  out: Uint8Array,
  offset: number,
): void {
  const row = y * stride, prev = row - stride;
  for (let i = 0; i < stride; i++) {
    const x = data[row + i];
    const a = i >= bpp ? data[row + i - bpp] : 0;
    const b = y > 0 ? data[prev + i] : 0;
    const c = y > 0 && i >= bpp ? data[prev + i - bpp] : 0;
    const pred = type === 0
      ? 0
      : type === 1
      ? a
      : type === 2
      ? b
      : type === 3
      ? (a + b) >> 1
      : paeth(a, b, c);
    out[offset + i] = (x - pred) & 255;
  }
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const c = new Uint8Array(12 + body.length);
  const dv = new DataView(c.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
  c.set(body, 8);
  dv.setUint32(8 + body.length, crc32(c, 4, 8 + body.length));
  return c;
}

/**
 * Decodes a PNG file's bytes to an 8-bit image. Gray and gray+alpha become 1 channel (alpha
 * dropped), palette becomes RGB (or RGBA with a tRNS chunk), RGB stays 3, RGBA stays 4.
 * `name` (a file path) is used in error messages only.
 *
 * @throws {TypeError} on a bad signature, CRC mismatch, truncation, unsupported format or a
 * corrupt compressed stream; the message names `name` and the problem.
 */
export function decodePng(bytes: Uint8Array, name = "<buffer>"): RawImage {
  const fail = (detail: string): never => {
    throw new TypeError(`Cannot decode PNG ${name}: ${detail}`);
  };
  if (bytes.length < 8 || SIGNATURE.some((v, i) => bytes[i] !== v)) {
    fail("not a PNG file (bad signature)");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0, height = 0, depth = 0, colorType = -1, interlace = 0;
  let palette: Uint8Array | null = null, trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (!ended) {
    if (pos + 12 > bytes.length) fail(`truncated at byte ${pos} of ${bytes.length} (missing IEND)`);
    const len = dv.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (pos + 12 + len > bytes.length) {
      fail(`truncated: chunk ${type} needs ${len} bytes at byte ${pos}, file has ${bytes.length}`);
    }
    const body = bytes.subarray(pos + 8, pos + 8 + len);
    if (crc32(bytes, pos + 4, pos + 8 + len) !== dv.getUint32(pos + 8 + len)) {
      fail(`CRC mismatch in chunk ${type} at byte ${pos} (corrupt file)`);
    }
    if (type === "IHDR") {
      if (len !== 13) fail(`IHDR length must be 13: current value is ${len}`);
      const h = new DataView(body.buffer, body.byteOffset, 13);
      width = h.getUint32(0);
      height = h.getUint32(4);
      depth = body[8];
      colorType = body[9];
      if (body[10] !== 0 || body[11] !== 0) fail("unknown compression or filter method");
      interlace = body[12];
      if (interlace > 1) fail(`unknown interlace method ${interlace}`);
    } else if (type === "PLTE") palette = body.slice();
    else if (type === "tRNS") trns = body.slice();
    else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") ended = true;
    pos += 12 + len;
  }
  if (colorType < 0) fail("missing IHDR chunk");
  if (width < 1 || height < 1) {
    fail(`image size must be positive: current value is ${width}x${height}`);
  }
  const samples = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (samples === undefined) fail(`unknown colour type ${colorType}`);
  const okDepth = colorType === 0 ? [1, 2, 4, 8, 16] : colorType === 3 ? [1, 2, 4, 8] : [8, 16];
  if (!okDepth.includes(depth)) fail(`bit depth ${depth} is invalid for colour type ${colorType}`);
  if (colorType === 3 && !palette) fail("palette image without a PLTE chunk");
  if (idat.length === 0) fail("no IDAT chunk");
  const compressed = new Uint8Array(idat.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of idat) {
    compressed.set(c, o);
    o += c.length;
  }
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(inflateSync(compressed));
  } catch (e) {
    return fail(`corrupt compressed image data (${(e as Error).message})`);
  }
  const bpp = Math.max(1, (samples * depth) >> 3); // bytes per complete pixel, for filtering
  // Non-interlaced: one pass over the whole image. Adam7: seven passes over sub-grids.
  const passes = interlace === 0 ? [[0, 0, 1, 1]] : ADAM7;
  let out: RawImage | null = null;
  let pos0 = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx), ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * samples * depth) / 8);
    if (raw.length < pos0 + ph * (stride + 1)) {
      fail(
        `truncated image data: ${raw.length} bytes, expected at least ${pos0 + ph * (stride + 1)}`,
      );
    }
    const un = unfilter(raw.subarray(pos0, pos0 + ph * (stride + 1)), ph, stride, bpp, fail);
    pos0 += ph * (stride + 1);
    const sub = expand(un, pw, ph, stride, depth, colorType, palette, trns, fail);
    if (interlace === 0) return sub;
    const c = sub.channels;
    out ??= { width, height, channels: c, data: new Uint8Array(width * height * c) };
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        const d = ((y0 + y * dy) * width + x0 + x * dx) * c, s = (y * pw + x) * c;
        for (let k = 0; k < c; k++) out.data[d + k] = sub.data[s + k];
      }
    }
  }
  return out!;
}

/** Adam7 passes: [x0, y0, dx, dy]. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [
  0,
  1,
  1,
  2,
]];

function unfilter(
  raw: Uint8Array,
  height: number,
  stride: number,
  bpp: number,
  fail: (d: string) => never,
): Uint8Array {
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const type = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1, row = y * stride, prev = row - stride;
    for (let i = 0; i < stride; i++) {
      const x = raw[src + i];
      const a = i >= bpp ? out[row + i - bpp] : 0;
      const b = y > 0 ? out[prev + i] : 0;
      let v: number;
      switch (type) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + b;
          break;
        case 3:
          v = x + ((a + b) >> 1);
          break;
        case 4:
          v = x + paeth(a, b, y > 0 && i >= bpp ? out[prev + i - bpp] : 0);
          break;
        default:
          return fail(`unknown filter type ${type} in row ${y} (corrupt file)`);
      }
      out[row + i] = v & 0xff;
    }
  }
  return out;
}

function expand(
  un: Uint8Array,
  width: number,
  height: number,
  stride: number,
  depth: number,
  colorType: number,
  palette: Uint8Array | null,
  trns: Uint8Array | null,
  fail: (d: string) => never,
): RawImage {
  const samples = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  // Sample s of pixel x in row y, scaled to 8 bits (palette indices are not scaled).
  const sample = (y: number, x: number, s: number, scale: boolean): number => {
    const row = y * stride;
    if (depth === 8) return un[row + x * samples + s];
    if (depth === 16) return un[row + (x * samples + s) * 2];
    const bit = (x * samples + s) * depth;
    const v = (un[row + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
    return scale ? Math.round((v * 255) / ((1 << depth) - 1)) : v;
  };
  if (colorType === 3) {
    const pal = palette!;
    const channels = trns ? 4 : 3;
    const data = new Uint8Array(width * height * channels);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const idx = sample(y, x, 0, false);
        const o = (y * width + x) * channels;
        if (idx * 3 + 2 >= pal.length) {
          fail(`palette index ${idx} out of range (corrupt file)`);
        }
        data[o] = pal[idx * 3];
        data[o + 1] = pal[idx * 3 + 1];
        data[o + 2] = pal[idx * 3 + 2];
        if (trns) data[o + 3] = idx < trns.length ? trns[idx] : 255;
      }
    }
    return { width, height, channels: channels as 3 | 4, data };
  }
  const channels = colorType === 0 || colorType === 4 ? 1 : colorType === 2 ? 3 : 4;
  // 8-bit gray/RGB/RGBA: the unfiltered rows are the pixels already.
  if (depth === 8 && samples === channels) return { width, height, channels, data: un };
  const data = new Uint8Array(width * height * channels);
  let o = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let s = 0; s < channels; s++) data[o++] = sample(y, x, s, true);
    }
  }
  return { width, height, channels, data };
}
