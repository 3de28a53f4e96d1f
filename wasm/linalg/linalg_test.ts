import {
  cholesky,
  eigh,
  EighConvergenceError,
  NotPositiveDefiniteError,
  selectRanks,
  solveTriangular,
  spdInverse,
} from "./mod.ts";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertThrows,
  frobenius,
  gluedWilkinson,
  jacobiEigenvalues,
  matmul,
  orthogonalityError,
  randomSymmetric,
  reconstructionError,
  seededRandom,
  tridiagonal,
  wilkinson,
  withSpectrum,
} from "./_testing.ts";

const EPS = Number.EPSILON;
/** The c in the c·n·ε·‖A‖ bounds (Frobenius norms). */
const C = 8;

/** Checks ascending order, reconstruction and orthogonality; returns the result. */
function checkEigh(a: Float64Array, n: number, label: string) {
  const before = Float64Array.from(a);
  const { values, vectors } = eigh(a, n);
  assertEquals(a, before, `${label}: input was modified`);
  assertEquals(values.length, n);
  assertEquals(vectors.length, n * n);
  for (let i = 1; i < n; i++) {
    assert(values[i - 1] <= values[i], `${label}: values not ascending at ${i}`);
  }
  const norm = frobenius(a);
  const rec = reconstructionError(a, values, vectors, n);
  const orth = orthogonalityError(vectors, n);
  const m = Math.max(n, 1);
  assert(rec <= C * m * EPS * norm, `${label}: ‖A − VΛVᵀ‖ = ${rec}, ‖A‖ = ${norm}`);
  assert(orth <= C * m * EPS, `${label}: ‖VᵀV − I‖ = ${orth}`);
  return { values, vectors };
}

function assertValuesClose(got: Float64Array, want: ArrayLike<number>, tol: number, label: string) {
  assertEquals(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    assert(
      Math.abs(got[i] - want[i]) <= tol,
      `${label}: value ${i} is ${got[i]}, expected ${want[i]} (tolerance ${tol})`,
    );
  }
}

Deno.test("eigh() reconstructs random symmetric matrices of sizes 0..100", () => {
  for (const n of [0, 1, 2, 3, 5, 10, 25, 100]) {
    checkEigh(randomSymmetric(n, 1000 + n), n, `n=${n}`);
  }
});

Deno.test("eigh() reconstructs a random symmetric 500x500 matrix", () => {
  checkEigh(randomSymmetric(500, 7), 500, "n=500");
});

Deno.test("eigh() eigenvalues match an independent Jacobi reference for small n", () => {
  const cases: [string, Float64Array, number][] = [
    ...[1, 2, 3, 5, 10, 25].map((n): [string, Float64Array, number] => [
      `random n=${n}`,
      randomSymmetric(n, 50 + n),
      n,
    ]),
    ["Wilkinson W21+", wilkinson(10), 21],
    ["glued Wilkinson 3×W7+", gluedWilkinson(3, 3, 1e-10), 21],
    [
      "graded, large at the bottom (QL)",
      tridiagonal([1e-8, 1e-4, 1, 1e4, 1e8], [1e-6, 1e-2, 1e2, 1e6]),
      5,
    ],
    [
      "graded, large at the top (QR)",
      tridiagonal([1e8, 1e4, 1, 1e-4, 1e-8], [1e6, 1e2, 1e-2, 1e-6]),
      5,
    ],
    [
      "split blocks with a shared eigenvalue",
      tridiagonal([2, 1, 5, 2, 1, 5], [1, 0.5, 0, 1, 0.5]),
      6,
    ],
  ];
  for (const [label, a, n] of cases) {
    const { values } = checkEigh(a, n, label);
    const ref = jacobiEigenvalues(a, n);
    assertValuesClose(values, ref, C * n * EPS * frobenius(a), label);
  }
});

Deno.test("eigh() of the 2x2 [[2, 1], [1, 2]] is 1, 3 with unit eigenvectors", () => {
  const { values, vectors } = checkEigh(new Float64Array([2, 1, 1, 2]), 2, "2x2");
  assertAlmostEquals(values[0], 1, 4 * EPS);
  assertAlmostEquals(values[1], 3, 4 * EPS);
  // Column 0 is ±(1, −1)/√2 and column 1 is ±(1, 1)/√2: check the products, not the signs.
  assertAlmostEquals(vectors[0] * vectors[2], -0.5, 4 * EPS);
  assertAlmostEquals(vectors[1] * vectors[3], 0.5, 4 * EPS);
});

