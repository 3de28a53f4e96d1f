/**
 * Worker for writePolyMnist: encodes (N, C, H, W) uint8 samples as PNG files and writes them
 * synchronously, so that file creation (kernel time) runs on several cores at once.
 */
/// <reference lib="deno.worker" />

import { encodePng } from "./png.ts";

/** One batch of files to write: `names[k]` in `folder` gets sample k of `data` (N, C, H, W). */
export interface WriteJob {
  folder: string;
  names: string[];
  shape: [number, number, number]; // (C, H, W), C = 1, 3 or 4
  data: Uint8Array;
}

self.onmessage = (e: MessageEvent<WriteJob>) => {
  const { folder, names, shape: [c, h, w], data } = e.data;
  try {
    const n = c * h * w, hwc = new Uint8Array(n);
    for (let k = 0; k < names.length; k++) {
      for (let ch = 0; ch < c; ch++) {
        for (let p = 0; p < h * w; p++) hwc[p * c + ch] = data[k * n + ch * h * w + p];
      }
      const png = encodePng({ width: w, height: h, channels: c as 1 | 3 | 4, data: hwc }, {
        level: 1,
      });
      Deno.writeFileSync(`${folder}/${names[k]}`, png);
    }
    self.postMessage({ ok: true, count: names.length });
  } catch (err) {
    self.postMessage({ ok: false, error: (err as Error).message });
  }
};
