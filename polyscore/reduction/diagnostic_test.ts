import assert from "node:assert/strict";
import { Rng } from "../../engine/random.ts";
import { assertAllClose } from "../../engine/testing.ts";
import {
  crossModalCase,
  gaussianReductionKl,
  gaussianScoreRatio,
  matMul,
  randomBasis,
  sampleGaussian,
  transposeOf,
  whitenedCovariance,
} from "./_gaussian.ts";
import {
  blockSpectra,
  diagnosticMatrix,
  diagonalBlock,
  epsilonSweep,
  leadingColumns,
  projectionBound,
  selectReduction,
} from "./diagnostic.ts";
import { fitWhitening } from "./whitening.ts";

/** A random symmetric PSD matrix G Gᵀ / D. */
function randomPsd(d: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const g = new Float64Array(d * d).map(() => rng.normal());
  const h = matMul(g, transposeOf(g, d, d), d, d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) h[i * d + j] = h[j * d + i];
  return h.map((x) => x / d);
}

/** Every rank vector with 0 ≤ r_m ≤ d_m. */
function allRanks(dims: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of dims) {
    out = out.flatMap((r) => Array.from({ length: d + 1 }, (_, k) => [...r, k]));
  }
  return out;
}

Deno.test("diagnosticMatrix() is the mean outer product", () => {
  const s = new Float64Array([1, 2, -1, 0, 3, 1]); // n = 3, D = 2
  assertAllClose(diagnosticMatrix(s, 3, 2), [11 / 3, 5 / 3, 5 / 3, 5 / 3], { atol: 1e-15 });
  assert.throws(() => diagnosticMatrix(s, 2, 2), TypeError);
});

Deno.test("blockSpectra() returns descending eigenpairs of each diagonal block", () => {
  const dims = [3, 1, 4];
  const h = randomPsd(8, 1);
  const spectra = blockSpectra(h, dims);
  let off = 0;
  spectra.forEach((sp, m) => {
    const d = dims[m];
    const block = diagonalBlock(h, 8, off, d);
    for (let j = 0; j < d; j++) {
      if (j > 0) assert.ok(sp.values[j] <= sp.values[j - 1]);
      const v = leadingColumns(sp.vectors, d, j + 1).filter((_, i) => i % (j + 1) === j);
      const hv = matMul(block, v, d, d, 1);
      assertAllClose(hv, v.map((x) => sp.values[j] * x), {
        atol: 1e-12,
        label: `block ${m} pair ${j}`,
      });
    }
    off += d;
  });
});

Deno.test("selectReduction() keeps the fewest dimensions whose bound is below ε", () => {
  const dims = [3, 2, 4];
  const h = randomPsd(9, 2);
  const spectra = blockSpectra(h, dims);
  const tailOf = (ranks: number[]) =>
    ranks.reduce(
      (acc, r, m) => acc + 0.5 * spectra[m].values.slice(r).reduce((a, b) => a + b, 0),
      0,
    );
  let trace = 0;
  for (let i = 0; i < 9; i++) trace += h[i * 10];
  for (const fraction of [0.01, 0.1, 0.3, 0.7]) {
    const sel = selectReduction(h, dims, { epsilon: fraction });
    assertAllClose([sel.epsilon], [fraction * 0.5 * trace], { atol: 1e-14 });
    assert.ok(sel.bound < sel.epsilon, `bound ${sel.bound} < ε ${sel.epsilon}`);
    assertAllClose([sel.bound], [tailOf(sel.ranks)], { atol: 1e-12 });
    const total = sel.ranks.reduce((a, b) => a + b, 0);
    const best = Math.min(
      ...allRanks(dims).filter((r) => tailOf(r) < sel.epsilon).map((r) =>
        r.reduce((a, b) => a + b, 0)
      ),
    );
    assert.equal(total, best, `fraction ${fraction}: total rank`);
    sel.bases.forEach((u, m) => assert.equal(u.length, dims[m] * sel.ranks[m]));
  }
  const abs = selectReduction(h, dims, { epsilon: 0.2, epsilonMode: "absolute" });
  assert.equal(abs.epsilon, 0.2);
  assert.ok(abs.bound < 0.2);
  const fixed = selectReduction(h, dims, { ranks: [1, 0, 2] });
  assert.deepEqual(fixed.ranks, [1, 0, 2]);
  assertAllClose([fixed.bound], [tailOf([1, 0, 2])], { atol: 1e-12 });
  assert.ok(Number.isNaN(fixed.epsilon));
});