Deno.test("eigh() of identity, zero and diagonal matrices is exact", () => {
  const n = 7;
  const identity = new Float64Array(n * n);
  for (let i = 0; i < n; i++) identity[i * n + i] = 1;
  assertEquals(Array.from(checkEigh(identity, n, "identity").values), Array(n).fill(1));
  assertEquals(Array.from(checkEigh(new Float64Array(n * n), n, "zero").values), Array(n).fill(0));
  const diag = [3, -1, 0.5, 10, -7, 2, 2];
  const d = tridiagonal(diag, Array(n - 1).fill(0));
  const { values, vectors } = checkEigh(d, n, "diagonal");
  assertEquals(Array.from(values), [...diag].sort((x, y) => x - y));
  // Each eigenvector is a unit coordinate vector.
  for (let j = 0; j < n; j++) {
    let nonzero = 0;
    for (let i = 0; i < n; i++) if (vectors[i * n + j] !== 0) nonzero++;
    assertEquals(nonzero, 1, `diagonal: column ${j}`);
  }
});

Deno.test("eigh() handles repeated and clustered eigenvalues", () => {
  const repeated = [1, 1, 1, 2, 2, 5, 5, 5, 5, -3];
  const a = withSpectrum(repeated, 11);
  const { values } = checkEigh(a, repeated.length, "repeated");
  const sorted = [...repeated].sort((x, y) => x - y);
  assertValuesClose(values, sorted, C * repeated.length * EPS * frobenius(a), "repeated");
  const clustered = Array.from({ length: 25 }, (_, i) => 1 + i * 1e-13);
  const b = withSpectrum(clustered, 12);
  const res = checkEigh(b, clustered.length, "clustered");
  assertValuesClose(res.values, clustered, C * 25 * EPS * frobenius(b), "clustered");
});

Deno.test("eigh() reconstructs Wilkinson W21+ and glued Wilkinson n=105", () => {
  checkEigh(wilkinson(10), 21, "W21+");
  checkEigh(gluedWilkinson(10, 5, 1e-14), 105, "glued W21+ x5, delta 1e-14");
  checkEigh(gluedWilkinson(10, 5, 1e-8), 105, "glued W21+ x5, delta 1e-8");
});

Deno.test("eigh() reconstructs 120 seeded matrices of mixed structure, n = 2..40", () => {
  const rand = seededRandom(2024);
  for (let trial = 0; trial < 120; trial++) {
    const n = 2 + Math.floor(rand() * 39);
    const kind = trial % 6;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let x: number;
        if (kind === 0) x = 2 * rand() - 1; // dense random
        else if (kind === 1) x = Math.floor(rand() * 3) - 1; // small integers: many ties
        else if (kind === 2) x = i === j ? 0 : 2 * rand() - 1; // zero diagonal
        else if (kind === 3) x = Math.abs(i - j) <= 1 ? 1 : 0; // tridiagonal of ones
        else if (kind === 4) x = (i === j ? 1 : 0) + 1e-9 * (2 * rand() - 1); // tight cluster
        else x = (i + 1) * (j + 1) * 1e-3; // rank one
        a[i * n + j] = x;
        a[j * n + i] = x;
      }
    }
    checkEigh(a, n, `trial ${trial} (kind ${kind}, n=${n})`);
  }
});

Deno.test("eigh() of a rank-deficient PSD matrix has n − r roundoff-size eigenvalues", () => {
  const n = 30;
  const r = 7;
  const rand = seededRandom(3);
  const x = Float64Array.from({ length: n * r }, () => 2 * rand() - 1);
  const a = matmul(x, x, n, r, n, true); // (n, n) = X·Xᵀ
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j];
  const { values } = checkEigh(a, n, "rank-deficient");
  const tol = C * n * EPS * frobenius(a);
  for (let i = 0; i < n - r; i++) assert(Math.abs(values[i]) <= tol, `value ${i} is ${values[i]}`);
  for (let i = n - r; i < n; i++) assert(values[i] > 1e3 * tol, `value ${i} is ${values[i]}`);
});

