/**
 * Dense f64 linear algebra compiled from Rust (`wasm/linalg`) to WebAssembly: symmetric
 * eigendecomposition, Cholesky factorisation, triangular solves, SPD inversion, and the certified
 * rank selection of score-ratio matching.
 *
 * Matrices are row-major `Float64Array`s of length n·n. Inputs are validated here, before any call
 * into WebAssembly: a wrong type or length throws `TypeError`, a non-finite or asymmetric value
 * throws `RangeError`. The module is instantiated once, when this file is first imported.
 *
 * @example
 * ```ts
 * import { eigh } from "./mod.ts";
 * const { values, vectors } = eigh(new Float64Array([2, 1, 1, 2]), 2);
 * // values ≈ [1, 3]; column j of vectors belongs to values[j]
 * ```
 *
 * @module
 */

import { assetUrl } from "../../engine/assets.ts";
import { createLinalgMemory, linalgImports, type LinalgWorkerInit } from "./_host.ts";
import { loadWasmBytes } from "../_load.ts";

/** File name of the linear-algebra artifact inside `wasm/lib/`. */
export const LINALG_ARTIFACT = "linalg.wasm";

interface LinalgExports {
  linalg_alloc(len: number): number;
  linalg_free(ptr: number, len: number): void;
  linalg_eigh(a: number, n: number, values: number, vectors: number): number;
  linalg_cholesky(a: number, n: number, l: number, pivot: number): number;
  linalg_solve_triangular(
    t: number,
    n: number,
    b: number,
    nrhs: number,
    lower: number,
    transpose: number,
  ): number;
  linalg_spd_inverse(a: number, n: number, out: number, pivot: number): number;
  linalg_tridiagonal_values(d: number, e: number, n: number): number;
  linalg_stop_workers(): void;
  linalg_worker_count(): number;
  linalg_reset_workers(): void;
  linalg_debug_fail_worker(): void;
  linalg_workers_failed(): number;
}

// One shared memory, so that worker threads (startLinalgThreads) can work on eigh's buffers.
const memory = createLinalgMemory();
const linalgModule = await WebAssembly.compile(await loadWasmBytes(LINALG_ARTIFACT));
const wasm = new WebAssembly.Instance(linalgModule, linalgImports(memory))
  .exports as unknown as LinalgExports;

/** Thrown by {@linkcode eigh} when the QL/QR iteration does not converge (never seen in practice). */
export class EighConvergenceError extends Error {
  /** Index (in tridiagonal order) of the eigenvalue that did not converge. */
  readonly index: number;
  /** Order of the matrix. */
  readonly n: number;
  /** @param index eigenvalue index that did not converge; @param n matrix order */
  constructor(index: number, n: number) {
    super(
      `Cannot compute eigh: the QL/QR iteration did not converge within ${
        30 * n
      } sweeps: eigenvalue index is ${index} of n = ${n}`,
    );
    this.name = "EighConvergenceError";
    this.index = index;
    this.n = n;
  }
}

/** Thrown by {@linkcode cholesky} and {@linkcode spdInverse} when the matrix is not positive definite. */
export class NotPositiveDefiniteError extends RangeError {
  /** Row of the first pivot that is not positive. */
  readonly pivot: number;
  /** Value of that pivot, a_ii − Σ_k l_ik² (≤ 0 or not finite). */
  readonly value: number;
  /** @param action the failed action; @param pivot failing row; @param value its pivot */
  constructor(action: string, pivot: number, value: number) {
    super(
      `Cannot ${action}: the matrix is not positive definite: pivot ${pivot} is ${value}` +
        ` (a_ii minus the squares of row ${pivot} of L)`,
    );
    this.name = "NotPositiveDefiniteError";
    this.pivot = pivot;
    this.value = value;
  }
}

/** Options for routines that take a symmetric matrix. */
export interface SymmetricOptions {
  /**
   * Largest accepted |a_ij − a_ji| relative to max |a_ij|. Default 1e-10. Pass `Infinity` to read
   * the lower triangle only, without checking (or reading) the upper one.
   */
  symmetryTolerance?: number;
}

