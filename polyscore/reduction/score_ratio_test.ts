import assert from "node:assert/strict";
import { createWasmCpuBackend } from "../../wasm/cpu/mod.ts";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { Rng } from "../../engine/random.ts";
import { grad, noGrad, Tensor, tidy } from "../../engine/tensor.ts";
import { assertAllClose, randomArray } from "../../engine/testing.ts";
import {
  denoisingScoreRatioLoss,
  evaluateScoreRatio,
  gaussianLinearInit,
  type ScoreActivation,
  scoreRatioLoss,
  ScoreRatioNet,
  trainScoreRatio,
} from "./score_ratio.ts";

const be = new ReferenceBackend();

function refData(t: Tensor): Float64Array {
  return (t.buf as unknown as { data: Float64Array }).data.subarray(0, t.size);
}

/** A network with every parameter (including the zero-initialised output layer) randomised. */
function randomNet(d: number, hidden: number[], activation: ScoreActivation, seed: number) {
  const net = new ScoreRatioNet(be, { dim: d, hidden, activation, seed, linear: "full" });
  net.parameters().forEach((p, i) =>
    be.write(p.buf, randomArray(p.size, seed * 100 + i, -0.8, 0.8))
  );
  return net;
}

for (const act of ["silu", "tanh", "softplus", "gelu"] as const) {
  Deno.test(`ScoreRatioNet exact divergence (${act}) matches central differences of s`, () => {
    const d = 5, b = 3;
    const net = randomNet(d, [7, 6], act, 3);
    const x = randomArray(b * d, 9, -1.5, 1.5);
    tidy(() => {
      const { div } = net.forwardWithDivergence(Tensor.from(be, x, [b, d]), { kind: "exact" });
      const numeric = new Float64Array(b);
      const h = 1e-5;
      for (let i = 0; i < b; i++) {
        for (let j = 0; j < d; j++) {
          const xp = x.slice(), xm = x.slice();
          xp[i * d + j] += h;
          xm[i * d + j] -= h;
          const sp = refData(noGrad(() => net.forward(Tensor.from(be, xp, [b, d]))));
          const sm = refData(noGrad(() => net.forward(Tensor.from(be, xm, [b, d]))));
          numeric[i] += (sp[i * d + j] - sm[i * d + j]) / (2 * h);
        }
      }
      assertAllClose(refData(div!), numeric, {
        atol: 1e-8,
        rtol: 1e-7,
        label: `${act} divergence`,
      });
    });
  });
}

Deno.test("ScoreRatioNet Hutchinson with probes √D·e_i reproduces the exact divergence", () => {
  const d = 4, b = 2;
  const net = randomNet(d, [5], "silu", 4);
  const x = randomArray(b * d, 10);
  tidy(() => {
    const u = Tensor.from(be, x, [b, d]);
    const exact = refData(net.forwardWithDivergence(u, { kind: "exact" }).div!);
    const probes = new Float64Array(b * d * d);
    for (let i = 0; i < b; i++) {
      for (let k = 0; k < d; k++) probes[(i * d + k) * d + k] = Math.sqrt(d);
    }
    const hutch = net.forwardWithDivergence(u, {
      kind: "hutchinson",
      k: d,
      probes: Tensor.from(be, probes, [b * d, d]),
    }).div!;
    assertAllClose(refData(hutch), exact, { atol: 1e-10, rtol: 1e-10 });
  });
});

Deno.test("ScoreRatioNet Hutchinson with many Rademacher probes approaches the exact divergence", () => {
  const d = 6, b = 2, k = 4000;
  const net = randomNet(d, [8], "tanh", 5);
  const x = randomArray(b * d, 11);
  const rng = new Rng(3);
  tidy(() => {
    const u = Tensor.from(be, x, [b, d]);
    const exact = refData(net.forwardWithDivergence(u, { kind: "exact" }).div!);
    const probes = new Float64Array(b * k * d).map(() => rng.uniform() < 0.5 ? -1 : 1);
    const hutch = refData(
      net.forwardWithDivergence(u, {
        kind: "hutchinson",
        k,
        probes: Tensor.from(be, probes, [b * k, d]),
      })
        .div!,
    );
    // The standard error is below ‖J_offdiag‖_F·√(2/k) ≈ 0.03 here; allow 5 of those.
    assertAllClose(hutch, exact, { atol: 0.15, rtol: 0 });
  });
});

