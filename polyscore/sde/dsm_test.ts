/**
 * The DSM loss against its closed-form expectation for the exact score of a Gaussian, and the
 * training helper's read-back cadence.
 */
import assert from "node:assert/strict";
import type { DeviceBuffer } from "../../engine/backend.ts";
import { ScoreMlp } from "../models/score_mlp.ts";
import { Init } from "../../engine/nn/module.ts";
import { RandomStream } from "../../engine/ops/mod.ts";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { Tensor, tidy } from "../../engine/tensor.ts";
import { invert, refData, Rng, sampleGaussian } from "./_test_utils.ts";
import { dsmLoss, trainScoreModel } from "./dsm.ts";
import { GaussianScore, type ScoreFn } from "./score_fn.ts";
import { VpSde } from "./vpsde.ts";

class CountingBackend extends ReferenceBackend {
  reads = 0;
  override read(buf: DeviceBuffer): Promise<Float64Array> {
    this.reads++;
    return super.read(buf);
  }
}
const be = new CountingBackend();

const D = 4;
const MU = [0.5, -1, 0.3, 1];
const C = [1, 0.8, 0.3, 0.1, 0.8, 1.5, 0.5, -0.2, 0.3, 0.5, 0.8, 0.2, 0.1, -0.2, 0.2, 0.6];

/**
 * E[L] for the exact score: with Σ_t = α²C + σ²I, E‖σ s + ε‖² = D − σ² tr Σ_t⁻¹, so
 * E[L] = 1 − E_t[σ² tr Σ_t⁻¹]/D, t ~ U[1e-5, 1] (midpoint rule, 4000 nodes).
 */
function expectedExactLoss(sde: VpSde): number {
  const n = 4000, t0 = 1e-5;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const t = t0 + (1 - t0) * (i + 0.5) / n;
    const a = sde.alpha(t), s2 = sde.sigma(t) ** 2;
    const inv = invert(C.map((c, q) => a * a * c + (q % (D + 1) === 0 ? s2 : 0)), D);
    let tr = 0;
    for (let k = 0; k < D; k++) tr += inv[k * (D + 1)];
    acc += s2 * tr;
  }
  return 1 - acc / n / D;
}

Deno.test("dsmLoss of the exact Gaussian score equals its closed-form expectation", () => {
  for (const [b0, b1] of [[0.1, 20], [1, 5]]) {
    const sde = new VpSde({ beta0: b0, beta1: b1 });
    const exact = new GaussianScore(be, sde, MU, C);
    const zero: ScoreFn = { dim: D, score: (z) => Tensor.full(be, z.shape, 0) };
    const b = 20000;
    const z0 = Tensor.from(be, sampleGaussian(MU, C, b, new Rng(b0 * 10)), [b, D]);
    const [lExact, lZero] = tidy(() => [
      refData(dsmLoss(exact, sde, z0, new RandomStream(3)))[0],
      refData(dsmLoss(zero, sde, z0, new RandomStream(3)))[0],
    ]);
    const want = expectedExactLoss(sde);
    // Per-row losses have a standard deviation of 0.43 here (measured for both schedules), so the
    // standard error of the mean over 20000 rows is 0.003 and 0.015 is 5 of them.
    assert.ok(Math.abs(lExact - want) < 0.015, `β ${b0}→${b1}: loss ${lExact} vs ${want}`);
    // The zero score leaves mean(ε²): ≈ 1 and far above the exact score's value.
    assert.ok(Math.abs(lZero - 1) < 0.02 && lZero - lExact > 0.2, `zero score: ${lZero}`);
    z0.dispose();
    exact.dispose();
  }
});

Deno.test("dsmLoss rejects a batch of the wrong width", () => {
  const sde = new VpSde();
  const exact = new GaussianScore(be, sde, MU, C);
  assert.throws(
    () => tidy(() => dsmLoss(exact, sde, Tensor.full(be, [3, 2], 0), new RandomStream(1))),
    {
      name: "TypeError",
      message: /z0 must be \(B, 4\) with B >= 1: current shape is \[3, 2\]/,
    },
  );
  assert.throws(
    () =>
      tidy(() => dsmLoss(exact, sde, Tensor.full(be, [3, 4], 0), new RandomStream(1), { tMin: 0 })),
    { name: "RangeError", message: /tMin must be in \(0, 1\): current value is 0/ },
  );
  exact.dispose();
});

Deno.test("trainScoreModel reads the loss back only every metricsEvery steps", async () => {
  const sde = new VpSde();
  const net = new ScoreMlp(new Init(be, 2), { dim: 2, width: 4, blocks: 1, timeEmbedDim: 4, sde });
  const rng = new Rng(4);
  const reads = be.reads, live = be.liveBuffers;
  const seen: number[] = [];
  const out = await trainScoreModel(
    net,
    sde,
    () => Tensor.from(be, sampleGaussian([0, 0], [1, 0, 0, 1], 8, rng), [8, 2]),
    {
      steps: 5,
      lr: 1e-3,
      stream: new RandomStream(1),
      metricsEvery: 2,
      onMetrics: (s) => seen.push(s),
    },
  );
  assert.deepEqual(seen, [2, 4, 5]);
  assert.deepEqual(out.map((m) => m.step), [2, 4, 5]);
  assert.equal(be.reads - reads, 3);
  // Gradients are allocated once per parameter and kept; nothing else survives the steps.
  assert.equal(be.liveBuffers - live, net.parameters().length);
  await assert.rejects(
    () =>
      trainScoreModel(net, sde, () => Tensor.full(be, [2, 2], 0), {
        steps: 0,
        lr: 1e-3,
        stream: new RandomStream(1),
      }),
    { name: "RangeError", message: /steps must be an integer >= 1: current value is 0/ },
  );
  net.dispose();
});