Deno.test("eigh() keeps full accuracy at huge, tiny and subnormal scales", () => {
  const n = 20;
  const base = randomSymmetric(n, 21);
  for (const scale of [2 ** 1000, 1e300, 2 ** -1000, 1e-300, 2 ** -1060]) {
    const a = base.map((x) => x * scale);
    const { values, vectors } = eigh(a, n);
    // The scaled input, brought back to unit scale (exactly for powers of two; subnormal inputs
    // lose digits when scaled down, so this is the matrix that was actually given).
    const unit = a.map((x) => x / scale);
    const ref = jacobiEigenvalues(unit, n);
    const unscaled = values.map((x) => x / scale);
    // Subnormal eigenvalues are only representable to 2^-1075 absolute: allow that rounding.
    const tol = C * n * EPS * frobenius(base) + Math.sqrt(n) * (2 ** -1074 / scale);
    assert(orthogonalityError(vectors, n) <= C * n * EPS, `scale ${scale}: orthogonality`);
    const rec = reconstructionError(unit, unscaled, vectors, n);
    assert(rec <= tol, `scale ${scale}: reconstruction error ${rec}`);
    assertValuesClose(unscaled, ref, tol, `scale ${scale}`);
  }
});

Deno.test("eigh() reads only the lower triangle when symmetryTolerance is Infinity", () => {
  const n = 6;
  const a = randomSymmetric(n, 5);
  const lowerOnly = Float64Array.from(a);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) lowerOnly[i * n + j] = NaN;
  const x = eigh(a, n);
  const y = eigh(lowerOnly, n, { symmetryTolerance: Infinity });
  assertEquals(y.values, x.values);
  assertEquals(y.vectors, x.vectors);
});

Deno.test("eigh() rejects bad input before calling Wasm", () => {
  const good = randomSymmetric(3, 1);
  const nan = Float64Array.from(good);
  nan[3] = NaN;
  assertThrows(() => eigh(nan, 3), RangeError, "a[1, 0] is not finite: current value is NaN");
  const inf = Float64Array.from(good);
  inf[1] = Infinity;
  assertThrows(() => eigh(inf, 3), RangeError, "a[0, 1] is not finite: current value is Infinity");
  assertThrows(
    () => eigh(good, 4),
    TypeError,
    "must hold n*n = 4*4 = 16 values: current length is 9",
  );
  assertThrows(() => eigh(new Float64Array(6), 2), TypeError, "current length is 6");
  assertThrows(
    () => eigh([1, 0, 0, 1] as unknown as Float64Array, 2),
    TypeError,
    "a must be a Float64Array: current type is Array",
  );
  assertThrows(() => eigh(good, -1), RangeError, "n must be a non-negative integer");
  assertThrows(() => eigh(good, 1.5), RangeError, "current value is 1.5");
  const asym = Float64Array.from(good);
  asym[2 * 3 + 0] += 1e-6;
  assertThrows(() => eigh(asym, 3), RangeError, "a is not symmetric: a[2, 0] is");
  // Asymmetry below the tolerance is accepted, and the lower triangle wins.
  const slight = Float64Array.from(good);
  slight[0 * 3 + 2] += 1e-14;
  assertEquals(eigh(slight, 3).values, eigh(good, 3).values);
});

Deno.test("EighConvergenceError names the eigenvalue and is an Error", () => {
  const error = new EighConvergenceError(4, 10);
  assert(error instanceof Error);
  assertEquals(error.name, "EighConvergenceError");
  assertEquals(error.index, 4);
  assert(error.message.startsWith("Cannot compute eigh: the QL/QR iteration did not converge"));
});

/** Random SPD matrix X·Xᵀ + n·I. */
function randomSpd(n: number, seed: number): Float64Array {
  const rand = seededRandom(seed);
  const x = Float64Array.from({ length: n * n }, () => 2 * rand() - 1);
  const a = matmul(x, x, n, n, n, true);
  for (let i = 0; i < n; i++) {
    a[i * n + i] += n;
    for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j];
  }
  return a;
}

Deno.test("cholesky() factors random SPD matrices: a = L·Lᵀ, L lower with positive diagonal", () => {
  for (const n of [0, 1, 2, 5, 25, 100]) {
    const a = randomSpd(n, 300 + n);
    const l = cholesky(a, n);
    for (let i = 0; i < n; i++) {
      assert(l[i * n + i] > 0);
      for (let j = i + 1; j < n; j++) assertEquals(l[i * n + j], 0);
    }
    const llt = matmul(l, l, n, n, n, true);
    const err = frobenius(llt.map((x, k) => x - a[k]));
    assert(err <= C * Math.max(n, 1) * EPS * frobenius(a), `n=${n}: ‖A − LLᵀ‖ = ${err}`);
  }
});

