/**
 * The probability-flow ODE predictor (`predictor: "ode_heun"`) with known answers. For Gaussian data
 * N(μ, C) the exact flow is affine: in C's eigenbasis (λ_i, u_i) the standardised coordinate
 * (z_t − α_t μ)·u_i / √(α_t² λ_i + σ_t²) is conserved, so every row's exact end point is known
 * from its own initial draw. Checked here: each row against that end point (error O(1/N²), and
 * the order itself), the marginal moments against N(μ, C) where the t = 1 prior N(0, I) is right,
 * the conditional with final Langevin steps against the analytic conditional, and the cost count.
 * Checked to fail: with the drift's sign flipped (row error 4.1; the row, moment and conditional
 * tests all fail), and with Heun's second call dropped (Euler: order 1.04, N = 12 error 0.046).
 */
import assert from "node:assert/strict";
import { RandomStream } from "../../engine/ops/mod.ts";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { Tensor, tidy } from "../../engine/tensor.ts";
import { invert, moments, refData } from "./_test_utils.ts";
import { pcSample, samplerNfe } from "./pc_sampler.ts";
import { GaussianScore, jacobiEigh } from "./score_fn.ts";
import { VpSde } from "./vpsde.ts";

const be = new ReferenceBackend();
const D = 4;
const MU = [0.5, -1, 0.3, 1];
const C = [1, 0.8, 0.3, 0.1, 0.8, 1.5, 0.5, -0.2, 0.3, 0.5, 0.8, 0.2, 0.1, -0.2, 0.2, 0.6];
const T_END = 1e-3;
const VERBOSE = !!Deno.env.get("SDE_TEST_VERBOSE");

/** The exact flow's end point at tEnd of each row of z₁ (B, D): α_e μ + U diag(√(v_e/v_1)) Uᵀ (z₁ − α_1 μ). */
function exactFlow(sde: VpSde, z1: ArrayLike<number>, b: number): Float64Array {
  const { values, vectors } = jacobiEigh(C, D);
  const a1 = sde.alpha(1), s1 = sde.sigma(1), ae = sde.alpha(T_END), se = sde.sigma(T_END);
  const g = values.map((l) => Math.sqrt((ae * ae * l + se * se) / (a1 * a1 * l + s1 * s1)));
  const out = new Float64Array(b * D);
  for (let r = 0; r < b; r++) {
    const x = MU.map((m, i) => z1[r * D + i] - a1 * m);
    const w = values.map((_, k) => g[k] * x.reduce((s, v, i) => s + v * vectors[i * D + k], 0));
    for (let i = 0; i < D; i++) {
      out[r * D + i] = ae * MU[i] + w.reduce((s, v, k) => s + v * vectors[i * D + k], 0);
    }
  }
  return out;
}

/** Largest |sampled − exact| over the rows of an unconditional ODE run with N steps. */
function flowError(sde: VpSde, g: GaussianScore, n: number, b: number): number {
  const z1 = tidy(() => refData(new RandomStream(4).normal(be, [b, D])).slice());
  const x = tidy(() =>
    refData(pcSample(g, sde, {
      stream: new RandomStream(4),
      steps: n,
      predictor: "ode_heun",
      correctorSteps: 0,
      batch: b,
      backend: be,
    })).slice()
  );
  const want = exactFlow(sde, z1, b);
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
}

Deno.test("ode_heun moves every row along the exact Gaussian flow, with second-order error", () => {
  for (const [b0, b1] of [[1, 5], [0.1, 20]]) {
    const sde = new VpSde({ beta0: b0, beta1: b1 });
    const g = new GaussianScore(be, sde, MU, C);
    const e = [12, 24, 48].map((n) => flowError(sde, g, n, 64));
    const order = e.slice(1).map((v, i) => Math.log2(e[i] / v));
    if (VERBOSE) console.log(`β ${b0} → ${b1}: max error ${e.map((v) => v.toExponential(2))}`);
    // Measured (N = 12 / 24 / 48): β 1 → 5: 4.0e-3 / 1.0e-3 / 2.5e-4; β 0.1 → 20: 2.2e-2 /
    // 5.6e-3 / 1.4e-3 (the stiffer end near t = 0); observed order 1.98–2.00. Euler gives 1.
    if (VERBOSE) console.log(`order ${order}`);
    assert.ok(e[0] < (b1 === 5 ? 8e-3 : 0.05), `N = 12: max error ${e[0]}`);
    for (const o of order) assert.ok(o > 1.8 && o < 2.2, `observed order ${order}`);
    g.dispose();
  }
});

