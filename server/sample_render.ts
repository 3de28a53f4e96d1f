/**
 * Sampler outputs as the playground's answer shows them: one PNG data URL per sample (and the
 * rounded values of attribute vectors). Run inside the sampler worker, so the encoding never costs
 * the request loop; the route falls back to it for in-process sessions.
 */

import { encodePng } from "../polyscore/data/png.ts";
import { modalityOf } from "../polyscore/modality.ts";
import { arrayToImage } from "../polyscore/runs/images.ts";
import type { PlaygroundModality } from "./playground.ts";

/** One generated modality, ready for JSON. */
export interface RenderedOutput {
  modality: number;
  name: string;
  kind: PlaygroundModality["kind"];
  images: string[];
  values?: number[][];
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Encodes each sample of each output as a PNG data URL (attribute vectors also as values). */
export function renderOutputs(
  outputs: { modality: number; samples: Float32Array[] }[],
  modalities: PlaygroundModality[],
): RenderedOutput[] {
  return outputs.map((o) => {
    const m = modalities[o.modality];
    if (!m) throw new Error(`Sampler returned an unknown modality ${o.modality}`);
    return {
      modality: o.modality,
      name: m.name,
      kind: m.kind,
      images: o.samples.map((x) =>
        `data:image/png;base64,${
          toBase64(encodePng(arrayToImage(x, m.shape, m.kind), { level: 1 }))
        }`
      ),
      ...(modalityOf(m).output === "png+values"
        ? { values: o.samples.map((x) => Array.from(x, (v) => Math.round(v * 1000) / 1000)) }
        : {}),
    };
  });
}
