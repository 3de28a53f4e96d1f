/**
 * Training-time augmentation of image batches on the host: whole-pixel translations with the edge
 * rows and columns replicated (PolyMNIST's backgrounds are textures, so a zero border would be a
 * cue the test images never show). Deterministic: the offsets of a batch come from (seed, step),
 * so a resumed run shifts exactly as an uninterrupted one.
 */
import { hash32, Rng } from "../../engine/random.ts";

/**
 * Translates one (C, H, W) image from `src` into `dst` (both at their offsets) by (dy, dx):
 * dst[c, y, x] = src[c, clamp(y − dy), clamp(x − dx)].
 */
export function shiftImage(
  src: Float32Array,
  srcOff: number,
  dst: Float32Array,
  dstOff: number,
  shape: readonly number[],
  dy: number,
  dx: number,
): void {
  const [c, h, w] = shape;
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * h * w;
    for (let y = 0; y < h; y++) {
      const sy = Math.min(h - 1, Math.max(0, y - dy));
      for (let x = 0; x < w; x++) {
        const sx = Math.min(w - 1, Math.max(0, x - dx));
        dst[dstOff + plane + y * w + x] = src[srcOff + plane + sy * w + sx];
      }
    }
  }
}

/**
 * Shifts every image of a (B, C, H, W) batch in place by its own offset in [−maxShift, maxShift]²,
 * drawn from (seed, step). `tmp` holds one image (C·H·W floats).
 */
export function shiftBatch(
  batch: Float32Array,
  rows: number,
  shape: readonly number[],
  maxShift: number,
  seed: number,
  step: number,
  tmp: Float32Array,
): void {
  if (shape.length !== 3) {
    throw new RangeError(
      `Cannot shift images: shape must be (C, H, W): current value is [${shape}]`,
    );
  }
  if (maxShift === 0) return;
  const n = shape[0] * shape[1] * shape[2];
  const rng = new Rng(hash32((Math.imul(seed, 0x9e3779b1) + Math.imul(step, 40503) + 11) >>> 0));
  const span = 2 * maxShift + 1;
  for (let b = 0; b < rows; b++) {
    const dy = rng.int(span) - maxShift, dx = rng.int(span) - maxShift;
    if (dy === 0 && dx === 0) continue;
    tmp.set(batch.subarray(b * n, (b + 1) * n));
    shiftImage(tmp, 0, batch, b * n, shape, dy, dx);
  }
}