Deno.test("ode_heun's unconditional moments match N(μ, C) at 25 steps when N(0, I) is the t = 1 marginal", () => {
  // β 0.1 → 20: α(1) = 0.0066, so the N(0, I) start is p_1 to 4e-5 and the flow ends at N(μ, C).
  // (β 1 → 5 has α(1) = 0.22: the deterministic flow keeps that start's error, unlike the SDE —
  // the row test above checks that case against the flow of N(0, I) itself.)
  const sde = new VpSde({ beta0: 0.1, beta1: 20 });
  const g = new GaussianScore(be, sde, MU, C);
  const b = 4000;
  const x = tidy(() =>
    refData(pcSample(g, sde, {
      stream: new RandomStream(9),
      steps: 25,
      predictor: "ode_heun",
      correctorSteps: 0,
      batch: b,
      backend: be,
    })).slice()
  );
  const got = moments(x, D, Array.from({ length: b }, (_, r) => r), [0, 1, 2, 3]);
  if (VERBOSE) console.log("ode_heun N = 25 moments", got);
  for (let i = 0; i < D; i++) {
    const tol = 4.5 * Math.sqrt(C[i * D + i] / b) + 0.01;
    assert.ok(Math.abs(got.mean[i] - MU[i]) < tol, `mean[${i}] ${got.mean[i]} vs ${MU[i]}`);
    for (let j = 0; j < D; j++) {
      const se = Math.sqrt((C[i * D + i] * C[j * D + j] + C[i * D + j] ** 2) / b);
      assert.ok(
        Math.abs(got.cov[i * D + j] - C[i * D + j]) < 4.5 * se + 0.02,
        `cov[${i},${j}] ${got.cov[i * D + j]} vs ${C[i * D + j]}`,
      );
    }
  }
  g.dispose();
});

Deno.test("ode_heun + final Langevin steps matches the analytic Gaussian conditional", () => {
  const sde = new VpSde({ beta0: 0.1, beta1: 20 });
  const g = new GaussianScore(be, sde, MU, C);
  const obsMask = [0, 1, 0, 1], zObs = [0, -0.2, 0, 1.8], u = [0, 2], o = [1, 3];
  const coo = invert(o.flatMap((i) => o.map((j) => C[i * D + j])), 2);
  const k = u.map((i) =>
    o.map((_, b) => o.reduce((s, j, c) => s + C[i * D + j] * coo[c * 2 + b], 0))
  );
  const mean = u.map((i, a) => MU[i] + o.reduce((s, j, b) => s + k[a][b] * (zObs[j] - MU[j]), 0));
  const cov = u.flatMap((i, a) =>
    u.map((j) => C[i * D + j] - o.reduce((s, q, b) => s + k[a][b] * C[q * D + j], 0))
  );
  const b = 3000;
  for (const noise of ["fresh", "code_quirk"] as const) {
    const x = tidy(() =>
      refData(pcSample(g, sde, {
        stream: new RandomStream(8),
        steps: 25,
        predictor: "ode_heun",
        correctorSteps: 0,
        finalCorrectorSteps: 60,
        output: "sample",
        observedNoise: noise,
        observed: { values: Tensor.from(be, zObs, [1, D]), mask: obsMask },
        batch: b,
      })).slice()
    );
    for (let r = 0; r < b; r++) assert.equal(x[r * D + 3], zObs[3]);
    const got = moments(x, D, Array.from({ length: b }, (_, r) => r), u);
    if (VERBOSE) console.log(`ode_heun ${noise} conditional`, got, { mean, cov });
    // 4.5 standard errors plus 0.02 for the Langevin discretisation bias (as the PC test).
    for (let a = 0; a < 2; a++) {
      const tol = 4.5 * Math.sqrt(cov[a * 3] / b) + 0.02;
      assert.ok(Math.abs(got.mean[a] - mean[a]) < tol, `${noise} mean[${a}] ${got.mean[a]}`);
      for (let c = 0; c < 2; c++) {
        const se = Math.sqrt((cov[a * 3] * cov[c * 3] + cov[a * 2 + c] ** 2) / b);
        assert.ok(
          Math.abs(got.cov[a * 2 + c] - cov[a * 2 + c]) < 4.5 * se + 0.02,
          `${noise} cov[${a},${c}] ${got.cov[a * 2 + c]} vs ${cov[a * 2 + c]}`,
        );
      }
    }
  }
  g.dispose();
});

Deno.test("samplerNfe counts the network calls per row, and ode_heun refuses corrector steps", () => {
  let calls = 0;
  const sde = new VpSde();
  const g = new GaussianScore(be, sde, MU, C);
  const counting = { dim: D, score: (z: Tensor, t: Tensor) => (calls++, g.score(z, t)) };
  for (
    const o of [
      { predictor: "reverse_sde", correctorSteps: 1, steps: 7, finalCorrectorSteps: 3 },
      { predictor: "reverse_sde", correctorSteps: 0, steps: 7, finalCorrectorSteps: 0 },
      { predictor: "ode_heun", correctorSteps: 0, steps: 7, finalCorrectorSteps: 3 },
    ] as const
  ) {
    calls = 0;
    tidy(() =>
      pcSample(counting, sde, { ...o, stream: new RandomStream(1), batch: 2, backend: be })
    );
    assert.equal(calls, samplerNfe(o), JSON.stringify(o));
  }
  assert.equal(
    samplerNfe({ predictor: "ode_heun", correctorSteps: 0, steps: 25, finalCorrectorSteps: 20 }),
    70,
  );
  assert.throws(
    () =>
      pcSample(g, sde, {
        stream: new RandomStream(1),
        batch: 2,
        backend: be,
        predictor: "ode_heun",
        correctorSteps: 1,
      }),
    /correctorSteps must be 0 with predictor "ode_heun".*current value is 1/,
  );
  assert.throws(
    () =>
      pcSample(g, sde, {
        stream: new RandomStream(1),
        batch: 2,
        backend: be,
        predictor: "rk4" as unknown as "ode_heun",
      }),
    /predictor must be "reverse_sde" or "ode_heun": current value is rk4/,
  );
  g.dispose();
});