/** Result of {@linkcode eigh}. */
export interface EighResult {
  /** (n) eigenvalues in ascending order. */
  values: Float64Array;
  /** (n, n) row-major; column j is the unit eigenvector of `values[j]`. */
  vectors: Float64Array;
}

const DEFAULT_SYMMETRY_TOLERANCE = 1e-10;

function checkOrder(action: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(
      `Cannot ${action}: n must be a non-negative integer: current value is ${n}`,
    );
  }
}

function checkArray(action: string, name: string, x: unknown, length: number, shape: string): void {
  if (!(x instanceof Float64Array)) {
    const kind = x === null ? "null" : typeof x === "object" ? x.constructor.name : typeof x;
    throw new TypeError(
      `Cannot ${action}: ${name} must be a Float64Array: current type is ${kind}`,
    );
  }
  if (x.length !== length) {
    throw new TypeError(
      `Cannot ${action}: ${name} must hold ${shape} = ${length} values: current length is ${x.length}`,
    );
  }
}

function notFinite(action: string, name: string, i: number, j: number, value: number): RangeError {
  return new RangeError(
    `Cannot ${action}: ${name}[${i}, ${j}] is not finite: current value is ${value}`,
  );
}

/** Validates a square symmetric matrix whose lower triangle will be read. */
function checkSymmetric(
  action: string,
  a: Float64Array,
  n: number,
  options: SymmetricOptions | undefined,
): void {
  checkOrder(action, n);
  checkArray(action, "a", a, n * n, `n*n = ${n}*${n}`);
  const tol = options?.symmetryTolerance ?? DEFAULT_SYMMETRY_TOLERANCE;
  if (!(tol >= 0)) {
    throw new RangeError(
      `Cannot ${action}: symmetryTolerance must be >= 0: current value is ${tol}`,
    );
  }
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = a[i * n + j];
      if (!Number.isFinite(x)) throw notFinite(action, "a", i, j, x);
      maxAbs = Math.max(maxAbs, Math.abs(x));
    }
  }
  if (tol === Infinity) return;
  const limit = tol * maxAbs;
  // In 32×32 tiles, so that reading the upper triangle down its columns stays in cache (a plain
  // row-by-row walk took 0.5–3 ms at n = 512).
  const TILE = 32;
  for (let i0 = 0; i0 < n; i0 += TILE) {
    for (let j0 = 0; j0 <= i0; j0 += TILE) {
      for (let i = i0; i < Math.min(i0 + TILE, n); i++) {
        for (let j = j0; j < Math.min(j0 + TILE, i); j++) {
          const lo = a[i * n + j];
          const up = a[j * n + i];
          if (!Number.isFinite(up)) throw notFinite(action, "a", j, i, up);
          if (Math.abs(lo - up) > limit) {
            throw new RangeError(
              `Cannot ${action}: a is not symmetric: a[${i}, ${j}] is ${lo} but a[${j}, ${i}] is ` +
                `${up} (tolerance ${tol} relative to max |a_ij| = ${maxAbs})`,
            );
          }
        }
      }
    }
  }
}

/** Runs `body` with Wasm buffers of the given f64 lengths, always freeing them. */
function withBuffers<T>(lengths: number[], body: (ptrs: number[]) => T): T {
  const ptrs: number[] = [];
  try {
    for (const len of lengths) ptrs.push(wasm.linalg_alloc(len));
    return body(ptrs);
  } finally {
    for (let k = 0; k < ptrs.length; k++) wasm.linalg_free(ptrs[k], lengths[k]);
  }
}

/** A view of a Wasm buffer; create it after the last allocation (memory growth detaches it). */
function view(ptr: number, len: number): Float64Array {
  return new Float64Array(memory.buffer, ptr, len);
}

/**
 * A copy of a Wasm buffer in ordinary (unshared) memory. Copied as bytes: V8 copies a shared
 * Float64Array element by element (`slice` of 2 MB: 1.2 ms), bytes with memcpy (0.16 ms).
 */
function copyOut(ptr: number, len: number): Float64Array {
  const out = new Float64Array(len);
  new Uint8Array(out.buffer).set(new Uint8Array(memory.buffer, ptr, len * 8));
  return out;
}

