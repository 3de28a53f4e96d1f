/**
 * The PC sampler with known answers: the fused kernels against composed ops, one-step wiring
 * against a host replay, conditional and unconditional moments of a correlated Gaussian (exact
 * score, sampler alone) against exact moment propagation of the discrete chain and against the
 * analytic conditional, no readback and no leaks, and option validation.
 */
import assert from "node:assert/strict";
import * as ops from "../../engine/ops/mod.ts";
import { RandomStream } from "../../engine/ops/mod.ts";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { type DeviceBuffer } from "../../engine/backend.ts";
import { Tensor, tidy } from "../../engine/tensor.ts";
import { assertAllClose, randomArray } from "../../engine/testing.ts";
import { invert, moments, refData } from "./_test_utils.ts";
import { type ObservedNoise, pcSample } from "./pc_sampler.ts";
import { GaussianScore } from "./score_fn.ts";
import { VpSde } from "./vpsde.ts";

/** The reference backend, counting read-backs. */
class CountingBackend extends ReferenceBackend {
  reads = 0;
  override read(buf: DeviceBuffer): Promise<Float64Array> {
    this.reads++;
    return super.read(buf);
  }
}

const be = new CountingBackend();

// A correlated Gaussian in R⁴; coordinates 1 and 3 are observed in the conditional tests.
const D = 4;
const MU = [0.5, -1, 0.3, 1];
const C = [1, 0.8, 0.3, 0.1, 0.8, 1.5, 0.5, -0.2, 0.3, 0.5, 0.8, 0.2, 0.1, -0.2, 0.2, 0.6];
const OBS_MASK = [0, 1, 0, 1];
const Z_OBS = [0, -0.2, 0, 1.8];

/** The analytic conditional of the unobserved coordinates [0, 2] given z_1, z_3. */
function analyticConditional(): { mean: number[]; cov: number[] } {
  const u = [0, 2], o = [1, 3];
  const coo = invert(o.flatMap((i) => o.map((j) => C[i * D + j])), 2);
  const k = u.map((i) =>
    o.map((_, b) => o.reduce((s, j, c) => s + C[i * D + j] * coo[c * 2 + b], 0))
  );
  const mean = u.map((i, a) => MU[i] + o.reduce((s, j, b) => s + k[a][b] * (Z_OBS[j] - MU[j]), 0));
  const cov = u.flatMap((i, a) =>
    u.map((j) => C[i * D + j] - o.reduce((s, q, b) => s + k[a][b] * C[q * D + j], 0))
  );
  return { mean, cov };
}

/**
 * Exact mean and covariance of the predictor-only chain of `pcSample` with the exact Gaussian
 * score: every map is affine, so moments propagate exactly (host, f64). Returns the moments of the
 * output (the last predictor mean, observed coordinates set to z_obs).
 */
function chainMoments(
  sde: VpSde,
  n: number,
  mask: number[],
  noise: ObservedNoise,
  gain = 1,
): { mean: number[]; cov: number[] } {
  let m = new Array(D).fill(0);
  let s = Array.from({ length: D * D }, (_, k) => +(k % (D + 1) === 0));
  let outM = m, outS = s;
  for (let k = 0; k < n; k++) {
    const t = n > 1 ? 1 + (1e-3 - 1) * k / (n - 1) : 1, dt = 1 / n, beta = sde.beta(t);
    const a = sde.alpha(t), sg = sde.sigma(t);
    const obsMean = noise === "fresh" ? a : noise === "code_quirk" ? a + gain * sg : 1;
    const my = m.map((v, i) => mask[i] ? obsMean * Z_OBS[i] : v);
    const sy = s.map((v, q) => {
      const i = Math.floor(q / D), j = q % D;
      if (!mask[i] && !mask[j]) return v;
      return i === j && noise === "fresh" ? sg * sg : 0;
    });
    const inv = invert(C.map((c, q) => a * a * c + (q % (D + 1) === 0 ? sg * sg : 0)), D);
    const bm = inv.map((v, q) => (q % (D + 1) === 0 ? 1 + 0.5 * beta * dt : 0) - beta * dt * v);
    const c = Array.from({ length: D }, (_, i) => {
      let v = 0;
      for (let j = 0; j < D; j++) v += inv[i * D + j] * MU[j];
      return beta * dt * a * v;
    });
    outM = Array.from({ length: D }, (_, i) => {
      let v = c[i];
      for (let j = 0; j < D; j++) v += bm[i * D + j] * my[j];
      return v;
    });
    outS = new Array(D * D).fill(0);
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        let v = 0;
        for (let p = 0; p < D; p++) {
          for (let q = 0; q < D; q++) v += bm[i * D + p] * sy[p * D + q] * bm[j * D + q];
        }
        outS[i * D + j] = v;
      }
    }
    m = outM;
    s = outS.map((v, q) => v + (q % (D + 1) === 0 ? beta * dt : 0));
  }
  return { mean: outM, cov: outS };
}

