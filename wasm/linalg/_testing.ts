/**
 * Test helpers for `wasm/linalg/mod.ts`: an independent cyclic Jacobi eigenvalue reference (small n
 * only), seeded random matrices, and the norms used by the property tests. Plain f64 loops.
 *
 * @module
 */

/** Seeded uniform generator on [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** (n, n) symmetric matrix with entries uniform in [-1, 1), times `scale`. */
export function randomSymmetric(n: number, seed: number, scale = 1): Float64Array {
  const rand = seededRandom(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = (2 * rand() - 1) * scale;
      a[i * n + j] = x;
      a[j * n + i] = x;
    }
  }
  return a;
}

/** (n, n) random orthogonal matrix: a product of n seeded Householder reflectors. */
export function randomOrthogonal(n: number, seed: number): Float64Array {
  const rand = seededRandom(seed);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const v = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let norm2 = 0;
    for (let i = 0; i < n; i++) {
      v[i] = 2 * rand() - 1;
      norm2 += v[i] * v[i];
    }
    if (norm2 === 0) continue;
    // q ← q·(I − 2·v·vᵀ/‖v‖²)
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * v[k];
      const f = (2 * s) / norm2;
      for (let k = 0; k < n; k++) q[i * n + k] -= f * v[k];
    }
  }
  return q;
}

/** (n, n) Q·diag(values)·Qᵀ for a seeded random orthogonal Q, symmetrised exactly. */
export function withSpectrum(values: number[], seed: number): Float64Array {
  const n = values.length;
  const q = randomOrthogonal(n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * values[k] * q[j * n + k];
      a[i * n + j] = s;
      a[j * n + i] = s;
    }
  }
  return a;
}

/** Symmetric tridiagonal (n, n) matrix from its diagonal and subdiagonal. */
export function tridiagonal(diag: number[], sub: number[]): Float64Array {
  const n = diag.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    a[i * n + i] = diag[i];
    if (i + 1 < n) {
      a[(i + 1) * n + i] = sub[i];
      a[i * n + i + 1] = sub[i];
    }
  }
  return a;
}

/** Wilkinson's W⁺ matrix of order 2m+1: diagonal |m − i|, off-diagonal 1. */
export function wilkinson(m: number): Float64Array {
  const n = 2 * m + 1;
  return tridiagonal(
    Array.from({ length: n }, (_, i) => Math.abs(m - i)),
    Array.from({ length: n - 1 }, () => 1),
  );
}

/** `copies` W⁺ matrices of order 2m+1 on the diagonal, glued by `delta` on the off-diagonal. */
export function gluedWilkinson(m: number, copies: number, delta: number): Float64Array {
  const k = 2 * m + 1;
  const diag: number[] = [];
  const sub: number[] = [];
  for (let c = 0; c < copies; c++) {
    for (let i = 0; i < k; i++) {
      diag.push(Math.abs(m - i));
      if (i + 1 < k) sub.push(1);
    }
    if (c + 1 < copies) sub.push(delta);
  }
  return tridiagonal(diag, sub);
}

/** Frobenius norm. */
export function frobenius(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** ‖A − V·diag(λ)·Vᵀ‖_F for (n, n) row-major symmetric A and V (reads A's lower triangle). */
export function reconstructionError(
  a: Float64Array,
  values: Float64Array,
  vectors: Float64Array,
  n: number,
): number {
  let s = 0;
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) row[k] = vectors[i * n + k] * values[k];
    // Both sides are symmetric: sum the lower triangle, off-diagonal entries twice.
    for (let j = 0; j <= i; j++) {
      let r = 0;
      for (let k = 0; k < n; k++) r += row[k] * vectors[j * n + k];
      const d = a[i * n + j] - r;
      s += (i === j ? 1 : 2) * d * d;
    }
  }
  return Math.sqrt(s);
}

/** ‖VᵀV − I‖_F for (n, n) row-major V. */
export function orthogonalityError(v: Float64Array, n: number): number {
  // Columns of V are rows of Vᵀ; copy them out for contiguous dot products.
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vt[j * n + i] = v[i * n + j];
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let r = 0;
      for (let k = 0; k < n; k++) r += vt[i * n + k] * vt[j * n + k];
      const d = r - (i === j ? 1 : 0);
      s += (i === j ? 1 : 2) * d * d;
    }
  }
  return Math.sqrt(s);
}

/** (m, p) = (m, k)·(k, p), row-major; `transposeB` multiplies by Bᵀ with B (p, k). */
export function matmul(
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  p: number,
  transposeB = false,
): Float64Array {
  const c = new Float64Array(m * p);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * (transposeB ? b[j * k + t] : b[t * p + j]);
      c[i * p + j] = s;
    }
  }
  return c;
}

/**
 * Eigenvalues (ascending) of a symmetric matrix by the cyclic Jacobi method with threshold
 * (Rutishauser), an implementation independent of the Wasm eigensolver. O(n³) per sweep: small n.
 */
export function jacobiEigenvalues(a: Float64Array, n: number, maxSweeps = 100): Float64Array {
  const m = Float64Array.from(a);
  const norm = frobenius(m);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) off += m[i * n + j] ** 2;
    if (Math.sqrt(off) <= 1e-18 * norm || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // m ← Jᵀ·m·J with J the rotation in the (p, q) plane.
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i];
  return values.sort();
}

/** Thrown by the assertion helpers below. */
export class AssertionError extends Error {
  /** @param message what failed */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/** Throws unless `condition` holds. */
export function assert(condition: unknown, message = "Assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a) || Array.isArray(a)) {
    const x = a as ArrayLike<unknown>;
    const y = b as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => k in rb && deepEqual((a as Record<string, unknown>)[k], rb[k]));
}

function show(x: unknown): string {
  if (ArrayBuffer.isView(x)) return `${x.constructor.name} [${Array.from(x as Float64Array)}]`;
  return JSON.stringify(x);
}

/** Throws unless `actual` deep-equals `expected` (typed arrays element-wise, NaN equals NaN). */
export function assertEquals(actual: unknown, expected: unknown, message?: string): void {
  if (!deepEqual(actual, expected)) {
    throw new AssertionError(
      `${message ? message + ": " : ""}values differ: actual ${show(actual)}, expected ${
        show(expected)
      }`,
    );
  }
}

/** Throws unless |actual − expected| ≤ tolerance. */
export function assertAlmostEquals(actual: number, expected: number, tolerance: number): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new AssertionError(
      `values differ: actual ${actual}, expected ${expected} (tolerance ${tolerance})`,
    );
  }
}

/** Throws unless `fn` throws an instance of `errorClass` whose message includes `includes`. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  errorClass: new (...args: any[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof errorClass)) {
      throw new AssertionError(
        `expected ${errorClass.name}, got ${error instanceof Error ? error.name : typeof error}: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
    if (includes !== undefined && !error.message.includes(includes)) {
      throw new AssertionError(
        `expected the message to include ${JSON.stringify(includes)}: it is ${
          JSON.stringify(error.message)
        }`,
      );
    }
    return error;
  }
  throw new AssertionError(`expected ${errorClass.name} to be thrown, but nothing was thrown`);
}
