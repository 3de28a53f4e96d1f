/**
 * The EMA helper against a hand-computed EMA (host f64 loop) on the reference backend, with and
 * without the decay warm-up, and parity of the same updates on the Wasm CPU backend.
 */
import assert from "node:assert/strict";
import type { Backend } from "./backend.ts";
import { Ema, emaDecay } from "./ema.ts";
import { ReferenceBackend } from "./reference/backend.ts";
import { assertAllClose, randomArray } from "./testing.ts";
import { Tensor } from "./tensor.ts";
import { createWasmCpuBackend } from "../wasm/cpu/mod.ts";

/** Runs 7 "optimiser steps" (params overwritten with fresh values) with an EMA; returns shadows. */
async function run(be: Backend, decay: number, warmup: boolean) {
  const shapes = [[3, 5], [7], [1]];
  const params = shapes.map((s, i) =>
    Tensor.from(be, randomArray(s.reduce((a, b) => a * b, 1), 10 + i), s)
  );
  const ema = new Ema(params, { decay, warmup });
  const history: Float64Array[][] = [];
  for (let step = 0; step < 7; step++) {
    params.forEach((p, i) => be.write(p.buf, randomArray(p.size, 100 * step + i, -3, 3)));
    history.push(params.map((p, i) => randomArray(p.size, 100 * step + i, -3, 3)));
    ema.update();
  }
  const shadows = await Promise.all(ema.shadow.map((s) => s.data()));
  const init = shapes.map((s, i) => randomArray(s.reduce((a, b) => a * b, 1), 10 + i));
  ema.copyTo();
  const copied = await Promise.all(params.map((p) => p.data()));
  ema.dispose();
  params.forEach((p) => p.dispose());
  return { shadows, history, init, copied, updates: ema.updates };
}

/** The EMA by hand: s₀ = init, s_{n+1} = d_n s_n + (1 − d_n) p_n. */
function byHand(init: Float64Array[], history: Float64Array[][], decay: number, warmup: boolean) {
  const s = init.map((x) => Float64Array.from(x));
  history.forEach((ps, n) => {
    const d = warmup ? Math.min(decay, (1 + n) / (10 + n)) : decay;
    ps.forEach((p, i) => {
      for (let j = 0; j < p.length; j++) s[i][j] = d * s[i][j] + (1 - d) * p[j];
    });
  });
  return s;
}

Deno.test("Ema matches a hand-computed EMA on the reference backend (with and without warm-up)", async () => {
  const be = new ReferenceBackend();
  for (const warmup of [true, false]) {
    const r = await run(be, 0.7, warmup);
    const want = byHand(r.init, r.history, 0.7, warmup);
    r.shadows.forEach((s, i) =>
      assertAllClose(s, want[i], { atol: 1e-12, rtol: 1e-12, label: `shadow ${i} ${warmup}` })
    );
    r.copied.forEach((c, i) =>
      assertAllClose(c, want[i], { atol: 0, rtol: 0, label: `copyTo ${i} ${warmup}` })
    );
    assert.equal(r.updates, 7);
  }
  assert.equal(be.liveBuffers, 0);
  // The warm-up: 1/10, 2/11, … until it reaches the decay.
  assert.equal(emaDecay(0.999, 0), 0.1);
  assert.equal(emaDecay(0.5, 100), 0.5);
  assert.equal(emaDecay(0.999, 0, false), 0.999);
});

Deno.test("Ema rejects a decay outside (0, 1), naming the value", () => {
  const be = new ReferenceBackend();
  const p = Tensor.full(be, [2], 1);
  for (const d of [0, 1, -0.5, Number.NaN]) {
    assert.throws(() => new Ema([p], { decay: d }), /decay must be in \(0, 1\): current value/);
  }
  p.dispose();
});

Deno.test("Ema on the wasm backend matches the reference", async () => {
  const wasm = await createWasmCpuBackend({ threads: 2, splitAll: true });
  try {
    const want = await run(new ReferenceBackend(), 0.9, true);
    const got = await run(wasm, 0.9, true);
    got.shadows.forEach((s, i) =>
      assertAllClose(s, want.shadows[i], { atol: 1e-6, rtol: 1e-5, label: `wasm shadow ${i}` })
    );
  } finally {
    wasm.destroy();
  }
});