/** Asserts sample moments equal expected ones within `z` standard errors (+ `slack`). */
function assertMoments(
  got: { mean: number[]; cov: number[] },
  want: { mean: number[]; cov: number[] },
  n: number,
  label: string,
  z = 4.5,
  slack = 0,
): void {
  const k = want.mean.length;
  for (let a = 0; a < k; a++) {
    const se = Math.sqrt(want.cov[a * k + a] / n);
    const diff = Math.abs(got.mean[a] - want.mean[a]);
    assert.ok(
      diff <= z * se + slack,
      `${label}: mean[${a}] ${got.mean[a].toFixed(4)} vs ${want.mean[a].toFixed(4)} (tol ${
        (z * se + slack).toFixed(4)
      })`,
    );
    for (let b = 0; b < k; b++) {
      const sab = want.cov[a * k + b];
      const se2 = Math.sqrt((want.cov[a * k + a] * want.cov[b * k + b] + sab * sab) / n);
      const d2 = Math.abs(got.cov[a * k + b] - sab);
      assert.ok(
        d2 <= z * se2 + slack,
        `${label}: cov[${a},${b}] ${got.cov[a * k + b].toFixed(4)} vs ${sab.toFixed(4)} (tol ${
          (z * se2 + slack).toFixed(4)
        })`,
      );
    }
  }
}

/** Prints measured against expected moments when SDE_TEST_VERBOSE is set. */
function report(
  label: string,
  got: { mean: number[]; cov: number[] },
  want: { mean: number[]; cov: number[] },
) {
  if (!Deno.env.get("SDE_TEST_VERBOSE")) return;
  const f = (v: number[]) => v.map((x) => x.toFixed(3)).join(", ");
  console.log(
    `${label}: mean [${f(got.mean)}] vs [${f(want.mean)}]; cov [${f(got.cov)}] vs [${f(want.cov)}]`,
  );
}

const pick = (mv: { mean: number[]; cov: number[] }, idx: number[]) => ({
  mean: idx.map((i) => mv.mean[i]),
  cov: idx.flatMap((i) => idx.map((j) => mv.cov[i * D + j])),
});

