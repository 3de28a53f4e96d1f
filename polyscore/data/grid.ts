/**
 * A sample grid for looking at a dataset: one row per modality, one column per tuple, each cell
 * the sample as RGB (gray masks replicated; attribute vectors drawn as a block of white (1) and
 * dark (0) squares). Cells are resized to the largest modality's size.
 */

import { modalityOf } from "../modality.ts";
import { gatherBatchU8, type ModalitySpec, type Split } from "./dataset.ts";
import { type RawImage, resizeImage } from "./image.ts";

const PAD = 2;

function cellImage(spec: ModalitySpec, sample: Uint8Array, size: number): RawImage {
  if (!modalityOf(spec).spatial) {
    const a = sample.length, side = Math.ceil(Math.sqrt(a));
    const data = new Uint8Array(size * size * 3).fill(40);
    const sq = Math.floor(size / side);
    for (let k = 0; k < a; k++) {
      const x0 = (k % side) * sq, y0 = Math.floor(k / side) * sq;
      const v = sample[k] ? 255 : 90;
      for (let y = y0 + 1; y < y0 + sq - 1; y++) {
        for (let x = x0 + 1; x < x0 + sq - 1; x++) {
          data.fill(v, (y * size + x) * 3, (y * size + x) * 3 + 3);
        }
      }
    }
    return { width: size, height: size, channels: 3, data };
  }
  const [c, h, w] = spec.shape;
  const hwc = new Uint8Array(h * w * 3);
  for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < 3; ch++) hwc[p * 3 + ch] = sample[(c === 1 ? 0 : ch) * h * w + p];
  }
  return resizeImage({ width: w, height: h, channels: 3, data: hwc }, size, size);
}

/**
 * Renders tuples `indices` of a split as an RGB grid: rows = modalities, columns = tuples.
 *
 * @returns the grid image, (H, W, 3)
 */
export function sampleGrid(split: Split, indices: ArrayLike<number>): RawImage {
  const specs = split.modalities;
  const size = Math.max(
    16,
    ...specs.filter((s) => modalityOf(s).spatial).map((s) => Math.max(s.shape[1], s.shape[2])),
  );
  const cols = indices.length, rows = specs.length;
  const width = cols * (size + PAD) + PAD, height = rows * (size + PAD) + PAD;
  const data = new Uint8Array(width * height * 3).fill(255);
  specs.forEach((spec, m) => {
    const batch = gatherBatchU8(split, m, indices);
    const n = batch.length / Math.max(1, indices.length);
    for (let j = 0; j < cols; j++) {
      const cell = cellImage(spec, batch.subarray(j * n, (j + 1) * n), size);
      const ox = PAD + j * (size + PAD), oy = PAD + m * (size + PAD);
      for (let y = 0; y < size; y++) {
        data.set(cell.data.subarray(y * size * 3, (y + 1) * size * 3), ((oy + y) * width + ox) * 3);
      }
    }
  });
  return { width, height, channels: 3, data };
}

/** Lays RGB images side by side in rows of `perRow` (padding white), e.g. to show backgrounds. */
export function imageMosaic(images: RawImage[], perRow: number): RawImage {
  const cw = Math.max(...images.map((i) => i.width)), ch = Math.max(...images.map((i) => i.height));
  const cols = Math.min(perRow, images.length), rows = Math.ceil(images.length / perRow);
  const width = cols * (cw + PAD) + PAD, height = rows * (ch + PAD) + PAD;
  const data = new Uint8Array(width * height * 3).fill(255);
  images.forEach((img, k) => {
    const ox = PAD + (k % perRow) * (cw + PAD), oy = PAD + Math.floor(k / perRow) * (ch + PAD);
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        for (let c = 0; c < 3; c++) {
          data[((oy + y) * width + ox + x) * 3 + c] =
            img.data[(y * img.width + x) * img.channels + (img.channels === 1 ? 0 : c)];
        }
      }
    }
  });
  return { width, height, channels: 3, data };
}
