/**
 * Known answers of SBM-SRR's reduction (issue 8, "Must show"), trained on the Wasm CPU backend
 * (one thread; ~20× faster than the f64 reference, which gives the same H to 1e-7 relative, see
 * score_ratio_test.ts for the parity check):
 * a Gaussian with cross-modality correlation (learned H vs the analytic H, bases vs the analytic
 * eigenvectors, closed-form KL vs the certified bound for every rank), the Hutchinson variant, and
 * a modality whose informative direction is visible only through another modality.
 */
import assert from "node:assert/strict";
import { createWasmCpuBackend } from "../../wasm/cpu/mod.ts";
import {
  crossModalCase,
  gaussianReductionKl,
  gaussianScoreRatio,
  largestPrincipalAngleSin,
  relativeFrobenius,
  sampleGaussian,
  whitenedCovariance,
} from "./_gaussian.ts";
import { estimateDiagnostic, projectionBound, selectReduction } from "./diagnostic.ts";
import { ScoreRatioNet, type ScoreRatioTrainOptions, trainScoreRatio } from "./score_ratio.ts";
import { fitWhitening, whiten } from "./whitening.ts";

const be = await createWasmCpuBackend({ threads: 1 });

/** Whitened samples of a cross-modal Gaussian and its analytic H in the fitted coordinates. */
function gaussianData(dims: number[], loadings: number[], n: number, seed: number) {
  const d = dims.reduce((a, b) => a + b, 0);
  const { mean, sigma } = crossModalCase(dims, loadings, seed);
  const z = sampleGaussian(mean, sigma, n, seed + 1);
  const w = fitWhitening(z, n, dims);
  const c = whitenedCovariance(w, sigma);
  return { d, u: whiten(w, z, n), c, h: gaussianScoreRatio(c, d).h };
}

async function learnedH(
  u: Float64Array,
  n: number,
  d: number,
  hidden: number[],
  train: ScoreRatioTrainOptions,
): Promise<Float64Array> {
  const net = new ScoreRatioNet(be, { dim: d, hidden, seed: 3 });
  try {
    await trainScoreRatio(net, u, n, train);
    return await estimateDiagnostic(net, u, n);
  } finally {
    net.dispose();
  }
}

/** Every rank vector with 0 ≤ r_m ≤ d_m. */
function allRanks(dims: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of dims) {
    out = out.flatMap((r) => Array.from({ length: d + 1 }, (_, k) => [...r, k]));
  }
  return out;
}

Deno.test("SRR known answer: learned H of a cross-modal Gaussian matches (I − C⁻¹) C (I − C⁻¹)", async () => {
  // 3 modalities × 4 dims; canonical correlations 0.8 and 0.5 shared by all modalities.
  const dims = [4, 4, 4], n = 20000;
  const { d, u, c, h } = gaussianData(dims, [2, 1], n, 31);
  // Learned from zero ("keep"): the objective alone must find the answer.
  const hl = await learnedH(u, n, d, [16], {
    steps: 600,
    batch: 256,
    lr: 1e-2,
    divergence: "exact",
    linearInit: "keep",
  });
  const err = relativeFrobenius(hl, h);
  assert.ok(err < 0.05, `relative Frobenius error ${err} < 0.05`);

  // The chosen ranks and bases: top-2 of each block (the analytic spectra are ≈ [2.5, 0.5, 0, 0]).
  const analytic = selectReduction(h, dims, { epsilon: 0.02 });
  const learned = selectReduction(hl, dims, { epsilon: 0.02 });
  assert.deepEqual(analytic.ranks, [2, 2, 2]);
  assert.deepEqual(learned.ranks, [2, 2, 2]);
  const sins = dims.map((dm, m) =>
    largestPrincipalAngleSin(learned.bases[m], analytic.bases[m], dm, 2)
  );
  sins.forEach((sin, m) =>
    assert.ok(sin < 0.1, `modality ${m}: largest principal angle sin ${sin}`)
  );

  // KL of the reduction with the learned bases, for every rank vector: ≤ the true bound of those
  // bases (the theorem) and ≤ the bound the learned H certifies, up to H's estimation error.
  let worst = -Infinity;
  for (const ranks of allRanks(dims)) {
    const sel = selectReduction(hl, dims, { ranks });
    const kl = gaussianReductionKl(c, dims, sel.bases);
    assert.ok(kl <= projectionBound(h, dims, sel.bases) + 1e-10, `ranks ${ranks}: theorem`);
    worst = Math.max(worst, kl - sel.bound);
    assert.ok(
      kl <= sel.bound * 1.05 + 1e-3,
      `ranks ${ranks}: KL ${kl} vs learned bound ${sel.bound}`,
    );
  }
  console.log(
    `  n=${n} steps=600 batch=256 hidden=[16] exact, from zero: H rel. Frobenius error ${
      err.toFixed(4)
    }, ` +
      `principal-angle sines ${sins.map((x) => x.toFixed(4))}, max (KL − learned bound) over ` +
      `${allRanks(dims).length} rank vectors ${worst.toExponential(2)}`,
  );
});

