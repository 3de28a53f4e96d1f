/** ScoreMlp: shapes, names, the σ-scaled parametrisation, gradients in f64, and config errors. */
import assert from "node:assert/strict";
import { Init } from "../../engine/nn/module.ts";
import * as ops from "../../engine/ops/mod.ts";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { VpSde } from "../sde/vpsde.ts";
import { grad, noGrad, Tensor, tidy } from "../../engine/tensor.ts";
import { assertAllClose, randomArray } from "../../engine/testing.ts";
import { ScoreMlp } from "./score_mlp.ts";

const be = new ReferenceBackend();
const sde = new VpSde({ beta0: 0.1, beta1: 20 });
const data = (t: Tensor) => (t.buf as unknown as { data: Float64Array }).data.subarray(0, t.size);

Deno.test("ScoreMlp maps (B, D) and (B) to (B, D) with stable parameter names", () => {
  const net = new ScoreMlp(new Init(be, 1), { dim: 3, width: 8, blocks: 2, timeEmbedDim: 6, sde });
  const names = net.namedParameters().map(([n]) => n);
  assert.deepEqual(names.slice(0, 6), [
    "in_proj.weight",
    "in_proj.bias",
    "time1.weight",
    "time1.bias",
    "time2.weight",
    "time2.bias",
  ]);
  assert.ok(names.includes("blocks.1.fc2.weight") && names.includes("out_proj.bias"));
  // in 3·8+8, time 6·8+8 + 8·8+8, blocks 2·(2·8 + 3·(64+8)), out LN 16 + 8·3+3.
  assert.equal(net.numParameters(), 32 + 56 + 72 + 2 * (16 + 216) + 16 + 27);
  tidy(() => {
    const s = net.score(Tensor.from(be, randomArray(15, 2), [5, 3]), Tensor.full(be, [5], 0.4));
    assert.deepEqual(s.shape, [5, 3]);
    assert.ok(data(s).every(Number.isFinite));
  });
  net.dispose();
});

Deno.test('ScoreMlp output "noise" is -forward / sigma(t), "score" is forward', () => {
  const cfg = { dim: 2, width: 4, blocks: 1, timeEmbedDim: 4, sde };
  const noise = new ScoreMlp(new Init(be, 7), cfg);
  const score = new ScoreMlp(new Init(be, 7), { ...cfg, output: "score" });
  const ts = [1, 0.5, 1e-3];
  tidy(() => {
    const z = Tensor.from(be, randomArray(6, 4), [3, 2]), t = Tensor.from(be, ts, [3]);
    const raw = data(noise.forward(z, t));
    const expected = Array.from(raw, (v, i) => -v / sde.sigma(ts[Math.floor(i / 2)]));
    assertAllClose(data(noise.score(z, t)), expected, { atol: 1e-9, rtol: 1e-7, label: "noise" });
    assertAllClose(data(score.score(z, t)), raw, { atol: 1e-12, label: "score" });
  });
  noise.dispose();
  score.dispose();
});

Deno.test("ScoreMlp gradients match f64 central differences along a random direction", () => {
  const net = new ScoreMlp(new Init(be, 3), { dim: 2, width: 5, blocks: 2, timeEmbedDim: 4, sde });
  const params = net.parameters();
  const z = Tensor.from(be, randomArray(8, 5), [4, 2]),
    t = Tensor.from(be, [0.9, 0.3, 0.05, 0.01], [4]);
  const r = Tensor.from(be, randomArray(8, 6), [4, 2]);
  const loss = () => ops.sumAll(ops.mul(net.score(z, t), r));
  const dirs = params.map((p, i) => randomArray(p.size, 100 + i));
  const analytic = tidy(() => {
    const gs = grad(loss(), params);
    return gs.reduce((s, g, i) => s + data(g!).reduce((a, v, j) => a + v * dirs[i][j], 0), 0);
  });
  const shift = (h: number) =>
    params.forEach((p, i) => {
      const d = data(p);
      for (let j = 0; j < d.length; j++) d[j] += h * dirs[i][j];
    });
  const h = 1e-6;
  const lossAt = (delta: number) => {
    shift(delta);
    const v = tidy(() => noGrad(() => data(loss())[0]));
    shift(-delta);
    return v;
  };
  const numeric = (lossAt(h) - lossAt(-h)) / (2 * h);
  assert.ok(
    Math.abs(analytic - numeric) <= 1e-6 * (1 + Math.abs(numeric)),
    `directional derivative ${analytic} vs ${numeric}`,
  );
  for (const x of [z, t, r]) x.dispose();
  net.dispose();
});

Deno.test("ScoreMlp rejects bad configurations, naming the value", () => {
  const init = new Init(be, 0);
  assert.throws(() => new ScoreMlp(init, { dim: 0, sde }), {
    name: "RangeError",
    message: "Cannot create ScoreMlp: dim must be an integer >= 1: current value is 0",
  });
  assert.throws(() => new ScoreMlp(init, { dim: 2, timeEmbedDim: 5, sde }), {
    message: /timeEmbedDim must be even: current value is 5/,
  });
  assert.throws(() => new ScoreMlp(init, { dim: 2 }), {
    name: "TypeError",
    message: /output "noise" needs the sde/,
  });
  assert.throws(
    () => new ScoreMlp(init, { dim: 2, sde, output: "eps" as unknown as "noise" }),
    { message: /output must be "noise" or "score": current value is eps/ },
  );
  const net = new ScoreMlp(init, { dim: 2, width: 4, blocks: 1, timeEmbedDim: 4, sde });
  assert.throws(
    () => tidy(() => net.score(Tensor.full(be, [3, 3], 0), Tensor.full(be, [3], 0.5))),
    {
      name: "TypeError",
      message: /expected z \(B, 2\) and t \(B\): current shapes are z \[3, 3\], t \[3\]/,
    },
  );
  net.dispose();
});

Deno.test("ScoreMlp with a narrow time MLP (timeWidth) has the expected parameter count", () => {
  const net = new ScoreMlp(new Init(be, 1), {
    dim: 3,
    width: 8,
    blocks: 2,
    timeEmbedDim: 6,
    timeWidth: 4,
    sde,
  });
  // in 3·8+8, time 6·4+4 + 4·4+4, blocks 2·(2·8 + 2·(64+8) + (4·8+8)), out LN 16 + 8·3+3.
  assert.equal(net.numParameters(), 32 + 28 + 20 + 2 * (16 + 144 + 40) + 16 + 27);
  net.dispose();
});