Deno.test("cholesky() names the failing pivot of an indefinite matrix", () => {
  const d = tridiagonal([1, 2, -3, 4], [0, 0, 0]);
  const error = assertThrows(() => cholesky(d, 4), NotPositiveDefiniteError, "pivot 2 is -3");
  assert(error instanceof RangeError);
  assertEquals(error.pivot, 2);
  assertEquals(error.value, -3);
  // [[1, 2], [2, 1]]: pivot 1 is 1 − 2² = −3.
  const e = assertThrows(
    () => cholesky(new Float64Array([1, 2, 2, 1]), 2),
    NotPositiveDefiniteError,
  );
  assertEquals(e.pivot, 1);
  assertEquals(e.value, -3);
  // Singular PSD: the zero pivot is rejected too.
  assertThrows(
    () => cholesky(new Float64Array([1, 1, 1, 1]), 2),
    NotPositiveDefiniteError,
    "pivot 1 is 0",
  );
  assertThrows(
    () => cholesky(new Float64Array([1, NaN, 0, 1]), 2),
    RangeError,
    "a[0, 1] is not finite",
  );
});

Deno.test("solveTriangular() solves all four triangle/transpose combinations", () => {
  for (const n of [1, 5, 30]) {
    for (const nrhs of [1, 3]) {
      const rand = seededRandom(n * 10 + nrhs);
      // Well-conditioned T: diagonal in [1, 2], off-diagonal small; the unused triangle is NaN.
      const full = Float64Array.from({ length: n * n }, () => (2 * rand() - 1) / n);
      for (let i = 0; i < n; i++) full[i * n + i] = 1 + rand();
      const b = Float64Array.from({ length: n * nrhs }, () => 2 * rand() - 1);
      for (const lower of [true, false]) {
        for (const transpose of [false, true]) {
          const t = Float64Array.from(full);
          const tri = new Float64Array(n * n); // op(T) as a dense matrix
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              const used = lower ? j <= i : j >= i;
              if (!used) t[i * n + j] = NaN;
              else if (transpose) tri[j * n + i] = full[i * n + j];
              else tri[i * n + j] = full[i * n + j];
            }
          }
          const bCopy = Float64Array.from(b);
          const x = solveTriangular(t, n, b, nrhs, { lower, transpose });
          assertEquals(b, bCopy);
          const r = matmul(tri, x, n, n, nrhs).map((v, k) => v - b[k]);
          const label = `n=${n} nrhs=${nrhs} lower=${lower} transpose=${transpose}`;
          assert(
            frobenius(r) <= C * n * EPS * frobenius(b) * 4,
            `${label}: residual ${frobenius(r)}`,
          );
        }
      }
    }
  }
});

Deno.test("solveTriangular() rejects a zero diagonal and bad shapes", () => {
  const t = new Float64Array([1, 0, 2, 0]);
  assertThrows(
    () => solveTriangular(t, 2, new Float64Array(2), 1),
    RangeError,
    "t is singular: t[1, 1] is 0",
  );
  assertThrows(
    () => solveTriangular(new Float64Array([1, 0, 0, 1]), 2, new Float64Array(3), 2),
    TypeError,
    "b must hold n*nrhs = 2*2 = 4 values: current length is 3",
  );
  assertThrows(
    () => solveTriangular(new Float64Array([1, 0, 0, 1]), 2, new Float64Array([1, NaN]), 1),
    RangeError,
    "b[1, 0] is not finite",
  );
});

Deno.test("spdInverse() gives a symmetric inverse: A·A⁻¹ = I", () => {
  for (const n of [1, 4, 40]) {
    const a = randomSpd(n, 700 + n);
    const inv = spdInverse(a, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) assertEquals(inv[i * n + j], inv[j * n + i]);
    }
    const prod = matmul(a, inv, n, n, n);
    for (let i = 0; i < n; i++) prod[i * n + i] -= 1;
    // ‖A‖·‖A⁻¹‖ ≤ a few for these matrices (smallest eigenvalue ≥ n).
    const bound = C * n * EPS * frobenius(a) * frobenius(inv);
    assert(frobenius(prod) <= bound, `n=${n}: ‖A·A⁻¹ − I‖ = ${frobenius(prod)}`);
  }
  assertThrows(
    () => spdInverse(new Float64Array([1, 2, 2, 1]), 2),
    NotPositiveDefiniteError,
    "Cannot compute spdInverse: the matrix is not positive definite: pivot 1 is -3",
  );
});

