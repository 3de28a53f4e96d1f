/**
 * POST /api/playground/:id/sample — runs the sampler (queued: one at a time per server; 429 when
 * the queue is full). Body: `{ method, observed: [{ modality, index } | { modality, data }], steps,
 * count, seed }` where `data` is base64 of the modality's (C, H, W) 8-bit pixels. Answer:
 * `{ outputs: [{ modality, name, kind, images: dataUrl[], values? }], ms }`.
 */

import { modalityOf } from "../../../../polyscore/modality.ts";
import { bytesToArray } from "../../../../polyscore/runs/images.ts";
import { define } from "../../../../server/define.ts";
import { HttpError, intParam, json, readJsonObject } from "../../../../server/http.ts";
import type { PlaygroundSession } from "../../../../server/playground.ts";
import { runDir } from "../../../../server/runs.ts";
import { renderOutputs } from "../../../../server/sample_render.ts";
import type { Limits } from "../../../../server/state.ts";

interface SampleRequest {
  method: string;
  observed: { modality: number; index?: number; data?: Float32Array }[];
  steps: number;
  count: number;
  seed: number;
}

function decodeBase64(s: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    throw new HttpError(400, `Cannot read ${what}: it is not base64`);
  }
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    throw new HttpError(400, `Cannot read ${what}: it is not base64`);
  }
}

/** Validates the body against the session (modalities, test set, methods) and the limits. */
export function parseSampleRequest(
  body: Record<string, unknown>,
  s: PlaygroundSession,
  limits: Limits,
): SampleRequest {
  const allowed = new Set(["method", "observed", "steps", "count", "seed"]);
  for (const k of Object.keys(body)) {
    if (!allowed.has(k)) {
      throw new HttpError(400, `Cannot read body: unknown field ${JSON.stringify(k.slice(0, 40))}`);
    }
  }
  const method = body.method;
  if (typeof method !== "string" || !s.methods.includes(method)) {
    throw new HttpError(
      400,
      `Cannot read method: it must be one of ${s.methods.join(", ")}: current value is ${
        JSON.stringify(method)?.slice(0, 60)
      }`,
    );
  }
  const steps = intParam("steps", body.steps, 1, limits.maxSteps, undefined, true);
  const count = intParam("count", body.count, 1, limits.maxCount, undefined, true);
  const seed = intParam("seed", body.seed, 0, 2 ** 31 - 1, 0, true);
  if (!Array.isArray(body.observed)) {
    throw new HttpError(400, "Cannot read observed: it must be an array");
  }
  if (body.observed.length >= s.modalities.length) {
    throw new HttpError(
      400,
      `Cannot sample: at most ${
        s.modalities.length - 1
      } of ${s.modalities.length} modalities may be observed (something must be generated)`,
    );
  }
  const seen = new Set<number>();
  const observed = body.observed.map((o, k) => {
    if (o === null || typeof o !== "object" || Array.isArray(o)) {
      throw new HttpError(400, `Cannot read observed[${k}]: it must be an object`);
    }
    const r = o as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if (key !== "modality" && key !== "index" && key !== "data") {
        throw new HttpError(
          400,
          `Cannot read observed[${k}]: unknown field ${JSON.stringify(key.slice(0, 40))}`,
        );
      }
    }
    const modality = intParam(
      `observed[${k}].modality`,
      r.modality,
      0,
      s.modalities.length - 1,
      undefined,
      true,
    );
    if (seen.has(modality)) {
      throw new HttpError(400, `Cannot read observed[${k}]: modality ${modality} is given twice`);
    }
    seen.add(modality);
    const m = s.modalities[modality];
    if ((r.index === undefined) === (r.data === undefined)) {
      throw new HttpError(400, `Cannot read observed[${k}]: give exactly one of index and data`);
    }
    if (r.index !== undefined) {
      return {
        modality,
        index: intParam(`observed[${k}].index`, r.index, 0, s.testCount - 1, undefined, true),
      };
    }
    if (modalityOf(m).upload !== "image") {
      throw new HttpError(
        400,
        `Cannot read observed[${k}]: uploads are accepted for image modalities only; ${m.name} is a ${m.kind}`,
      );
    }
    if (typeof r.data !== "string") {
      throw new HttpError(400, `Cannot read observed[${k}].data: it must be a base64 string`);
    }
    const bytes = decodeBase64(r.data, `observed[${k}].data`);
    const need = m.shape.reduce((a, b) => a * b, 1);
    if (bytes.length !== need) {
      throw new HttpError(
        400,
        `Cannot read observed[${k}].data: ${m.name} needs ${need} bytes (shape ${
          m.shape.join("×")
        }): current length is ${bytes.length}`,
      );
    }
    return { modality, data: bytesToArray(bytes, m.shape) };
  });
  return { method, observed, steps, count, seed };
}

export const handler = define.handlers({
  async POST(ctx) {
    const { state } = ctx;
    const dir = runDir(state, ctx.params.id);
    const body = await readJsonObject(
      ctx.req,
      state.limits.maxBodyBytes,
      state.limits.bodyTimeoutMs,
    );
    const t0 = performance.now();
    const result = await state.playground.run(dir, async (s) => {
      const req = parseSampleRequest(body, s, state.limits);
      let res: Awaited<ReturnType<PlaygroundSession["sample"]>>;
      try {
        res = await s.sample(req);
      } catch (e) {
        // The sampler's own validation (a value out of range, a wrong shape) is the caller's
        // mistake; anything else is the device failing, reported as unavailable with its reason.
        const bad = e instanceof RangeError || e instanceof TypeError;
        throw new HttpError(bad ? 400 : 503, `Cannot sample: ${(e as Error).message}`);
      }
      return res.rendered ?? renderOutputs(res.outputs, s.modalities);
    });
    return json({ outputs: result, ms: performance.now() - t0 });
  },
});