Deno.test("scoreRatioLoss gradient in θ matches a central difference along a random direction", () => {
  const d = 3, b = 4;
  const net = randomNet(d, [5, 4], "silu", 6);
  const params = net.parameters();
  const x = randomArray(b * d, 12);
  const values = params.map((p) => refData(p).slice());
  const dirs = params.map((p, i) => randomArray(p.size, 50 + i));
  const lossAt = (t: number) =>
    tidy(() => {
      params.forEach((p, i) => be.write(p.buf, values[i].map((v, j) => v + t * dirs[i][j])));
      return refData(
        noGrad(() => scoreRatioLoss(net, Tensor.from(be, x, [b, d]), { kind: "exact" })),
      )[0];
    });
  const h = 1e-6;
  const numeric = (lossAt(h) - lossAt(-h)) / (2 * h);
  params.forEach((p, i) => be.write(p.buf, values[i]));
  const analytic = tidy(() => {
    const gs = grad(scoreRatioLoss(net, Tensor.from(be, x, [b, d]), { kind: "exact" }), params);
    let s = 0;
    gs.forEach((g, i) => refData(g!).forEach((v, j) => s += v * dirs[i][j]));
    return s;
  });
  assertAllClose([analytic], [numeric], {
    atol: 1e-7,
    rtol: 1e-6,
    label: "directional derivative",
  });
});

Deno.test("scoreRatioLoss at the analytic Gaussian score ratio equals −mean ‖s‖²", () => {
  // For π with second moment Ĉ = (1/n) Σ u uᵀ, s = (I − Ĉ⁻¹) u is the exact minimiser among linear
  // fields and J = −tr((I − Ĉ⁻¹) Ĉ (I − Ĉ⁻¹)).
  const d = 2, n = 6;
  const x = randomArray(n * d, 13, -2, 2);
  const c = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < d; k++) c[j * d + k] += x[i * d + j] * x[i * d + k] / n;
    }
  }
  const det = c[0] * c[3] - c[1] * c[2];
  const ci = [c[3] / det, -c[1] / det, -c[2] / det, c[0] / det];
  const a = [1 - ci[0], -ci[1], -ci[2], 1 - ci[3]];
  const net = new ScoreRatioNet(be, { dim: d, hidden: [4] });
  be.write(net.p!.buf, a);
  tidy(() => {
    const u = Tensor.from(be, x, [n, d]);
    const loss = refData(scoreRatioLoss(net, u, { kind: "exact" }))[0];
    const s = refData(net.forward(u));
    let q = 0;
    for (const v of s) q += v * v / n;
    assertAllClose([loss], [-q], { atol: 1e-12, rtol: 1e-10 });
  });
});

Deno.test("gaussianLinearInit() is the minimiser of the objective over linear fields", () => {
  // The gradient of J(A) = tr(A M Aᵀ) + 2 tr A − 2 tr(A M) vanishes at A = I − M⁻¹.
  const d = 3, n = 50;
  const x = randomArray(n * d, 14, -2, 2);
  for (let i = 0; i < n; i++) x[i * d + 2] += x[i * d];
  const a = gaussianLinearInit(x, n, d);
  const net = new ScoreRatioNet(be, { dim: d, hidden: [], linear: "full" });
  net.setLinear(a);
  tidy(() => {
    const [g] = grad(scoreRatioLoss(net, Tensor.from(be, x, [n, d]), { kind: "exact" }), [net.p!]);
    assertAllClose(refData(g!), new Float64Array(d * d), { atol: 1e-12, label: "dJ/dA" });
  });
  // Symmetric networks reject an asymmetric A; "none" has no linear term.
  const sym = new ScoreRatioNet(be, { dim: 2, hidden: [2] });
  assert.throws(() => sym.setLinear([0, 1, 0, 0]), RangeError);
  assert.throws(() => sym.setLinear([0, 1, 1]), TypeError);
  assert.throws(
    () => new ScoreRatioNet(be, { dim: 2, linear: "none" }).setLinear([0, 0, 0, 0]),
    RangeError,
  );
});

