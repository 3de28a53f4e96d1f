/**
 * The observed inputs of a generate call, for methods that encode raw data themselves: a row's
 * test tuple, or the caller's example (one per modality, the same for every row), checked once.
 */
import { Tensor } from "../../engine/tensor.ts";
import { type ModalitySpec, sampleSize } from "../data/dataset.ts";
import { batchTensor, type PipelineContext } from "../pipeline/context.ts";
import type { Observations } from "./method.ts";

/** Throws unless a caller's example of `spec` has exactly one value per element of its shape. */
export function checkExample(spec: ModalitySpec, data: Float32Array): void {
  const n = sampleSize(spec);
  if (data.length !== n) {
    throw new TypeError(
      `Cannot encode modality ${spec.name}: expected ${n} values (${
        spec.shape.join("×")
      }), got ${data.length}`,
    );
  }
}

/** Modality m of the given rows as a (rows, …shape) tensor: the caller's example or the test tuple. */
export function observedBatch(
  ctx: PipelineContext,
  obs: Observations,
  m: number,
  rows: readonly number[],
): Tensor {
  const spec = ctx.dataset.modalities[m];
  const given = obs.data?.get(m);
  if (!given) {
    return batchTensor(ctx.backend, spec, ctx.test.data[m], rows.map((r) => obs.tuples[r]));
  }
  checkExample(spec, given);
  const out = new Float32Array(rows.length * given.length);
  for (let k = 0; k < rows.length; k++) out.set(given, k * given.length);
  return Tensor.from(ctx.backend, out, [rows.length, ...spec.shape]);
}
