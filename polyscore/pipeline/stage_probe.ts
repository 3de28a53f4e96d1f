/**
 * After the latents: the linear probe of every modality (polyscore/eval/linear_probe.ts), label ←
 * z_m, trained on the train latents and scored on the test latents. Null where the data has no
 * class labels (CelebAMask-HQ). Deterministic and about a second per modality, so it is
 * recomputed rather than checkpointed.
 */
import { linearProbe } from "../eval/linear_probe.ts";
import type { PipelineContext } from "./context.ts";
import type { Latents } from "./stage_latents.ts";

/** The probe's test accuracy per modality (null without class labels). */
export function probeLatents(ctx: PipelineContext, lat: Latents): (number | null)[] {
  const k = ctx.dataset.numClasses;
  const out = lat.dims.map((dim, m) =>
    k < 2 ? null : linearProbe(
      { x: lat.train, stride: lat.total, labels: ctx.train.labels },
      { x: lat.test, stride: lat.total, labels: ctx.test.labels },
      lat.offsets[m],
      dim,
      k,
      { seed: ctx.cfg.seed },
    )
  );
  if (k >= 2) {
    ctx.log("latents", `linear probe (label ← z_m) ${out.map((a) => a!.toFixed(3)).join(" ")}`);
  }
  return out;
}
