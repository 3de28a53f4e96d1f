/**
 * Module and optimizer state ↔ named host tensors (the safetensors payload). Names follow PyTorch
 * (`enc0.weight`); optimizer moments are stored as `adam.m.<name>` / `adam.v.<name>` and the step in
 * the metadata, so a resumed stage continues exactly where the checkpoint left it. An EMA of the
 * weights (when the stage keeps one) is stored as `ema.<name>`, in partial and finished checkpoints.
 */
import type { Module } from "../../engine/nn/module.ts";
import type { Ema } from "../../engine/ema.ts";
import type { Adam } from "../../engine/optim.ts";
import { fmtShape } from "../../engine/tensor.ts";

/** A host tensor as stored in a checkpoint. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

async function toHost(
  t: { shape: readonly number[]; data(): Promise<Float32Array | Float64Array> },
) {
  const d = await t.data();
  return {
    shape: [...t.shape],
    data: d instanceof Float32Array ? d.slice() : Float32Array.from(d),
  };
}

/** Reads a module's parameters (and an optimizer's moments, and an EMA's shadows) to the host. */
export async function captureState(
  mod: Module,
  opt?: Adam,
  ema?: Ema,
): Promise<Record<string, HostTensor>> {
  const out: Record<string, HostTensor> = {};
  const named = mod.namedParameters();
  for (const [name, t] of named) out[name] = await toHost(t);
  if (opt) {
    const index = new Map(opt.params.map((p, i) => [p, i]));
    for (const [name, t] of named) {
      const i = index.get(t);
      if (i === undefined) continue;
      out[`adam.m.${name}`] = await toHost(opt.m[i]);
      out[`adam.v.${name}`] = await toHost(opt.v[i]);
    }
  }
  if (ema) {
    const index = new Map(ema.params.map((p, i) => [p, i]));
    for (const [name, t] of named) {
      const i = index.get(t);
      if (i !== undefined) out[`ema.${name}`] = await toHost(ema.shadow[i]);
    }
  }
  return out;
}

/**
 * Writes stored values into a module's parameters (and an optimizer's moments, and an EMA's
 * shadows); every parameter must be present with the same shape.
 */
export function restoreState(
  mod: Module,
  tensors: Record<string, HostTensor>,
  opt?: Adam,
  source = "checkpoint",
  ema?: Ema,
): void {
  const named = mod.namedParameters();
  const put = (
    key: string,
    t: {
      shape: readonly number[];
      size: number;
      backend: { write(b: unknown, d: Float32Array): void };
      buf: unknown;
    },
  ) => {
    const h = tensors[key];
    if (!h) throw new Error(`Cannot restore ${source}: it has no tensor "${key}"`);
    if (h.data.length !== t.size) {
      throw new TypeError(
        `Cannot restore ${source}: "${key}" has shape ${fmtShape(h.shape)}, the model expects ${
          fmtShape(t.shape)
        }`,
      );
    }
    t.backend.write(t.buf, h.data);
  };
  for (const [name, t] of named) put(name, t);
  if (opt) {
    const index = new Map(opt.params.map((p, i) => [p, i]));
    for (const [name, t] of named) {
      const i = index.get(t);
      if (i === undefined) continue;
      put(`adam.m.${name}`, opt.m[i]);
      put(`adam.v.${name}`, opt.v[i]);
    }
  }
  if (ema) {
    const index = new Map(ema.params.map((p, i) => [p, i]));
    for (const [name, t] of named) {
      const i = index.get(t);
      if (i !== undefined) put(`ema.${name}`, ema.shadow[i]);
    }
  }
}