/**
 * All eigenvalues and eigenvectors of a real symmetric matrix (Householder tridiagonalisation and
 * implicit QL/QR with Wilkinson shifts, as LAPACK `dsyev`). Only the lower triangle is used for
 * the computation; the upper one is checked for symmetry unless `symmetryTolerance` is `Infinity`.
 *
 * @param a (n, n) row-major symmetric matrix; not modified.
 * @param n order of the matrix.
 * @param options symmetry check.
 * @returns eigenvalues ascending and the matching eigenvectors as columns.
 * @throws {TypeError} when `a` is not a Float64Array of length n·n.
 * @throws {RangeError} when `n` is invalid or `a` has a non-finite or asymmetric entry.
 * @throws {EighConvergenceError} when the iteration does not converge.
 * @example
 * ```ts
 * import { eigh } from "./mod.ts";
 * const { values } = eigh(new Float64Array([2, 0, 0, 1]), 2); // [1, 2]
 * ```
 */
export function eigh(a: Float64Array, n: number, options?: SymmetricOptions): EighResult {
  checkSymmetric("compute eigh", a, n, options);
  return withBuffers([n * n, n, n * n], ([pa, pv, pz]) => {
    view(pa, n * n).set(a);
    const status = guardWorkers("compute eigh", () => wasm.linalg_eigh(pa, n, pv, pz));
    if (status !== 0) throw new EighConvergenceError(status - 1, n);
    return { values: copyOut(pv, n), vectors: copyOut(pz, n * n) };
  });
}

/**
 * Cholesky factor of a symmetric positive-definite matrix: lower-triangular L with a = L·Lᵀ.
 *
 * @param a (n, n) row-major; its lower triangle is used.
 * @param n order of the matrix.
 * @param options symmetry check.
 * @returns (n, n) row-major L, zero above the diagonal.
 * @throws {NotPositiveDefiniteError} naming the first pivot that is not positive.
 * @throws {TypeError} / {RangeError} for invalid input, as {@linkcode eigh}.
 * @example
 * ```ts
 * import { cholesky } from "./mod.ts";
 * cholesky(new Float64Array([4, 2, 2, 5]), 2); // [2, 0, 1, 2]
 * ```
 */
export function cholesky(a: Float64Array, n: number, options?: SymmetricOptions): Float64Array {
  checkSymmetric("compute cholesky", a, n, options);
  return withBuffers([n * n, n * n, 1], ([pa, pl, pp]) => {
    view(pa, n * n).set(a);
    const status = wasm.linalg_cholesky(pa, n, pl, pp);
    if (status !== 0) {
      throw new NotPositiveDefiniteError("compute cholesky", status - 1, view(pp, 1)[0]);
    }
    return copyOut(pl, n * n);
  });
}

/** Options of {@linkcode solveTriangular}. */
export interface SolveTriangularOptions {
  /** Use the lower triangle of the matrix (default true); otherwise the upper one. */
  lower?: boolean;
  /** Solve with the transpose of that triangle (default false). */
  transpose?: boolean;
}

/**
 * Solves op(T)·X = B for X, where T is the lower or upper triangle of `t` and op(T) is T or Tᵀ.
 * Only that triangle of `t` is read.
 *
 * @param t (n, n) row-major.
 * @param n order of T.
 * @param b (n, nrhs) row-major right-hand sides; not modified.
 * @param nrhs number of right-hand sides (columns of B).
 * @param options which triangle and whether to transpose.
 * @returns (n, nrhs) row-major X.
 * @throws {TypeError} for wrong types or lengths.
 * @throws {RangeError} for non-finite entries or a zero diagonal entry of T.
 * @example
 * ```ts
 * import { solveTriangular } from "./mod.ts";
 * const l = new Float64Array([2, 0, 1, 1]);
 * solveTriangular(l, 2, new Float64Array([2, 3]), 1, { lower: true }); // [1, 2]
 * ```
 */
