/**
 * Turns model-space arrays (values in [0, 1]) into 8-bit images for PNG encoding, and back: images
 * (C, H, W) with C = 1 or 3, masks (1, H, W) or (H, W), attribute vectors (A) drawn as a strip of
 * gray squares. Not a general image library; see polyscore/data/png.ts for the codec.
 */

import type { RawImage } from "../data/png.ts";

/** The kinds of modality the dashboard draws. */
import { type ModalityKind, modalityOf } from "../modality.ts";

const CELL = 8;

function toByte(v: number): number {
  if (!(v > 0)) return 0; // NaN and negatives → 0
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Converts `data` (row-major `shape`, values in [0, 1]; out-of-range values are clamped, NaN → 0)
 * into an 8-bit image: (C, H, W) → (H, W, C); attributes (A) → an A·8 × 8 gray strip.
 */
export function arrayToImage(data: Float32Array, shape: number[], kind: ModalityKind): RawImage {
  if (data.length !== product(shape)) {
    throw new RangeError(
      `Cannot draw array: shape [${shape}] needs ${
        product(shape)
      } values: current length is ${data.length}`,
    );
  }
  if (!modalityOf({ kind }).spatial) {
    const a = data.length;
    const width = Math.max(1, a) * CELL;
    const out = new Uint8Array(width * CELL);
    for (let k = 0; k < a; k++) {
      const v = toByte(data[k]);
      for (let y = 1; y < CELL - 1; y++) {
        out.fill(v, y * width + k * CELL + 1, y * width + k * CELL + CELL - 1);
      }
    }
    return { width, height: CELL, channels: 1, data: out };
  }
  const [c, h, w] = shape.length === 2 ? [1, shape[0], shape[1]] : shape;
  if (shape.length > 3 || !(c === 1 || c === 3)) {
    throw new RangeError(
      `Cannot draw ${kind}: shape must be (1|3, H, W) or (H, W): current value is [${shape}]`,
    );
  }
  const out = new Uint8Array(h * w * c);
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < h * w; p++) out[p * c + ch] = toByte(data[ch * h * w + p]);
  }
  return { width: w, height: h, channels: c as 1 | 3, data: out };
}

/**
 * Converts 8-bit pixels laid out as the modality's `shape` (C, H, W) back to values in [0, 1]
 * (for uploaded or drawn images). Throws when the length does not match the shape.
 */
export function bytesToArray(bytes: Uint8Array, shape: number[]): Float32Array {
  if (bytes.length !== product(shape)) {
    throw new RangeError(
      `Cannot read pixels: shape [${shape}] needs ${
        product(shape)
      } bytes: current length is ${bytes.length}`,
    );
  }
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}