Deno.test("SRR known answer: the Hutchinson divergence also recovers H (within 10%)", async () => {
  const dims = [3, 3], n = 10000;
  const { d, u, h } = gaussianData(dims, [2, 1], n, 41);
  const hl = await learnedH(u, n, d, [16], {
    steps: 600,
    batch: 256,
    lr: 1e-2,
    divergence: "hutchinson",
    probes: 2,
    linearInit: "keep",
  });
  const err = relativeFrobenius(hl, h);
  assert.ok(err < 0.1, `relative Frobenius error ${err} < 0.1`);
  console.log(
    `  n=${n} steps=600 batch=256 Hutchinson (2 probes), from zero: H rel. Frobenius error ${
      err.toFixed(4)
    }`,
  );
});

Deno.test("SRR known answer: a direction visible only through another modality is found by the joint H", async () => {
  // Two modalities of 3 dims sharing one factor (correlation 0.8). After whitening each block's
  // marginal is exactly N(0, I): the score ratio of a block alone is 0 and sees nothing.
  const dims = [3, 3], n = 10000;
  const { d, u, h } = gaussianData(dims, [2], n, 51);
  const train: ScoreRatioTrainOptions = { steps: 400, batch: 256, lr: 1e-2, linearInit: "keep" };
  const joint = await learnedH(u, n, d, [16], train);
  const jointSel = selectReduction(joint, dims, { epsilon: 0.1 });
  const truth = selectReduction(h, dims, { ranks: [1, 1] });
  assert.deepEqual(jointSel.ranks, [1, 1]);
  dims.forEach((dm, m) => {
    const sin = largestPrincipalAngleSin(jointSel.bases[m], truth.bases[m], dm, 1);
    assert.ok(sin < 0.1, `modality ${m}: sin of the angle to the planted direction ${sin} < 0.1`);
  });
  // Independent per-modality analysis: a score-ratio network on each block alone.
  for (const [m, dm] of dims.entries()) {
    const ub = new Float64Array(n * dm);
    for (let i = 0; i < n; i++) for (let j = 0; j < dm; j++) ub[i * dm + j] = u[i * d + m * 3 + j];
    const alone = await learnedH(ub, n, dm, [16], train);
    const top = selectReduction(alone, [dm], { ranks: [dm] }).spectra[0].values[0];
    const jointTop = jointSel.spectra[m].values[0];
    assert.ok(
      top < 0.05 * jointTop,
      `modality ${m} alone: top eigenvalue ${top} vs joint ${jointTop}`,
    );
    // With the joint run's absolute ε, the independent analysis keeps nothing of this modality.
    const sel = selectReduction(alone, [dm], {
      epsilon: jointSel.epsilon,
      epsilonMode: "absolute",
    });
    assert.deepEqual(sel.ranks, [0]);
    console.log(
      `  modality ${m}: joint top eigenvalue ${jointTop.toFixed(3)} (analytic ${
        truth.spectra[m].values[0].toFixed(3)
      }), alone ${top.toExponential(2)}`,
    );
  }
});

Deno.test("SRR known answer: the Gaussian start of the linear term is kept by training", async () => {
  // Default linearInit "gaussian": A starts at I − M⁻¹ of the data; training the MLP must not spoil it.
  const dims = [4, 4, 4], n = 20000;
  const { d, u, h } = gaussianData(dims, [2, 1], n, 31);
  const start = await learnedH(u, n, d, [16], { steps: 0 });
  const trained = await learnedH(u, n, d, [16], { steps: 300, batch: 256, lr: 3e-3 });
  const e0 = relativeFrobenius(start, h), e1 = relativeFrobenius(trained, h);
  assert.ok(e0 < 0.05 && e1 < 0.05, `errors at the start ${e0} and after training ${e1} < 0.05`);
  console.log(
    `  Gaussian start: H rel. Frobenius error ${e0.toFixed(4)}, after 300 steps ${e1.toFixed(4)}`,
  );
});