Deno.test("selectRanks() keeps the largest eigenvalues across blocks first", () => {
  const blocks = [new Float64Array([1, 3]), new Float64Array([2])];
  // Sorted: 3 (b0), 2 (b1), 1 (b0); total 6. Keep 2: ½·1 = 0.5 < 1.
  assertEquals(selectRanks(blocks, 1), { ranks: [1, 1], bound: 0.5 });
  // ½·6 = 3 < 3.5: nothing needs to be kept.
  assertEquals(selectRanks(blocks, 3.5), { ranks: [0, 0], bound: 3 });
  // The bound must be strictly below epsilon: ½·6 = 3 is not < 3, so keep 3; ½·3 = 1.5 < 3.
  assertEquals(selectRanks(blocks, 3), { ranks: [1, 0], bound: 1.5 });
  // Tiny epsilon: keep everything.
  assertEquals(selectRanks(blocks, 1e-12), { ranks: [2, 1], bound: 0 });
  assertEquals(selectRanks([], 0.1), { ranks: [], bound: 0 });
  assertEquals(selectRanks([new Float64Array(0), new Float64Array([4])], 1), {
    ranks: [0, 1],
    bound: 0,
  });
});

Deno.test("selectRanks() breaks ties by block order", () => {
  const blocks = [new Float64Array([0, 2]), new Float64Array([2, 0])];
  // Keeping one 2 leaves ½·2 = 1 < 1.5; the tie goes to block 0.
  assertEquals(selectRanks(blocks, 1.5), { ranks: [1, 0], bound: 1 });
  assertEquals(selectRanks(blocks, 0.5), { ranks: [1, 1], bound: 0 });
});

Deno.test("selectRanks() counts roundoff-size negatives as zero and rejects larger ones", () => {
  assertEquals(selectRanks([new Float64Array([1, -1e-17, 0.5])], 1e-3), {
    ranks: [2],
    bound: 0,
  });
  assertThrows(
    () => selectRanks([new Float64Array([1, 0.5]), new Float64Array([1, -1e-3])], 0.1),
    RangeError,
    "blocks[1][1] is negative beyond roundoff",
  );
});

Deno.test("selectRanks() is minimal and below epsilon on random blocks", () => {
  const rand = seededRandom(99);
  for (let trial = 0; trial < 50; trial++) {
    const blocks = Array.from(
      { length: 1 + Math.floor(rand() * 4) },
      () => Float64Array.from({ length: Math.floor(rand() * 6) }, () => rand() ** 3),
    );
    const epsilon = 0.01 + rand();
    const { ranks, bound } = selectRanks(blocks, epsilon);
    assert(bound < epsilon);
    // Recompute the bound from the ranks (keeping each block's largest values).
    let discarded = 0;
    const all: number[] = [];
    blocks.forEach((block, m) => {
      const sorted = Array.from(block).sort((x, y) => y - x);
      for (let i = ranks[m]; i < sorted.length; i++) discarded += sorted[i];
      all.push(...sorted);
    });
    assertAlmostEquals(0.5 * discarded, bound, 1e-12);
    // Minimality: with one dimension fewer, even the best choice (largest values) fails.
    const kept = ranks.reduce((s, r) => s + r, 0);
    if (kept > 0) {
      all.sort((x, y) => y - x);
      const tail = all.slice(kept - 1).reduce((s, x) => s + x, 0);
      assert(0.5 * tail >= epsilon, `trial ${trial}: ${kept - 1} dimensions would do`);
    }
  }
});

Deno.test("selectRanks() rejects bad input", () => {
  const block = new Float64Array([1]);
  assertThrows(() => selectRanks([block], 0), RangeError, "epsilon must be a positive finite");
  assertThrows(() => selectRanks([block], NaN), RangeError, "current value is NaN");
  assertThrows(
    () => selectRanks([new Float64Array([NaN])], 1),
    RangeError,
    "blocks[0][0] is not finite",
  );
  assertThrows(
    () => selectRanks([[1, 2] as unknown as Float64Array], 1),
    TypeError,
    "blocks[0] must be a Float64Array",
  );
});