export function solveTriangular(
  t: Float64Array,
  n: number,
  b: Float64Array,
  nrhs: number,
  options: SolveTriangularOptions = {},
): Float64Array {
  const action = "solve triangular system";
  const lower = options.lower ?? true;
  const transpose = options.transpose ?? false;
  checkOrder(action, n);
  if (!Number.isInteger(nrhs) || nrhs < 0) {
    throw new RangeError(
      `Cannot ${action}: nrhs must be a non-negative integer: current value is ${nrhs}`,
    );
  }
  checkArray(action, "t", t, n * n, `n*n = ${n}*${n}`);
  checkArray(action, "b", b, n * nrhs, `n*nrhs = ${n}*${nrhs}`);
  for (let i = 0; i < n; i++) {
    const [j0, j1] = lower ? [0, i + 1] : [i, n];
    for (let j = j0; j < j1; j++) {
      const x = t[i * n + j];
      if (!Number.isFinite(x)) throw notFinite(action, "t", i, j, x);
    }
    if (t[i * n + i] === 0) {
      throw new RangeError(`Cannot ${action}: t is singular: t[${i}, ${i}] is 0`);
    }
    for (let c = 0; c < nrhs; c++) {
      const x = b[i * nrhs + c];
      if (!Number.isFinite(x)) throw notFinite(action, "b", i, c, x);
    }
  }
  return withBuffers([n * n, n * nrhs], ([pt, pb]) => {
    view(pt, n * n).set(t);
    view(pb, n * nrhs).set(b);
    const status = wasm.linalg_solve_triangular(pt, n, pb, nrhs, lower ? 1 : 0, transpose ? 1 : 0);
    if (status !== 0) {
      throw new RangeError(`Cannot ${action}: t is singular: t[${status - 1}, ${status - 1}] is 0`);
    }
    return copyOut(pb, n * nrhs);
  });
}

/**
 * Inverse of a symmetric positive-definite matrix via its Cholesky factor (A⁻¹ = L⁻ᵀ·L⁻¹),
 * returned exactly symmetric.
 *
 * @param a (n, n) row-major; its lower triangle is used.
 * @param n order of the matrix.
 * @param options symmetry check.
 * @returns (n, n) row-major inverse.
 * @throws {NotPositiveDefiniteError} naming the first pivot that is not positive.
 * @throws {TypeError} / {RangeError} for invalid input, as {@linkcode eigh}.
 * @example
 * ```ts
 * import { spdInverse } from "./mod.ts";
 * spdInverse(new Float64Array([2, 0, 0, 4]), 2); // [0.5, 0, 0, 0.25]
 * ```
 */
export function spdInverse(a: Float64Array, n: number, options?: SymmetricOptions): Float64Array {
  checkSymmetric("compute spdInverse", a, n, options);
  return withBuffers([n * n, n * n, 1], ([pa, po, pp]) => {
    view(pa, n * n).set(a);
    const status = wasm.linalg_spd_inverse(pa, n, po, pp);
    if (status !== 0) {
      throw new NotPositiveDefiniteError("compute spdInverse", status - 1, view(pp, 1)[0]);
    }
    return copyOut(po, n * n);
  });
}