Deno.test("sdeUpdate and langevinUpdate equal their composed ops on the reference backend", () => {
  tidy(() => {
    const [r, c] = [5, 7];
    const z = Tensor.from(be, randomArray(r * c, 1), [r, c]);
    const sv = randomArray(r * c, 2);
    sv.fill(0, 2 * c, 3 * c); // row 2 has a zero score: its step size must be 0
    const s = Tensor.from(be, sv, [r, c]);
    const n = Tensor.from(be, randomArray(r * c, 3), [r, c]);
    const out = Tensor.empty(be, [r, c]);
    be.sdeUpdate({ z: z.buf, s: s.buf, noise: n.buf, out: out.buf }, {
      n: r * c,
      cz: 1.3,
      cs: -0.7,
      cn: 0.25,
    });
    const want = ops.add(ops.add(ops.scale(z, 1.3), ops.scale(s, -0.7)), ops.scale(n, 0.25));
    assertAllClose(refData(out), refData(want), { atol: 1e-14, label: "sdeUpdate" });
    for (const [rows, cols] of [[r, c], [1, r * c]]) {
      const [snr, alpha] = [0.16, 0.97];
      const zz = z.view([rows, cols]), ss = s.view([rows, cols]), nn = n.view([rows, cols]);
      const l = Tensor.empty(be, [rows, cols]);
      be.langevinUpdate({ z: zz.buf, s: ss.buf, noise: nn.buf, out: l.buf }, {
        rows,
        cols,
        snr,
        alpha,
      });
      const s2 = ops.sum(ops.square(ss), -1, true), n2 = ops.sum(ops.square(nn), -1, true);
      const eps = refData(ops.scale(ops.div(n2, s2), 2 * alpha * snr * snr)).map((e) =>
        Number.isFinite(e) ? e : 0
      );
      const epsT = Tensor.from(be, eps, [rows, 1]);
      const composed = ops.add(
        ops.add(zz, ops.mul(epsT, ss)),
        ops.mul(ops.sqrt(ops.scale(epsT, 2)), nn),
      );
      assertAllClose(refData(l), refData(composed), {
        atol: 1e-13,
        label: `langevinUpdate ${rows}x${cols}`,
      });
      // out may alias z.
      const zc = Tensor.from(be, refData(zz), [rows, cols]);
      be.langevinUpdate({ z: zc.buf, s: ss.buf, noise: nn.buf, out: zc.buf }, {
        rows,
        cols,
        snr,
        alpha,
      });
      assertAllClose(refData(zc), refData(composed), { atol: 1e-13, label: "aliased" });
    }
  });
});

Deno.test("pcSample one step replays on the host for each order and corrector norm", () => {
  const sde = new VpSde({ beta0: 0.1, beta1: 20 });
  const g = new GaussianScore(be, sde, MU, C);
  const b = 3, t1 = 1, beta = sde.beta(t1), alpha = sde.discreteAlpha(t1, 1);
  const predictor = (z: Float64Array, s: Float64Array) =>
    z.map((v, i) => (1 + 0.5 * beta) * v + beta * s[i]);
  /** Host Langevin mean z + εs, ε from the batch or per row. */
  const corrector = (
    z: Float64Array,
    s: Float64Array,
    xi: Float64Array,
    row: boolean,
    snr = 0.16,
    a = alpha,
  ) => {
    const out = new Float64Array(z.length);
    const groups = row ? b : 1, w = z.length / groups;
    for (let r = 0; r < groups; r++) {
      let n2 = 0, s2 = 0;
      for (let j = r * w; j < (r + 1) * w; j++) {
        n2 += xi[j] ** 2;
        s2 += s[j] ** 2;
      }
      const eps = 2 * a * snr ** 2 * n2 / s2;
      for (let j = r * w; j < (r + 1) * w; j++) out[j] = z[j] + eps * s[j];
    }
    return out;
  };
  const cases = [
    { order: "predictor_corrector", correctorSteps: 0, correctorNorm: "batch" },
    { order: "predictor_corrector", correctorSteps: 1, correctorNorm: "batch" },
    { order: "predictor_corrector", correctorSteps: 1, correctorNorm: "row" },
    { order: "corrector_predictor", correctorSteps: 1, correctorNorm: "batch" },
  ] as const;
  for (const c of cases) {
    tidy(() => {
      const out = refData(
        pcSample(g, sde, { backend: be, batch: b, steps: 1, stream: new RandomStream(9), ...c }),
      );
      // Replay: the stream's draws are z₀, then one ξ per update in the order of the updates.
      const rs = new RandomStream(9);
      const z0 = refData(rs.normal(be, [b, D])).slice();
      const xa = refData(rs.normal(be, [b, D])).slice(),
        xb = refData(rs.normal(be, [b, D])).slice();
      const score = (z: Float64Array) =>
        refData(g.score(Tensor.from(be, z, [b, D]), Tensor.full(be, [b], t1))).slice();
      const label = `${c.order} ×${c.correctorSteps} ${c.correctorNorm}`;
      let want: Float64Array;
      if (c.correctorSteps === 0) want = predictor(z0, score(z0));
      else if (c.order === "predictor_corrector") {
        const z1 = predictor(z0, score(z0)).map((v, i) => v + Math.sqrt(beta) * xa[i]);
        want = corrector(z1, score(z1), xb, c.correctorNorm === "row");
      } else {
        const s0 = score(z0);
        const m = corrector(z0, s0, xa, false);
        // The corrector's noisy output: z + εs + √(2ε)ξ, from its mean.
        const eps = (m[0] - z0[0]) / s0[0];
        const z1 = m.map((v, i) => v + Math.sqrt(2 * eps) * xa[i]);
        want = predictor(z1, score(z1));
      }
      assertAllClose(out, want, { atol: 1e-12, label });
    });
  }
  // One predictor step, then one final corrector step at tEnd with its own SNR (finalSnr).
  for (const finalSnr of [undefined, 0.16, 0.3]) {
    tidy(() => {
      const tEnd = 1e-3;
      const out = refData(pcSample(g, sde, {
        backend: be,
        batch: b,
        steps: 1,
        correctorSteps: 0,
        finalCorrectorSteps: 1,
        finalSnr,
        stream: new RandomStream(9),
      }));
      const rs = new RandomStream(9);
      const z0 = refData(rs.normal(be, [b, D])).slice();
      const xa = refData(rs.normal(be, [b, D])).slice(),
        xb = refData(rs.normal(be, [b, D])).slice();
      const score = (z: Float64Array, t: number) =>
        refData(g.score(Tensor.from(be, z, [b, D]), Tensor.full(be, [b], t))).slice();
      const z1 = predictor(z0, score(z0, t1)).map((v, i) => v + Math.sqrt(beta) * xa[i]);
      const want = corrector(
        z1,
        score(z1, tEnd),
        xb,
        false,
        finalSnr ?? 0.16,
        sde.discreteAlpha(tEnd, 1),
      );
      assertAllClose(out, want, { atol: 1e-12, label: `finalSnr ${finalSnr}` });
    });
  }
  g.dispose();
});