Deno.test("trainScoreRatio learns a 1-D Gaussian's score ratio and frees what it allocates", async () => {
  // π = N(0, 4) in one dimension: s(u) = (1 − 1/4) u.
  const n = 2000;
  const rng = new Rng(7);
  const u = new Float64Array(n).map(() => 2 * rng.normal());
  const net = new ScoreRatioNet(be, { dim: 1, hidden: [4], seed: 1 });
  const live = be.liveBuffers;
  const res = await trainScoreRatio(net, u, n, {
    steps: 300,
    batch: 128,
    lr: 2e-2,
    logEvery: 100,
    linearInit: "keep",
  });
  assert.equal(res.divergence, "exact");
  assert.equal(res.losses.length, 3);
  // Parameters gain .grad buffers once; nothing else may survive training.
  assert.equal(be.liveBuffers - live, net.parameters().length);
  const s = await evaluateScoreRatio(net, new Float64Array([1, -2]), 2);
  assertAllClose(s, [0.75, -1.5], { atol: 0.08, label: "learned s" });
});

Deno.test("trainScoreRatio on the Wasm CPU backend (f32) matches the f64 reference", async () => {
  const d = 3, n = 512;
  const rng = new Rng(8);
  const u = new Float64Array(n * d).map(() => rng.normal());
  for (let i = 0; i < n; i++) u[i * d + 1] += 0.8 * u[i * d]; // correlated coordinates
  const wasm = await createWasmCpuBackend({ threads: 1 });
  try {
    const run = async (backend: typeof be | typeof wasm) => {
      const net = new ScoreRatioNet(backend, { dim: d, hidden: [8, 8], seed: 2 });
      const res = await trainScoreRatio(net, u, n, {
        steps: 40,
        batch: 64,
        lr: 1e-2,
        logEvery: 10,
      });
      const s = await evaluateScoreRatio(net, u.subarray(0, 8 * d), 8);
      net.dispose();
      return { losses: res.losses.map(([, l]) => l), s };
    };
    const ref = await run(be), got = await run(wasm);
    assertAllClose(got.losses, ref.losses, { atol: 1e-4, rtol: 1e-4, label: "losses" });
    assertAllClose(got.s, ref.s, { atol: 1e-4, rtol: 1e-3, label: "trained s" });
  } finally {
    wasm.destroy();
  }
});

Deno.test("denoising objective learns the smoothed Gaussian score ratio I − (C + σ²I)⁻¹", async () => {
  // π = N(0, C) in 2-D, σ = 0.5: the minimiser is A = I − (C + σ²I)⁻¹ (not I − C⁻¹).
  const n = 8000, sigma = 0.5;
  const rng = new Rng(15);
  const u = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const a = rng.normal(), b = rng.normal();
    u[2 * i] = 1.5 * a;
    u[2 * i + 1] = 0.9 * a + 0.6 * b; // C = [[2.25, 1.35], [1.35, 1.17]]
  }
  const c = [2.25 + sigma ** 2, 1.35, 1.35, 1.17 + sigma ** 2];
  const det = c[0] * c[3] - c[1] * c[2];
  const expected = [1 - c[3] / det, c[1] / det, c[2] / det, 1 - c[0] / det];
  const net = new ScoreRatioNet(be, { dim: 2, hidden: [], seed: 1 });
  await trainScoreRatio(net, u, n, {
    steps: 500,
    batch: 256,
    lr: 2e-2,
    objective: "denoising",
    noiseStd: sigma,
    linearInit: "keep",
  });
  const a = tidy(() => refData(net.linearMap()!).slice());
  assertAllClose(a, expected, { atol: 0.04, label: "denoising A" });
  assert.throws(
    () =>
      tidy(() =>
        denoisingScoreRatioLoss(
          net,
          Tensor.from(be, [0, 0], [1, 2]),
          Tensor.from(be, [0, 0], [1, 2]),
          0,
        )
      ),
    RangeError,
  );
});

Deno.test("ScoreRatioNet and trainScoreRatio validate their inputs", async () => {
  assert.throws(() => new ScoreRatioNet(be, { dim: 0 }), RangeError);
  assert.throws(() => new ScoreRatioNet(be, { dim: 2, hidden: [], linear: "none" }), RangeError);
  const net = new ScoreRatioNet(be, { dim: 2, hidden: [3] });
  assert.throws(() => tidy(() => net.forward(Tensor.from(be, [1, 2, 3], [1, 3]))), TypeError);
  await assert.rejects(() => trainScoreRatio(net, new Float64Array(5), 2, { steps: 1 }), TypeError);
  await assert.rejects(
    () =>
      trainScoreRatio(net, new Float64Array(4), 2, { steps: 1, divergence: "sliced" as "exact" }),
    RangeError,
  );
});