Deno.test("selectReduction() of a zero H keeps nothing, and validates its options", () => {
  const sel = selectReduction(new Float64Array(9), [1, 2], {});
  assert.deepEqual(sel.ranks, [0, 0]);
  assert.equal(sel.bound, 0);
  const h = randomPsd(3, 3);
  assert.throws(() => selectReduction(h, [1, 2], { epsilon: 0 }), RangeError);
  assert.throws(
    () => selectReduction(h, [1, 2], { epsilon: 0.1, epsilonMode: "rel" as "absolute" }),
    RangeError,
  );
  assert.throws(() => selectReduction(h, [1, 2], { ranks: [1] }), RangeError);
  assert.throws(() => selectReduction(h, [1, 2], { ranks: [2, 0] }), RangeError);
});

Deno.test("epsilonSweep() trades total rank against the bound monotonically", () => {
  const dims = [4, 4];
  const h = randomPsd(8, 4);
  const sweep = epsilonSweep(h, dims, [0.001, 0.01, 0.05, 0.2, 0.5, 1]);
  for (let i = 0; i < sweep.length; i++) {
    const p = sweep[i];
    assert.ok(p.bound < p.epsilon);
    assert.equal(p.totalRank, p.ranks[0] + p.ranks[1]);
    if (i > 0) {
      assert.ok(p.totalRank <= sweep[i - 1].totalRank);
      assert.ok(p.bound >= sweep[i - 1].bound);
    }
  }
  assert.equal(sweep[0].totalRank, 8);
  assert.ok(sweep.at(-1)!.totalRank >= 1);
});

Deno.test("projectionBound() equals the eigenvalue bound for the top eigenvectors and exceeds it otherwise", () => {
  const dims = [3, 3];
  const h = randomPsd(6, 5);
  const sel = selectReduction(h, dims, { ranks: [1, 2] });
  assertAllClose([projectionBound(h, dims, sel.bases)], [sel.bound], { atol: 1e-12 });
  const rng = new Rng(6);
  for (let t = 0; t < 5; t++) {
    const other = [randomBasis(3, 1, rng), randomBasis(3, 2, rng)];
    assert.ok(projectionBound(h, dims, other) >= sel.bound - 1e-12);
  }
});

Deno.test("gaussianReductionKl() matches the one-dimensional closed form", () => {
  // C = diag(3, 0.4), keep e₁: π_r = N(0, diag(3, 1)), KL = ½ (0.4 − 1 − log 0.4).
  const c = new Float64Array([3, 0, 0, 0.4]);
  const kl = gaussianReductionKl(c, [2], [new Float64Array([1, 0])]);
  assertAllClose([kl], [0.5 * (0.4 - 1 - Math.log(0.4))], { atol: 1e-14 });
  // Bound ½ (λ − 1)²/λ for the discarded direction (H = C − 2I + C⁻¹ on the diagonal).
  const { h } = gaussianScoreRatio(c, 2);
  assertAllClose([selectReduction(h, [2], { ranks: [1] }).bound], [0.5 * 0.36 / 0.4], {
    atol: 1e-14,
  });
});

Deno.test("Gaussian: closed-form D_KL(π‖π_r) ≤ the certified bound for every rank (analytic score)", () => {
  const dims = [3, 2, 4];
  const d = 9;
  const { mean, sigma } = crossModalCase(dims, [2, 1, 0.5], 7);
  const n = 2000;
  const z = sampleGaussian(mean, sigma, n, 8);
  const c = whitenedCovariance(fitWhitening(z, n, dims), sigma);
  const { h } = gaussianScoreRatio(c, d);
  const rng = new Rng(9);
  let tightest = Infinity, checked = 0;
  for (const ranks of allRanks(dims)) {
    const sel = selectReduction(h, dims, { ranks });
    const kl = gaussianReductionKl(c, dims, sel.bases);
    assert.ok(kl >= -1e-10, `KL ${kl} >= 0 for ranks ${ranks}`);
    assert.ok(kl <= sel.bound + 1e-10, `ranks ${ranks}: KL ${kl} <= bound ${sel.bound}`);
    if (sel.bound > 1e-9) tightest = Math.min(tightest, sel.bound / Math.max(kl, 1e-300));
    // The theorem holds for any block basis: KL ≤ ½ tr((I − P) H).
    const other = dims.map((dm, m) => randomBasis(dm, ranks[m], rng));
    assert.ok(gaussianReductionKl(c, dims, other) <= projectionBound(h, dims, other) + 1e-10);
    checked++;
  }
  assert.equal(checked, 4 * 3 * 5);
  // Weakly correlated directions make the bound nearly tight (measured 1.004 here): it is not vacuous.
  assert.ok(tightest >= 1 && tightest < 1.1, `min bound/KL in [1, 1.1): ${tightest}`);
  // Full rank loses nothing.
  const full = selectReduction(h, dims, { ranks: dims });
  assertAllClose([gaussianReductionKl(c, dims, full.bases), full.bound], [0, 0], { atol: 1e-10 });
});