Deno.test("pcSample predictor-only matches the exact moments of its chain (Gaussian, per-row masks)", () => {
  const sde = new VpSde({ beta0: 0.1, beta1: 20 });
  const g = new GaussianScore(be, sde, MU, C);
  const half = 2000, n = 100;
  // Rows [0, half) observe coordinates 1 and 3; rows [half, 2·half) observe nothing.
  const mask = new Float64Array(2 * half * D);
  for (let r = 0; r < half; r++) mask.set(OBS_MASK, r * D);
  const x = tidy(() =>
    refData(pcSample(g, sde, {
      stream: new RandomStream(21),
      steps: n,
      correctorSteps: 0,
      observed: { values: Tensor.from(be, Z_OBS, [1, D]), mask },
      batch: 2 * half,
    })).slice()
  );
  const cond = Array.from({ length: half }, (_, r) => r);
  const uncond = Array.from({ length: half }, (_, r) => half + r);
  for (const r of cond) {
    assert.equal(x[r * D + 1], Z_OBS[1]);
    assert.equal(x[r * D + 3], Z_OBS[3]);
  }
  const wantCond = pick(chainMoments(sde, n, OBS_MASK, "fresh"), [0, 2]);
  report("conditional chain", moments(x, D, cond, [0, 2]), wantCond);
  report("conditional chain vs analytic", wantCond, analyticConditional());
  assertMoments(moments(x, D, cond, [0, 2]), wantCond, half, "conditional chain");
  const wantUncond = chainMoments(sde, n, [0, 0, 0, 0], "fresh");
  report("unconditional chain", moments(x, D, uncond, [0, 1, 2, 3]), wantUncond);
  assertMoments(moments(x, D, uncond, [0, 1, 2, 3]), wantUncond, half, "unconditional chain");
  // The unconditional chain is the target itself, to within 0.02 (N = 100, β 0.1 → 20).
  assertMoments(wantUncond, { mean: MU, cov: C }, 1, "unconditional vs N(μ, C)", 0, 0.02);
  g.dispose();
});

