/**
 * Benchmark of the Wasm symmetric eigensolver (`wasm/linalg/mod.ts` `eigh`, values and vectors) against
 * `npm:ml-matrix` (JAMA's tred2 + tql2 in JavaScript) and, when Python with numpy is available,
 * `numpy.linalg.eigh` (LAPACK `dsyevd`) in a subprocess of the same run, on the same
 * matrices: once with the LAPACK the system selects (`numpy-lapack`; Debian's alternatives pick
 * OpenBLAS when it is installed) and, when that is not netlib's reference LAPACK, once more with the
 * reference one (`numpy-reference-lapack`). numpy lines name the loaded libraries in `peer_lib`.
 * Each peer is measured at our thread count (`threads`; see {@linkcode runEighBench}). Prints one
 * JSON line per size, peer and thread count:
 *
 * ```json
 * {"suite":"eigh","case":"512","metric":"ms","ours":37.247,"peer":257.647,"peer_name":"ml-matrix","ratio":6.917,"threads":2,"peer_threads":1}
 * ```
 *
 * `ratio` is peer time / our time (> 1: we are faster). Times are medians over repetitions after
 * warm-up; ours is timed in blocks before and after ml-matrix's, and again right after the numpy
 * subprocess, so that load from other processes affects both sides of a ratio alike. Run
 * `deno run -A bench/eigh.ts [n ...]`.
 *
 * @module
 */

import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { eigh, startLinalgThreads, stopLinalgThreads } from "../wasm/linalg/mod.ts";

/** Sizes measured by default. */
export const EIGH_BENCH_SIZES = [64, 128, 256, 512];

/** One output line of the eigh bench. */
export interface EighBenchLine {
  suite: "eigh";
  case: string;
  metric: "ms";
  ours: number;
  peer: number;
  peer_name: string;
  ratio: number;
  /** Threads used by ours and by the peer (ml-matrix is single-threaded JavaScript). */
  threads: number;
  /** Threads the peer used, where it differs from ours (ml-matrix: always 1). */
  peer_threads?: number;
  /** For numpy: the BLAS/LAPACK shared libraries it had loaded. */
  peer_lib?: string;
}

/** Seeded symmetric (n, n) matrix, entries uniform in [-1, 1). */
function benchMatrix(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = 2 * rand() - 1;
      a[i * n + j] = x;
      a[j * n + i] = x;
    }
  }
  return a;
}

/** Repetitions so that one size takes on the order of a second for us. */
function repetitions(n: number): number {
  return Math.max(3, Math.min(30, Math.round(3e8 / (n * n * n))));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

/**
 * Collects garbage when V8 allows it (`--v8-flags=--expose-gc`, as `deno task bench` runs) and
 * waits 50 ms, so that garbage left by the previous block (ml-matrix allocates arrays of arrays)
 * is not marked and swept by V8's background threads while the next block is timed, taking a
 * core from our worker thread (measured at n = 512 on 2 threads: ours 67 ms right after
 * ml-matrix calls, 48–52 ms in a block of its own).
 */
async function settle(): Promise<void> {
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 50));
}

