/**
 * tridiagonalEigenvalues (root-free QL/QR, as LAPACK dsterf): against an independent Jacobi
 * eigensolver on the dense matrix, on Wilkinson and glued-Wilkinson matrices, extreme scales and
 * bad input.
 */
import { eigh, tridiagonalEigenvalues } from "./mod.ts";
import {
  assert,
  assertEquals,
  assertThrows,
  jacobiEigenvalues,
  seededRandom,
  tridiagonal,
} from "./_testing.ts";

const EPS = Number.EPSILON;

/** Max |x − y| over two ascending spectra, and the bound c·n·ε·max(|d|, |e|). */
function check(d: number[], e: number[], want: ArrayLike<number>, label: string): void {
  const got = tridiagonalEigenvalues(Float64Array.from(d), Float64Array.from(e));
  assertEquals(got.length, d.length);
  for (let i = 1; i < got.length; i++) assert(got[i - 1] <= got[i], `${label}: not ascending`);
  const scale = Math.max(...d.map(Math.abs), ...e.map(Math.abs), 0);
  const tol = 8 * Math.max(d.length, 1) * EPS * scale;
  for (let i = 0; i < d.length; i++) {
    assert(
      Math.abs(got[i] - want[i]) <= tol,
      `${label}: value ${i} is ${got[i]}, expected ${want[i]} (tolerance ${tol})`,
    );
  }
}

function jacobi(d: number[], e: number[]): Float64Array {
  return jacobiEigenvalues(tridiagonal(d, e), d.length);
}

Deno.test("tridiagonalEigenvalues() matches Jacobi on random tridiagonals of sizes 0..40", () => {
  const rand = seededRandom(17);
  for (const n of [0, 1, 2, 3, 4, 5, 8, 13, 21, 40]) {
    const d = Array.from({ length: n }, () => 2 * rand() - 1);
    const e = Array.from({ length: Math.max(n - 1, 0) }, () => 2 * rand() - 1);
    check(d, e, jacobi(d, e), `n=${n}`);
  }
});

Deno.test("tridiagonalEigenvalues() on Wilkinson, glued Wilkinson and graded matrices", () => {
  const m = 10;
  const w = Array.from({ length: 2 * m + 1 }, (_, i) => Math.abs(m - i));
  const ones = (k: number) => Array(k).fill(1);
  check(w, ones(2 * m), jacobi(w, ones(2 * m)), "W21+");
  // Four copies of W21+ glued by 1e-10: nearly fourfold eigenvalues.
  const gd = [...w, ...w, ...w, ...w];
  const ge = [...ones(20), 1e-10, ...ones(20), 1e-10, ...ones(20), 1e-10, ...ones(20)];
  check(gd, ge, jacobi(gd, ge), "glued W21+");
  const graded = Array.from({ length: 12 }, (_, i) => 10 ** -i);
  const ge2 = Array.from({ length: 11 }, (_, i) => 10 ** -(i + 0.5));
  check(graded, ge2, jacobi(graded, ge2), "graded");
});

Deno.test("tridiagonalEigenvalues() agrees with eigh() and survives extreme scales", () => {
  const rand = seededRandom(5);
  const n = 60;
  const d = Array.from({ length: n }, () => 2 * rand() - 1);
  const e = Array.from({ length: n - 1 }, () => 2 * rand() - 1);
  const want = eigh(tridiagonal(d, e), n).values;
  check(d, e, want, "vs eigh");
  for (const s of [2 ** -1060, 1e-300, 1e300, 2 ** 1000]) {
    const got = tridiagonalEigenvalues(
      Float64Array.from(d, (x) => x * s),
      Float64Array.from(e, (x) => x * s),
    );
    for (let i = 0; i < n; i++) {
      const ref = want[i] * s;
      assert(
        Math.abs(got[i] - ref) <= 64 * n * EPS * Math.abs(s) + Number.MIN_VALUE * 64 * n,
        `scale ${s}: value ${i} is ${got[i]}, expected ${ref}`,
      );
    }
  }
  assertEquals(Array.from(tridiagonalEigenvalues(new Float64Array(3), new Float64Array(2))), [
    0,
    0,
    0,
  ]);
});

Deno.test("tridiagonalEigenvalues() rejects bad input before calling Wasm", () => {
  assertThrows(
    () => tridiagonalEigenvalues(new Float64Array([1, 2]), new Float64Array([1, 2])),
    TypeError,
    "e must hold n - 1 = 2 - 1 = 1 values: current length is 2",
  );
  assertThrows(
    () => tridiagonalEigenvalues([1, 2] as unknown as Float64Array, new Float64Array([1])),
    TypeError,
    "d must be a Float64Array: current type is Array",
  );
  assertThrows(
    () => tridiagonalEigenvalues(new Float64Array([1, NaN]), new Float64Array([1])),
    RangeError,
    "d[1] is not finite: current value is NaN",
  );
  assertThrows(
    () => tridiagonalEigenvalues(new Float64Array([1, 2]), new Float64Array([Infinity])),
    RangeError,
    "e[0] is not finite: current value is Infinity",
  );
});
