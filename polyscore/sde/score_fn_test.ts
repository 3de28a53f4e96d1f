/** The exact scores against host formulas: a Gaussian by matrix inversion, a mixture by finite differences. */
import assert from "node:assert/strict";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { Tensor, tidy } from "../../engine/tensor.ts";
import { assertAllClose, randomArray } from "../../engine/testing.ts";
import { invert, refData } from "./_test_utils.ts";
import { GaussianMixtureScore, GaussianScore, jacobiEigh } from "./score_fn.ts";
import { VpSde } from "./vpsde.ts";

const be = new ReferenceBackend();
const sde = new VpSde({ beta0: 0.1, beta1: 20 });

Deno.test("jacobiEigh reconstructs a 5x5 symmetric matrix with orthonormal vectors", () => {
  const n = 5, r = randomArray(n * n, 3);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = r[i * n + j] + r[j * n + i];
  }
  const { values, vectors: v } = jacobiEigh(a, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let rec = 0, dot = 0;
      for (let k = 0; k < n; k++) {
        rec += v[i * n + k] * values[k] * v[j * n + k];
        dot += v[k * n + i] * v[k * n + j];
      }
      assert.ok(Math.abs(rec - a[i * n + j]) < 1e-12, `A[${i},${j}]`);
      assert.ok(Math.abs(dot - +(i === j)) < 1e-12, `VᵀV[${i},${j}]`);
    }
  }
});

Deno.test("GaussianScore equals -(a^2 C + s^2 I)^-1 (z - a mu) per row", () => {
  const mean = [0.5, -1, 0.3];
  const cov = [1, 0.8, 0.3, 0.8, 1.5, 0.5, 0.3, 0.5, 0.8];
  const g = new GaussianScore(be, sde, mean, cov);
  const ts = [1, 0.5, 0.01, 1e-3];
  const z = randomArray(ts.length * 3, 5, -2, 2);
  tidy(() => {
    const s = refData(
      g.score(Tensor.from(be, z, [ts.length, 3]), Tensor.from(be, ts, [ts.length])),
    );
    const expected: number[] = [];
    ts.forEach((t, r) => {
      const a = sde.alpha(t), s2 = sde.sigma(t) ** 2;
      const inv = invert(cov.map((c, k) => a * a * c + (k % 4 === 0 ? s2 : 0)), 3);
      for (let i = 0; i < 3; i++) {
        let v = 0;
        for (let j = 0; j < 3; j++) v -= inv[i * 3 + j] * (z[r * 3 + j] - a * mean[j]);
        expected.push(v);
      }
    });
    assertAllClose(s, expected, { atol: 1e-9, rtol: 1e-9, label: "gaussian score" });
  });
  g.dispose();
});

Deno.test("GaussianMixtureScore equals the finite-difference gradient of log p_t", () => {
  const mix = {
    weights: [0.5, 0.3, 0.2],
    means: [[-2, 0], [2, 0.5], [0, 2.5]],
    stds: [0.4, 0.6, 0.3],
  };
  const g = new GaussianMixtureScore(be, sde, mix);
  const logp = (x: number[], t: number) => {
    const a = sde.alpha(t), s2 = sde.sigma(t) ** 2;
    let p = 0;
    mix.weights.forEach((w, k) => {
      const v = a * a * mix.stds[k] ** 2 + s2;
      const d2 = (x[0] - a * mix.means[k][0]) ** 2 + (x[1] - a * mix.means[k][1]) ** 2;
      p += w * Math.exp(-d2 / (2 * v)) / (2 * Math.PI * v);
    });
    return Math.log(p);
  };
  const ts = [1, 0.4, 0.05, 1e-3, 1e-3];
  const z = [0.3, -0.2, 1, 1, -1.9, 0.1, 0.1, 2.4, 1.9, 0.6];
  tidy(() => {
    const s = refData(g.score(Tensor.from(be, z, [5, 2]), Tensor.from(be, ts, [5])));
    const h = 1e-6, fd: number[] = [];
    ts.forEach((t, r) => {
      for (let c = 0; c < 2; c++) {
        const xp = [z[2 * r], z[2 * r + 1]], xm = [...xp];
        xp[c] += h;
        xm[c] -= h;
        fd.push((logp(xp, t) - logp(xm, t)) / (2 * h));
      }
    });
    assertAllClose(s, fd, { atol: 1e-5, rtol: 1e-6, label: "mixture score" });
  });
  g.dispose();
});

Deno.test("exact scores reject malformed parameters", () => {
  assert.throws(() => new GaussianScore(be, sde, [0, 0], [1, 0, 0]), {
    name: "TypeError",
    message: /cov must have D·D = 4 entries for D = 2: current length is 3/,
  });
  assert.throws(() => new GaussianScore(be, sde, [0, 0], [1, 2, 2, 1]), {
    name: "RangeError",
    message: /positive semi-definite: smallest eigenvalue is -0.99/,
  });
  assert.throws(
    () => new GaussianMixtureScore(be, sde, { weights: [1, 0], means: [[0], [1]], stds: [1, 1] }),
    { name: "RangeError", message: /weights must be > 0/ },
  );
});
