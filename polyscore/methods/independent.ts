/** The floor: unobserved latents drawn from N(0, I), observed ones kept; nothing is learned. */
import { Rng } from "../../engine/random.ts";
import type { Latents } from "../pipeline/stage_latents.ts";
import { type LatentGenerator, latentMethod } from "./latent.ts";
import type { Method } from "./method.ts";

/** Unobserved latents from N(0, I), seeded per call. */
export function independentGenerator(lat: Latents, mods: number): LatentGenerator {
  return {
    name: "independent",
    generate(mask, zObs, rows, seed) {
      const rng = new Rng(seed);
      const z = new Float32Array(rows * lat.total);
      for (let r = 0; r < rows; r++) {
        for (let m = 0; m < mods; m++) {
          for (let j = 0; j < lat.dims[m]; j++) {
            const k = r * lat.total + lat.offsets[m] + j;
            z[k] = mask[r * mods + m] ? zObs[k] : rng.normal();
          }
        }
      }
      return Promise.resolve(z);
    },
  };
}

export const independent: Method = {
  name: "independent",
  summary: "the floor: unobserved latents from N(0, I)",
  needsReduction: false,
  train: (inputs) =>
    Promise.resolve(
      latentMethod(
        inputs,
        independentGenerator(inputs.lat, inputs.ctx.dataset.modalities.length),
        () => {},
      ),
    ),
};
