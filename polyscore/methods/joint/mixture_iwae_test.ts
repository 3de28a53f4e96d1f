/**
 * The MMVAE+ bound against an independent plain-f64 implementation (value), its gradient against
 * central differences of that implementation (every parameter), and logMeanExp at the magnitudes
 * of image log-weights. All on the f64 reference backend.
 */
import assert from "node:assert/strict";
import * as ops from "../../../engine/ops/mod.ts";
import { ReferenceBackend } from "../../../engine/reference/backend.ts";
import { grad, Tensor, tidy } from "../../../engine/tensor.ts";
import { assertAllClose } from "../../../engine/testing.ts";
import { objectiveF64, objectiveOn, tinyProblem } from "./_mixture_iwae_fixture.ts";
import { laplaceNoiseFrom, logMeanExp } from "./mixture_iwae.ts";

const be = new ReferenceBackend();

/** Synchronous read of a reference-backend tensor (the reference stores f64 arrays). */
function refData(t: Tensor): Float64Array {
  return (t.buf as unknown as { data: Float64Array }).data.subarray(0, t.size);
}

Deno.test("mixtureIwae() equals the f64 loop implementation of the MMVAE+ bound (M=3, K=3)", () => {
  const prob = tinyProblem(1);
  const want = objectiveF64(prob);
  const got = tidy(() => refData(objectiveOn(be, prob).loss)[0]);
  assert.ok(Number.isFinite(want) && Math.abs(want) > 1, `degenerate fixture: ${want}`);
  assertAllClose([got], [want], { atol: 1e-10, rtol: 1e-12, label: "−bound" });
});

Deno.test("mixtureIwae() with the Gaussian image likelihood equals the f64 implementation", () => {
  const prob = tinyProblem(4);
  prob.likelihood = "gaussian";
  prob.likelihoodScale = 0.3;
  const got = tidy(() => refData(objectiveOn(be, prob).loss)[0]);
  assertAllClose([got], [objectiveF64(prob)], { atol: 1e-10, rtol: 1e-12, label: "−bound" });
});

Deno.test("mixtureIwae() with K = 1 and β = 1 is the mixture ELBO (same f64 implementation)", () => {
  const prob = tinyProblem(2);
  prob.k = 1;
  prob.beta = 1;
  const d = prob.w + prob.z;
  prob.noise = prob.noise.map((v, i) => v.subarray(0, prob.b * (i < prob.m ? d : prob.w)));
  const got = tidy(() => refData(objectiveOn(be, prob).loss)[0]);
  assertAllClose([got], [objectiveF64(prob)], { atol: 1e-10, rtol: 1e-12, label: "−ELBO" });
});

Deno.test("mixtureIwae() gradients match central differences of the f64 implementation", () => {
  const prob = tinyProblem(3);
  const h = 1e-6;
  tidy(() => {
    const { loss, params, names } = objectiveOn(be, prob);
    const gs = grad(loss, params);
    names.forEach((n, i) => {
      const analytic = gs[i] ? refData(gs[i]!) : new Float64Array(prob.params[n].length);
      const numeric = prob.params[n].map((_, j) => {
        const at = (delta: number) => {
          const v = prob.params[n].slice();
          v[j] += delta;
          return objectiveF64(prob, { ...prob.params, [n]: v });
        };
        return (at(h) - at(-h)) / (2 * h);
      });
      assertAllClose(analytic, numeric, { atol: 1e-6, rtol: 1e-5, label: `d/d${n}` });
    });
  });
});

Deno.test("logMeanExp() is exact at image log-weight magnitudes where exp underflows", () => {
  // Rows of 4 near −10⁴ (exp(−10⁴) = 0 in f64): a naive log Σ exp would give −∞.
  const x = [-1e4, -1e4 + 30, -1e4 - 50, -1e4 + 29.5, -3, -7, -2, -1e3];
  const want = [0, 1].map((r) => {
    const row = x.slice(4 * r, 4 * r + 4);
    const mx = Math.max(...row);
    return mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0) / 4);
  });
  tidy(() => {
    const t = Tensor.from(be, x, [2, 4]).requireGrad();
    const y = logMeanExp(t, 1);
    assertAllClose(refData(y), want, { atol: 1e-9, rtol: 1e-12, label: "lme axis 1" });
    // Along axis 0 of the transpose: the same values.
    const yt = logMeanExp(ops.transpose(Tensor.from(be, x, [2, 4])), 0);
    assertAllClose(refData(yt), want, { atol: 1e-9, rtol: 1e-12, label: "lme axis 0" });
    // d/dx = softmax(x) per row.
    const [g] = grad(ops.sumAll(y), [t]);
    const sm = x.map((v, i) => Math.exp(v - (want[Math.floor(i / 4)] + Math.log(4))));
    assertAllClose(refData(g!), sm, { atol: 1e-12, rtol: 1e-9, label: "lme grad" });
  });
});

Deno.test("laplaceNoiseFrom() turns uniforms into Laplace(0, 1) draws (mean 0, E|x| = 1, var 2)", () => {
  const n = 20000;
  const u1 = Float64Array.from({ length: n }, (_, i) => ((i * 0.6180339887) % 1));
  const u2 = Float64Array.from({ length: n }, (_, i) => ((i * 0.7548776662 + 0.5) % 1));
  tidy(() => {
    const v = refData(laplaceNoiseFrom(Tensor.from(be, u1, [n]), Tensor.from(be, u2, [n])));
    let m = 0, a = 0, s = 0;
    for (const x of v) {
      m += x / n;
      a += Math.abs(x) / n;
      s += (x * x) / n;
    }
    assert.ok(v.every(Number.isFinite), "a draw is not finite");
    assert.ok(
      Math.abs(m) < 0.03 && Math.abs(a - 1) < 0.03 && Math.abs(s - 2) < 0.1,
      `${m} ${a} ${s}`,
    );
  });
});