Deno.test("pcSample observedNoise code_quirk (gain 1 and 2) and clean follow their chains", () => {
  const sde = new VpSde({ beta0: 1, beta1: 5 });
  const g = new GaussianScore(be, sde, MU, C);
  const b = 8000, n = 50;
  const cases = [
    { noise: "code_quirk", gain: 1 },
    { noise: "code_quirk", gain: 2 },
    { noise: "clean", gain: 1 },
    // The gain is code_quirk's alone: clean ignores it.
    { noise: "clean", gain: 3 },
  ] as const;
  for (const { noise, gain } of cases) {
    const x = tidy(() =>
      refData(pcSample(g, sde, {
        stream: new RandomStream(5),
        steps: n,
        correctorSteps: 0,
        observedNoise: noise,
        observedGain: gain,
        observed: { values: Tensor.from(be, Z_OBS, [1, D]), mask: OBS_MASK },
        batch: b,
      })).slice()
    );
    const rows = Array.from({ length: b }, (_, r) => r);
    const want = pick(chainMoments(sde, n, OBS_MASK, noise, noise === "clean" ? 1 : gain), [0, 2]);
    assertMoments(moments(x, D, rows, [0, 2]), want, b, `${noise} gain ${gain}`);
  }
  // Gain 2 moves the chain's mean by more than twice the check's tolerance (4.5 standard errors),
  // so the check above cannot pass gain 1's samples as gain 2's.
  const c1 = chainMoments(sde, n, OBS_MASK, "code_quirk", 1);
  const m2 = chainMoments(sde, n, OBS_MASK, "code_quirk", 2).mean;
  const tol = 4.5 * Math.sqrt(c1.cov[0] / b);
  assert.ok(Math.abs(c1.mean[0] - m2[0]) > 2 * tol, `means ${c1.mean[0]}, ${m2[0]}; tol ${tol}`);
  g.dispose();
});

/** b conditional rows (z_1, z_3 observed) with 60 final Langevin steps, the last state output. */
function conditionalDraw(g: GaussianScore, sde: VpSde, b: number, scoreScale?: number) {
  return tidy(() =>
    refData(pcSample(g, sde, {
      stream: new RandomStream(8),
      steps: 100,
      finalCorrectorSteps: 60,
      output: "sample",
      observed: { values: Tensor.from(be, Z_OBS, [1, D]), mask: OBS_MASK },
      batch: b,
      scoreScale,
    })).slice()
  );
}

Deno.test("pcSample with final Langevin steps matches the analytic Gaussian conditional", () => {
  const sde = new VpSde({ beta0: 0.1, beta1: 20 });
  const g = new GaussianScore(be, sde, MU, C);
  const b = 3000;
  const x = conditionalDraw(g, sde, b);
  const rows = Array.from({ length: b }, (_, r) => r);
  report(
    "conditional + final Langevin vs analytic",
    moments(x, D, rows, [0, 2]),
    analyticConditional(),
  );
  // 4.5 standard errors (0.058 on the means) plus 0.02 for the Langevin discretisation bias at
  // snr 0.16. Without the final steps the mean is off by 0.17 (the replacement bias).
  assertMoments(moments(x, D, rows, [0, 2]), analyticConditional(), b, "conditional", 4.5, 0.02);
  g.dispose();
});

Deno.test("pcSample with scoreScale γ samples the sharper Gaussian p^γ (covariance / γ)", () => {
  // p^γ of N(μ, Σ) is N(μ, Σ/γ): with the final Langevin steps (which leave p^γ invariant when
  // the score is scaled by γ) the conditional's mean stays and its covariance shrinks by γ.
  const sde = new VpSde({ beta0: 0.1, beta1: 20 });
  const g = new GaussianScore(be, sde, MU, C);
  const b = 3000, gamma = 2;
  const x = conditionalDraw(g, sde, b, gamma);
  const rows = Array.from({ length: b }, (_, r) => r);
  const exact = analyticConditional();
  const want = { mean: exact.mean, cov: exact.cov.map((v) => v / gamma) };
  report("conditional, score × 2, vs analytic p²", moments(x, D, rows, [0, 2]), want);
  assertMoments(moments(x, D, rows, [0, 2]), want, b, "conditional p^2", 4.5, 0.02);
  // The unscaled covariance is twice as large, well outside the tolerance above.
  const x1 = conditionalDraw(g, sde, b, 1);
  const one = moments(x1, D, rows, [0, 2]);
  assert.ok(one.cov[0] > 1.5 * want.cov[0], `γ = 1 variance ${one.cov[0]} vs p² ${want.cov[0]}`);
  // γ = 1 adds no op: the same bits as leaving the option out.
  assert.deepEqual(x1, conditionalDraw(g, sde, b));
  g.dispose();
});