function timeBlock(reps: number, fn: () => void): number[] {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * Median times of `a` and `b` after warm-up, in blocks a, b, a (each after {@linkcode settle}):
 * `a`'s median is over both of its blocks, which bracket `b`'s, so that load from other processes
 * affects both alike, while neither side's calls run between the other's.
 */
async function timeBracketed(
  reps: number,
  warmup: number,
  a: () => void,
  b: () => void,
): Promise<[number, number]> {
  for (let r = 0; r < warmup; r++) {
    a();
    b();
  }
  await settle();
  const ta = timeBlock(Math.ceil(reps / 2), a);
  await settle();
  const tb = timeBlock(reps, b);
  await settle();
  ta.push(...timeBlock(Math.ceil(reps / 2), a));
  return [median(ta), median(tb)];
}

const NUMPY_SCRIPT = `
import json, os, sys, time
import numpy as np
n_list = [int(x) for x in sys.argv[2].split(",")]
reps = [int(x) for x in sys.argv[3].split(",")]
out = {}
for n, r in zip(n_list, reps):
    a = np.fromfile(os.path.join(sys.argv[1], f"{n}.f64"), dtype="<f8").reshape(n, n)
    np.linalg.eigh(a)
    times = []
    for _ in range(r):
        t0 = time.perf_counter()
        w, v = np.linalg.eigh(a)
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    m = len(times) // 2
    out[str(n)] = {"ms": times[m] if len(times) % 2 else 0.5 * (times[m - 1] + times[m]),
                   "values": w.tolist()}
libs = set()
with open("/proc/self/maps") as maps:
    for line in maps:
        path = line.split()[-1]
        if any(k in path for k in ("blas", "lapack", "mkl", "blis", "atlas")):
            libs.add(path)
out["_lib"] = ",".join(sorted(libs))
print(json.dumps(out))
`;

async function findNumpyPython(): Promise<string | null> {
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      const { success } = await new Deno.Command(python, {
        args: ["-c", "import numpy"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (success) return python;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return null;
}

/** Netlib's reference LAPACK and BLAS as Debian installs them (found before any alternative). */
const REFERENCE_LAPACK_DIRS = [
  "/usr/lib/x86_64-linux-gnu/lapack",
  "/usr/lib/x86_64-linux-gnu/blas",
];

/** numpy's timings for each size and the BLAS/LAPACK libraries it had loaded. */
interface NumpyTimings {
  lib: string;
  results: Map<number, { ms: number; values: number[] }>;
}

/**
 * Times numpy.linalg.eigh on the same matrices (BLAS with `threadCount` threads) in a subprocess; with
 * `libraryPath`, the dynamic loader searches those directories first (to pick a LAPACK).
 */
async function timeNumpy(
  python: string,
  matrices: Map<number, Float64Array>,
  threadCount: number,
  libraryPath?: string[],
): Promise<NumpyTimings> {
  const dir = await Deno.makeTempDir({ prefix: "polyscore-eigh-bench-" });
  try {
    for (const [n, a] of matrices) {
      await Deno.writeFile(`${dir}/${n}.f64`, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
    const sizes = [...matrices.keys()];
    const threads = String(threadCount);
    const output = await new Deno.Command(python, {
      args: [
        "-c",
        NUMPY_SCRIPT,
        dir,
        sizes.join(","),
        sizes.map((n) => repetitions(n)).join(","),
      ],
      env: {
        OMP_NUM_THREADS: threads,
        OPENBLAS_NUM_THREADS: threads,
        MKL_NUM_THREADS: threads,
        ...(libraryPath ? { LD_LIBRARY_PATH: libraryPath.join(":") } : {}),
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(
        `Cannot time numpy.linalg.eigh: ${python} exited with code ${output.code}: ${
          new TextDecoder().decode(output.stderr)
        }`,
      );
    }
    const parsed = JSON.parse(new TextDecoder().decode(output.stdout));
    return { lib: parsed._lib, results: new Map(sizes.map((n) => [n, parsed[String(n)]])) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Throws unless two ascending spectra agree to a normwise backward-stable tolerance. */
function checkSameSpectrum(ours: ArrayLike<number>, peer: ArrayLike<number>, who: string): void {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < ours.length; i++) {
    scale = Math.max(scale, Math.abs(peer[i]));
    diff = Math.max(diff, Math.abs(ours[i] - peer[i]));
  }
  if (!(diff <= 1e-10 * Math.max(scale, 1))) {
    throw new Error(
      `Cannot report the eigh bench: eigenvalues differ from ${who}: max difference is ${diff}`,
    );
  }
}

function line(
  n: number,
  ours: number,
  peer: number,
  peerName: string,
  threads: number,
): EighBenchLine {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    suite: "eigh",
    case: String(n),
    metric: "ms",
    ours: round(ours),
    peer: round(peer),
    peer_name: peerName,
    ratio: round(peer / ours),
    threads,
  };
}

/**
 * Runs the eigh bench and prints its JSON lines to stdout: ours on one thread against every peer
 * on one thread, then (on a machine with several cores) ours on all cores
 * ({@linkcode startLinalgThreads}) against ml-matrix (single-threaded JavaScript, marked
 * `peer_threads: 1`) and against numpy with as many BLAS threads. Netlib's reference LAPACK and
 * BLAS are single-threaded, so they are only compared with ours on one thread.
 *
 * @param sizes matrix orders to measure (default {@linkcode EIGH_BENCH_SIZES}).
 * @param threads thread counts to measure ours at (default 1 and, when larger, the machine's
 *   logical cores).
 * @returns the lines printed.
 */
export async function runEighBench(
  sizes: number[] = EIGH_BENCH_SIZES,
  threads: number[] = [...new Set([1, navigator.hardwareConcurrency])],
): Promise<EighBenchLine[]> {
  const matrices = new Map(sizes.map((n) => [n, benchMatrix(n, 1234 + n)]));
  const lines: EighBenchLine[] = [];
  const emit = (l: EighBenchLine) => {
    console.log(JSON.stringify(l));
    lines.push(l);
  };
  const ourValues = new Map<number, Float64Array>();
  try {
    for (const t of threads) {
      await startLinalgThreads(t);
      for (const [n, a] of matrices) {
        ourValues.set(n, eigh(a, n).values);
        const m = new Matrix(
          Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, i * n + n))),
        );
        let peerValues: number[] = [];
        const [ours, peer] = await timeBracketed(repetitions(n), 2, () => eigh(a, n), () => {
          const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
          peerValues = evd.realEigenvalues;
          void evd.eigenvectorMatrix;
        });
        checkSameSpectrum(ourValues.get(n)!, peerValues, "ml-matrix");
        emit({ ...line(n, ours, peer, "ml-matrix", t), ...(t > 1 ? { peer_threads: 1 } : {}) });
      }
    }
    const python = await findNumpyPython();
    if (python === null) {
      console.error("eigh bench: no python3 with numpy found; skipping the numpy-lapack peer");
      return lines;
    }
    // numpy as installed (whatever LAPACK Debian's alternatives select), then, when the system
    // default is another library, numpy on netlib's reference LAPACK.
    const runs: [string, string[] | undefined][] = [["numpy-lapack", undefined]];
    const hasReference = REFERENCE_LAPACK_DIRS.every((dir) => {
      try {
        return Deno.statSync(dir).isDirectory;
      } catch {
        return false;
      }
    });
    if (hasReference) runs.push(["numpy-reference-lapack", REFERENCE_LAPACK_DIRS]);
    for (const [peerName, libraryPath] of runs) {
      for (const t of libraryPath ? [1] : threads) {
        const numpy = await timeNumpy(python, matrices, t, libraryPath);
        if (libraryPath && lines.some((l) => l.peer_lib === numpy.lib)) continue; // same library
        await startLinalgThreads(t);
        for (const [n, a] of matrices) {
          const result = numpy.results.get(n)!;
          checkSameSpectrum(ourValues.get(n)!, result.values, "numpy");
          // Our time again, right after numpy's, so both see the same machine load.
          const [ours] = await timeBracketed(repetitions(n), 1, () => eigh(a, n), () => {});
          emit({ ...line(n, ours, result.ms, peerName, t), peer_lib: numpy.lib });
        }
      }
    }
    return lines;
  } finally {
    await stopLinalgThreads();
  }
}

if (import.meta.main) {
  const sizes = Deno.args.map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new RangeError(
      `Cannot run the eigh bench: sizes must be positive integers: current value is ${Deno.args}`,
    );
  }
  await runEighBench(sizes.length > 0 ? sizes : EIGH_BENCH_SIZES);
}
