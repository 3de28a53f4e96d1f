import assert from "node:assert/strict";
import { assertAllClose } from "../../engine/testing.ts";
import { sampleGaussian } from "./_gaussian.ts";
import { fitWhitening, unwhiten, whiten } from "./whitening.ts";

/** A correlated test covariance over dims [2, 3] with cross-block terms and unequal scales. */
function testCase(): { mean: Float64Array; sigma: Float64Array } {
  const a = [
    [2, 0.3, 0, 0.1, 0.4],
    [0.5, 1, 0.2, 0, 0],
    [0.3, 0, 3, 0.1, 0.2],
    [0, 0.4, 0.5, 0.5, 0],
    [0.2, 0, 0.1, 0.3, 1.5],
  ];
  const sigma = new Float64Array(25);
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 5; j++) {
      for (let k = 0; k < 5; k++) sigma[i * 5 + j] += a[i][k] * a[j][k];
    }
  }
  return { mean: new Float64Array([1, -2, 3, 0.5, 10]), sigma };
}

Deno.test("fitWhitening() gives every block zero mean and identity covariance", () => {
  const { mean, sigma } = testCase();
  const n = 500;
  const z = sampleGaussian(mean, sigma, n, 1);
  const w = fitWhitening(z, n, [2, 3]);
  const u = whiten(w, z, n);
  for (const b of w.blocks) {
    const m = new Float64Array(b.dim), c = new Float64Array(b.dim * b.dim);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < b.dim; j++) m[j] += u[i * 5 + b.offset + j] / n;
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < b.dim; j++) {
        for (let k = 0; k < b.dim; k++) {
          c[j * b.dim + k] += u[i * 5 + b.offset + j] * u[i * 5 + b.offset + k] / (n - 1);
        }
      }
    }
    const eye = new Float64Array(b.dim * b.dim).map((_, i) => i % (b.dim + 1) === 0 ? 1 : 0);
    assertAllClose(m, new Float64Array(b.dim), { atol: 1e-12, label: `mean of block ${b.offset}` });
    assertAllClose(c, eye, { atol: 1e-10, label: `covariance of block ${b.offset}` });
    // L is lower triangular and precision = L Lᵀ.
    for (let j = 0; j < b.dim; j++) {
      for (let k = j + 1; k < b.dim; k++) assert.equal(b.l[j * b.dim + k], 0);
    }
  }
});

Deno.test("unwhiten() inverts whiten()", () => {
  const { mean, sigma } = testCase();
  const n = 50;
  const z = sampleGaussian(mean, sigma, n, 2);
  const w = fitWhitening(z, n, [2, 3]);
  assertAllClose(unwhiten(w, whiten(w, z, n), n), z, { atol: 1e-10, rtol: 1e-10 });
});

Deno.test("fitWhitening() of one dimension divides by the standard deviation", () => {
  const z = new Float64Array([1, 3, 5, 7]); // mean 4, variance 20/3
  const w = fitWhitening(z, 4, [1]);
  assertAllClose(whiten(w, z, 4), [-3, -1, 1, 3].map((x) => x / Math.sqrt(20 / 3)), {
    atol: 1e-12,
  });
});

Deno.test("fitWhitening() rejects a singular block by name, and a ridge fixes it", () => {
  const n = 20;
  const z = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    z[i * 3] = Math.sin(i);
    z[i * 3 + 1] = 2; // constant: modality 1 is singular
    z[i * 3 + 2] = Math.cos(3 * i);
  }
  assert.throws(
    () => fitWhitening(z, n, [1, 2]),
    (e: unknown) =>
      e instanceof RangeError &&
      /covariance of modality 1 \(d = 2, n = 20\) is singular/.test(e.message) &&
      /ridge/.test(e.message),
  );
  const w = fitWhitening(z, n, [1, 2], { ridge: 1e-3 });
  assert.ok(w.blocks[1].l.every(Number.isFinite));
});

Deno.test("fitWhitening() validates its inputs", () => {
  assert.throws(() => fitWhitening(new Float64Array(6), 2, [2, 2]), TypeError);
  assert.throws(() => fitWhitening(new Float64Array(6), 3, [2, 0]), RangeError);
  assert.throws(() => fitWhitening(new Float64Array(2), 1, [2]), RangeError);
  assert.throws(() => fitWhitening(new Float64Array([0, NaN, 1, 2]), 2, [2]), /not finite/);
  assert.throws(
    () => fitWhitening(new Float64Array([0, 1, 1, 2]), 2, [2], { ridge: -1 }),
    RangeError,
  );
});