Deno.test("pcSample never reads back and frees everything but its result", () => {
  const sde = new VpSde();
  const g = new GaussianScore(be, sde, MU, C);
  const reads = be.reads, live = be.liveBuffers;
  let seen = 0;
  const z = pcSample(g, sde, {
    stream: new RandomStream(1),
    steps: 5,
    finalCorrectorSteps: 2,
    observed: { values: Tensor.from(be, Z_OBS, [1, D]), mask: OBS_MASK },
    batch: 7,
    onStep: (k, zk) => {
      assert.equal(k, seen++);
      assert.deepEqual(zk.shape, [7, D]);
    },
  });
  assert.equal(seen, 5);
  assert.equal(be.reads, reads, "no read() during sampling");
  // The result plus the observed values tensor made in the call's arguments.
  assert.equal(be.liveBuffers, live + 2);
  z.dispose();
  g.dispose();
});

Deno.test("pcSample rejects bad options, naming the value", () => {
  const sde = new VpSde();
  const g = new GaussianScore(be, sde, MU, C);
  const stream = new RandomStream(0);
  const vals = Tensor.from(be, Z_OBS, [1, D]);
  const run = (o: Record<string, unknown>) => () =>
    pcSample(g, sde, { backend: be, batch: 2, stream, ...o });
  assert.throws(run({ steps: 0 }), {
    name: "RangeError",
    message: "Cannot run pcSample: steps must be an integer >= 1: current value is 0",
  });
  assert.throws(run({ steps: 2.5 }), {
    message: /steps must be an integer >= 1: current value is 2.5/,
  });
  assert.throws(run({ snr: -1 }), {
    message: /snr must be a finite number > 0: current value is -1/,
  });
  assert.throws(run({ finalSnr: 0 }), {
    message: /finalSnr must be a finite number > 0: current value is 0/,
  });
  assert.throws(run({ observedGain: -1 }), {
    message: /observedGain must be a finite number >= 0: current value is -1/,
  });
  for (const v of [0, -1, NaN, Infinity]) {
    assert.throws(run({ scoreScale: v }), {
      message: new RegExp(`scoreScale must be a finite number > 0: current value is ${v}`),
    });
  }
  assert.throws(run({ tEnd: 1 }), { message: /tEnd must be in \(0, 1\): current value is 1/ });
  assert.throws(run({ observedNoise: "noisy" }), {
    message: /observedNoise.*current value is noisy/,
  });
  assert.throws(run({ output: "x" }), {
    message: /output must be "mean" or "sample": current value is x/,
  });
  assert.throws(run({ order: "pc" }), { message: /order.*current value is pc/ });
  assert.throws(run({ correctorNorm: "max" }), { message: /correctorNorm.*current value is max/ });
  assert.throws(run({ observed: { values: vals, mask: [1, 0, 1] } }), {
    name: "TypeError",
    message: /observed.mask must have D = 4 or B·D = 8 entries: current value is length 3/,
  });
  assert.throws(run({ observed: { values: vals, mask: [1, 0, 2, 0] } }), {
    name: "RangeError",
    message: /observed.mask entries must be 0 or 1 \(entry 2\): current value is 2/,
  });
  assert.throws(run({ observed: { values: Tensor.from(be, [0, 0, 0], [1, 3]), mask: OBS_MASK } }), {
    name: "TypeError",
    message: /observed.values must be \(B, 4\) or \(1, 4\): current value is \[1, 3\]/,
  });
  assert.throws(() => pcSample(g, sde, { backend: be, stream }), {
    name: "TypeError",
    message: /batch is required when nothing is observed/,
  });
  assert.throws(() => pcSample(g, sde, { batch: 3, stream }), {
    message: /backend is required when nothing is observed/,
  });
  vals.dispose();
  g.dispose();
});