/**
 * All eigenvalues of a symmetric tridiagonal matrix, without eigenvectors: the root-free QL/QR
 * iteration of Pal, Walker and Kahan (LAPACK `dsterf`), which eigh uses for its shifts. The input
 * is scaled by a power of two first (exact), so any finite entries are safe.
 *
 * @param d (n) the diagonal.
 * @param e (n − 1) the off-diagonal; e[i] couples rows i and i + 1.
 * @returns the n eigenvalues in ascending order.
 * @throws {TypeError} when `d` or `e` is not a Float64Array of the right length.
 * @throws {RangeError} for a non-finite entry.
 * @throws {EighConvergenceError} when the iteration does not converge.
 * @example
 * ```ts
 * import { tridiagonalEigenvalues } from "./mod.ts";
 * tridiagonalEigenvalues(new Float64Array([2, 2]), new Float64Array([1])); // [1, 3]
 * ```
 */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const action = "compute tridiagonal eigenvalues";
  checkArray(action, "d", d, d?.length ?? 0, "n");
  const n = d.length;
  const m = Math.max(n - 1, 0);
  checkArray(action, "e", e, m, `n - 1 = ${n} - 1`);
  let maxAbs = 0;
  for (const [name, x] of [["d", d], ["e", e]] as const) {
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) {
        throw new RangeError(
          `Cannot ${action}: ${name}[${i}] is not finite: current value is ${x[i]}`,
        );
      }
      maxAbs = Math.max(maxAbs, Math.abs(x[i]));
    }
  }
  if (maxAbs === 0) return new Float64Array(n);
  // Scale by 2^-k, which brings max |entry| into [0.5, 1): exact both ways. Applied as two
  // halves, since 2^±k alone overflows for subnormal or huge entries.
  const k = Math.floor(Math.log2(maxAbs)) + 1;
  const [k1, k2] = [Math.trunc(k / 2), k - Math.trunc(k / 2)];
  return withBuffers([n, n], ([pd, pe]) => {
    const dv = view(pd, n);
    const ev = view(pe, n);
    for (let i = 0; i < n; i++) dv[i] = d[i] * 2 ** -k1 * 2 ** -k2;
    for (let i = 0; i < m; i++) ev[i] = e[i] * 2 ** -k1 * 2 ** -k2;
    ev[n - 1] = 0;
    const status = wasm.linalg_tridiagonal_values(pd, pe, n);
    if (status !== 0) throw new EighConvergenceError(status - 1, n);
    const out = copyOut(pd, n).sort();
    for (let i = 0; i < n; i++) out[i] = out[i] * 2 ** k1 * 2 ** k2;
    return out;
  });
}

/** Result of {@linkcode selectRanks}. */
export interface RankSelection {
  /** Rank kept in each block, in the order of the blocks. */
  ranks: number[];
  /** ½ · Σ of the discarded eigenvalues (negative roundoff counted as zero); below epsilon. */
  bound: number;
}

/** Negative eigenvalues down to −ROUNDOFF_FACTOR·m·ε_mach·max|λ| of their block count as zero. */
export const ROUNDOFF_FACTOR = 64;

/**
 * Certified rank selection: given each block's eigenvalues (any order), keeps the largest
 * eigenvalues across all blocks first and returns the ranks with the fewest total dimensions such
 * that the bound ½ Σ_m Σ_{i > r_m} λ_{m,i} is below `epsilon`.
 *
 * Negative eigenvalues of roundoff size, |λ| ≤ {@linkcode ROUNDOFF_FACTOR}·m·ε_mach·max_i |λ_{m,i}|
 * for a block of size m, count as zero; larger negative ones throw. Equal eigenvalues in different
 * blocks are kept in block order (the lower block index first), so ties are deterministic.
 *
 * @param blocks eigenvalues of each diagonal block.
 * @param epsilon tolerance of the bound, > 0.
 * @returns the ranks and the bound they achieve.
 * @throws {TypeError} when a block is not a Float64Array.
 * @throws {RangeError} for a non-finite value, a negative eigenvalue beyond roundoff, or an
 * epsilon that is not a positive finite number.
 * @example
 * ```ts
 * import { selectRanks } from "./mod.ts";
 * selectRanks([new Float64Array([3, 1]), new Float64Array([2])], 1);
 * // { ranks: [1, 1], bound: 0.5 }
 * ```
 */
