/** VP-SDE coefficients against their closed forms, host and device, and constructor validation. */
import assert from "node:assert/strict";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { Tensor, tidy } from "../../engine/tensor.ts";
import { assertAllClose } from "../../engine/testing.ts";
import { VpSde } from "./vpsde.ts";

const be = new ReferenceBackend();

Deno.test("VpSde coefficients match the closed-form marginal for beta 0.1 -> 20", () => {
  const sde = new VpSde({ beta0: 0.1, beta1: 20 });
  for (const t of [0, 1e-5, 1e-3, 0.25, 0.5, 1]) {
    const logA = -0.25 * t * t * 19.9 - 0.5 * t * 0.1;
    assert.ok(Math.abs(sde.beta(t) - (0.1 + 19.9 * t)) < 1e-12);
    assert.ok(Math.abs(sde.alpha(t) - Math.exp(logA)) < 1e-15);
    assert.ok(Math.abs(sde.alpha(t) ** 2 + sde.sigma(t) ** 2 - 1) < 1e-14, `α² + σ² at t = ${t}`);
  }
  assert.equal(sde.alpha(0), 1);
  assert.equal(sde.sigma(0), 0);
  // Small-t accuracy: σ² ≈ β₀ t for t → 0 (1 − α² would lose digits here in f32 and f64).
  assert.ok(Math.abs(sde.sigma(1e-9) ** 2 / (0.1 * 1e-9) - 1) < 1e-6);
});

Deno.test("VpSde defaults are the official PolyMNIST beta 1 -> 5", () => {
  const sde = new VpSde();
  assert.equal(sde.beta0, 1);
  assert.equal(sde.beta1, 5);
  assert.equal(sde.T, 1);
  assert.ok(Math.abs(sde.alpha(1) - Math.exp(-1.5)) < 1e-15);
});

Deno.test("VpSde.marginalCoefficients on the device equals the host values", () => {
  const sde = new VpSde({ beta0: 1, beta1: 5 });
  const ts = [1e-5, 0.01, 0.3, 0.77, 1];
  tidy(() => {
    const { alpha, sigma } = sde.marginalCoefficients(Tensor.from(be, ts, [ts.length]));
    assert.deepEqual(alpha.shape, [ts.length, 1]);
    const a = (alpha.buf as unknown as { data: Float64Array }).data;
    const s = (sigma.buf as unknown as { data: Float64Array }).data;
    assertAllClose(a.subarray(0, ts.length), ts.map((t) => sde.alpha(t)), {
      atol: 1e-14,
      label: "α",
    });
    assertAllClose(s.subarray(0, ts.length), ts.map((t) => sde.sigma(t)), {
      atol: 1e-10,
      label: "σ",
    });
  });
});

Deno.test("VpSde.discreteAlpha is 1 - linspace(beta0/N, beta1/N, N)[floor(t(N-1))]", () => {
  const sde = new VpSde({ beta0: 0.1, beta1: 20 });
  const n = 7;
  const lin = Array.from({ length: n }, (_, i) => 0.1 / n + i * (20 / n - 0.1 / n) / (n - 1));
  for (const t of [1, 0.999, 0.5, 0.17, 1e-3]) {
    const i = Math.floor(t * (n - 1));
    assert.ok(Math.abs(sde.discreteAlpha(t, n) - (1 - lin[i])) < 1e-15, `t = ${t}`);
  }
  assert.ok(Math.abs(sde.discreteAlpha(0.5, 1) - (1 - 0.1)) < 1e-15);
});

Deno.test("VpSde rejects bad betas with the value in the message", () => {
  assert.throws(() => new VpSde({ beta0: 5, beta1: 1 }), {
    name: "RangeError",
    message: /beta0 must be <= beta1: current values are beta0 = 5, beta1 = 1/,
  });
  assert.throws(() => new VpSde({ beta0: -1, beta1: 1 }), {
    name: "RangeError",
    message: /beta0 must be a finite number >= 0: current value is -1/,
  });
  assert.throws(() => new VpSde({ beta0: 0, beta1: NaN }), { message: /beta1.*NaN/ });
  assert.throws(() => new VpSde({ beta0: 0, beta1: 0 }), { message: /beta1 must be > 0/ });
});
