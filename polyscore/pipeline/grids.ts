/** Sample grids written into the run: test images above their reconstructions, per modality. */
import { modalityOf } from "../modality.ts";
import { encodePng } from "../data/png.ts";
import * as ops from "../../engine/ops/mod.ts";
import { noGrad, tidy } from "../../engine/tensor.ts";
import type { Autoencoder } from "../models/conv_vae.ts";
import type { RunStore } from "../runs/store.ts";
import { batchTensor, type PipelineContext } from "./context.ts";

/** Test images (top) above their reconstructions, per modality, as one PNG. */
export async function writeReconstructionGrid(
  ctx: PipelineContext,
  aes: Autoencoder[],
  store: RunStore,
) {
  const specs = ctx.dataset.modalities;
  if (specs.some((s) => !modalityOf(s).spatial)) return;
  const n = Math.min(10, ctx.test.count);
  const idx = Uint32Array.from({ length: n }, (_, i) => i);
  for (const [m, spec] of specs.entries()) {
    const r = tidy(() =>
      noGrad(() =>
        ops.sigmoid(
          aes[m].decode(aes[m].encode(batchTensor(ctx.backend, spec, ctx.test.data[m], idx)).mu),
        )
      )
    );
    const v = await r.data();
    r.dispose();
    const [c, h, w] = spec.shape;
    const pad = 2, W = n * (w + pad) + pad, H = 2 * (h + pad) + pad;
    const img = new Uint8Array(W * H * 3).fill(255);
    for (let i = 0; i < n; i++) {
      for (let row = 0; row < 2; row++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            for (let k = 0; k < 3; k++) {
              const src = ((i * c + (c === 1 ? 0 : k)) * h + y) * w + x;
              const val = row === 0
                ? ctx.test.data[m][src]
                : Math.round(Math.max(0, Math.min(1, v[src])) * 255);
              img[((pad + row * (h + pad) + y) * W + pad + i * (w + pad) + x) * 3 + k] = val;
            }
          }
        }
      }
    }
    store.writeFile(
      `samples/recon_${spec.name}.png`,
      encodePng({ width: W, height: H, channels: 3, data: img }),
    );
  }
}