export function selectRanks(blocks: Float64Array[], epsilon: number): RankSelection {
  const action = "select ranks";
  if (!Array.isArray(blocks)) {
    throw new TypeError(`Cannot ${action}: blocks must be an array of Float64Array`);
  }
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) {
    throw new RangeError(
      `Cannot ${action}: epsilon must be a positive finite number: current value is ${epsilon}`,
    );
  }
  const entries: { value: number; block: number; index: number }[] = [];
  blocks.forEach((block, m) => {
    checkArray(action, `blocks[${m}]`, block, block?.length, "its own length");
    let maxAbs = 0;
    for (let i = 0; i < block.length; i++) {
      const x = block[i];
      if (!Number.isFinite(x)) {
        throw new RangeError(
          `Cannot ${action}: blocks[${m}][${i}] is not finite: current value is ${x}`,
        );
      }
      maxAbs = Math.max(maxAbs, Math.abs(x));
    }
    const roundoff = ROUNDOFF_FACTOR * block.length * Number.EPSILON * maxAbs;
    for (let i = 0; i < block.length; i++) {
      let x = block[i];
      if (x < 0) {
        if (-x > roundoff) {
          throw new RangeError(
            `Cannot ${action}: blocks[${m}][${i}] is negative beyond roundoff` +
              ` (limit -${roundoff}): current value is ${x}`,
          );
        }
        x = 0;
      }
      entries.push({ value: x, block: m, index: i });
    }
  });
  // Largest first; ties by block, then by position, so the result is deterministic.
  entries.sort((p, q) => q.value - p.value || p.block - q.block || p.index - q.index);
  // tails[k] = Σ of entries k.. (summed from the smallest, which is the accurate order).
  const total = entries.length;
  const tails = new Float64Array(total + 1);
  for (let k = total - 1; k >= 0; k--) tails[k] = tails[k + 1] + entries[k].value;
  let keep = 0;
  while (0.5 * tails[keep] >= epsilon) keep++;
  const ranks = blocks.map(() => 0);
  for (let k = 0; k < keep; k++) ranks[entries[k].block]++;
  return { ranks, bound: 0.5 * tails[keep] };
}

/** Bytes of stack per worker thread (the kernels run in parallel regions use little). */
const WORKER_STACK_BYTES = 64 * 1024;
/** Most threads {@linkcode startLinalgThreads} accepts. */
export const MAX_LINALG_THREADS = 16;

/** A message from a worker (`_worker.ts`). */
type WorkerMessage = { kind: "ready" } | { kind: "exited" } | { kind: "failed"; message: string };

interface LinalgPool {
  workers: Worker[];
  /** Resolve when each worker has left its loop (exited or failed). */
  left: Promise<void>[];
  stacks: number[];
  /** Why a worker failed, once one has. */
  failure: string | null;
}

let pool: LinalgPool | null = null;

/** Threads that {@linkcode eigh} shares its work with: 1 (the caller) plus the workers running. */
export function linalgThreads(): number {
  return 1 + (pool?.workers.length ?? 0);
}

/** Runs `call` (a call into Wasm), turning the trap that follows a worker's failure into an error. */
function guardWorkers<T>(action: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    const current = pool;
    const workerFailed = err instanceof WebAssembly.RuntimeError &&
      wasm.linalg_workers_failed() !== 0;
    if (!workerFailed || current === null) throw err;
    // The pool is unusable now: stop it (asynchronously) and say what happened.
    void stopLinalgThreads().catch(() => {});
    throw new Error(
      `Cannot ${action}: a linalg worker thread failed` +
        `${current.failure ? ` (${current.failure})` : ""}; the worker threads were stopped, ` +
        `so later calls run on this thread (call startLinalgThreads again to retry)`,
      { cause: err },
    );
  }
}

/**
 * Starts `threads − 1` worker threads that {@linkcode eigh} then shares its O(n³) loops with
 * (the Householder updates, the formation of Qᵀ and the rotations of the eigenvectors); the
 * caller's thread is the first. Results are bitwise identical for any number of threads: every
 * chunk of work writes its own rows or columns and partial sums are combined in a fixed order.
 * Workers spin for a few hundred microseconds after a region and then sleep. They keep the process
 * alive, so call {@linkcode stopLinalgThreads} when done, or use {@linkcode withLinalgThreads}.
 * Restarts the pool when one is running. Small matrices (n below ~100) run on the caller's
 * thread only.
 *
 * @param threads total threads, an integer in 1..{@linkcode MAX_LINALG_THREADS}; default: the
 *   machine's logical cores.
 * @returns the number of threads now used.
 * @throws {RangeError} for an invalid thread count.
 * @example
 * ```ts
 * import { eigh, startLinalgThreads, stopLinalgThreads } from "./mod.ts";
 * await startLinalgThreads(2);
 * try {
 *   eigh(new Float64Array(512 * 512).fill(1), 512);
 * } finally {
 *   await stopLinalgThreads();
 * }
 * ```
 */
export async function startLinalgThreads(
  threads: number = navigator.hardwareConcurrency,
): Promise<number> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_LINALG_THREADS) {
    throw new RangeError(
      `Cannot start linalg threads: threads must be an integer in 1..${MAX_LINALG_THREADS}: ` +
        `current value is ${threads}`,
    );
  }
  await stopLinalgThreads();
  const started: LinalgPool = { workers: [], left: [], stacks: [], failure: null };
  pool = started;
  try {
    for (let t = 1; t < threads; t++) {
      const stack = wasm.linalg_alloc(WORKER_STACK_BYTES / 8);
      started.stacks.push(stack);
      const worker = new Worker(assetUrl("wasm/linalg/_worker.ts"), { type: "module" });
      started.workers.push(worker);
      let ready!: () => void;
      let left!: () => void;
      const isReady = new Promise<void>((resolve, reject) => {
        ready = resolve;
        worker.onerror = (e) => {
          e.preventDefault();
          started.failure ??= e.message;
          reject(new Error(`Cannot start linalg thread ${t}: ${e.message}`));
          left();
        };
      });
      started.left.push(new Promise<void>((resolve) => left = resolve));
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        if (e.data.kind === "ready") ready();
        else {
          if (e.data.kind === "failed") started.failure ??= e.data.message;
          left();
        }
      };
      const init: LinalgWorkerInit = {
        module: linalgModule,
        memory,
        // 16-byte aligned top of the worker's region.
        stackTop: (stack + WORKER_STACK_BYTES) & ~15,
      };
      worker.postMessage(init);
      await isReady;
    }
  } catch (err) {
    await stopLinalgThreads();
    throw err;
  }
  return linalgThreads();
}

/**
 * Stops the workers of {@linkcode startLinalgThreads} (no-op when none run); {@linkcode eigh}
 * then runs on the caller's thread alone.
 *
 * @throws {Error} when a worker did not leave its loop within 2 s (it is terminated anyway).
 */
export function stopLinalgThreads(): Promise<void> {
  if (stopping) return stopping;
  const current = pool;
  if (current === null) return Promise.resolve();
  pool = null;
  stopping = stopPool(current).finally(() => stopping = null);
  return stopping;
}

/** The stop in progress, if any (a second call waits for it). */
let stopping: Promise<void> | null = null;

async function stopPool(current: LinalgPool): Promise<void> {
  wasm.linalg_stop_workers();
  // Workers that joined leave their loop and say so; one that failed to start never joined.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const inTime = await Promise.race([
    Promise.all(current.left).then(() => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), 2000)),
  ]);
  clearTimeout(timer);
  for (const w of current.workers) w.terminate();
  if (!inTime || wasm.linalg_worker_count() !== 0) {
    throw new Error(
      `Cannot stop linalg threads: ${wasm.linalg_worker_count()} worker(s) did not leave within 2 s`,
    );
  }
  wasm.linalg_reset_workers();
  for (const s of current.stacks) wasm.linalg_free(s, WORKER_STACK_BYTES / 8);
}

/**
 * Runs `body` with {@linkcode eigh} on `threads` threads, and stops the workers afterwards
 * (whatever `body` does).
 *
 * @param threads as {@linkcode startLinalgThreads}.
 * @param body the work; may be async.
 * @returns what `body` returns.
 * @example
 * ```ts
 * import { eigh, withLinalgThreads } from "./mod.ts";
 * const { values } = await withLinalgThreads(2, () => eigh(new Float64Array([2, 1, 1, 2]), 2));
 * ```
 */
export async function withLinalgThreads<T>(
  threads: number,
  body: () => T | Promise<T>,
): Promise<T> {
  await startLinalgThreads(threads);
  try {
    return await body();
  } finally {
    await stopLinalgThreads();
  }
}

/**
 * Test hook: makes the next chunk of work a worker thread claims trap, to exercise the failure
 * path of {@linkcode eigh} (which then throws and stops the workers). Not for other uses.
 */
export function debugFailNextWorkerChunk(): void {
  wasm.linalg_debug_fail_worker();
}
