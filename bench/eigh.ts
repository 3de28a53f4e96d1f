/**
 * Benchmark of the Wasm symmetric eigensolver (`wasm/mod.ts` `eigh`, values and vectors) against
 * `npm:ml-matrix` (JAMA's tred2 + tql2 in JavaScript) and, when Python with numpy is available,
 * `numpy.linalg.eigh` (LAPACK `dsyevd`, one thread) in a subprocess of the same run, on the same
 * matrices: once with the LAPACK the system selects (`numpy-lapack`; Debian's alternatives pick
 * OpenBLAS when it is installed) and, when that is not netlib's reference LAPACK, once more with the
 * reference one (`numpy-reference-lapack`). numpy lines name the loaded libraries in `peer_lib`. Prints one JSON line per size and peer:
 *
 * ```json
 * {"suite":"eigh","case":"512","metric":"ms","ours":120.5,"peer":2410.2,"peer_name":"ml-matrix","ratio":20.0}
 * ```
 *
 * `ratio` is peer time / our time (> 1: we are faster). Times are medians over repetitions after
 * warm-up; ours and ml-matrix are timed alternately, and ours is timed again right after the numpy
 * subprocess, so that load from other processes affects both sides of a ratio alike. Run
 * `deno run -A bench/eigh.ts [n ...]`.
 *
 * @module
 */

import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { eigh } from "../wasm/mod.ts";

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

function timeOnce(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/**
 * Median times of `a` and `b`, measured alternately (a, b, a, b, …) after warm-up, so that load
 * from other processes affects both alike.
 */
function timeAlternating(
  reps: number,
  warmup: number,
  a: () => void,
  b: () => void,
): [number, number] {
  for (let r = 0; r < warmup; r++) {
    a();
    b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < reps; r++) {
    ta.push(timeOnce(a));
    tb.push(timeOnce(b));
  }
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
 * Times numpy.linalg.eigh on the same matrices (single-threaded BLAS) in a subprocess; with
 * `libraryPath`, the dynamic loader searches those directories first (to pick a LAPACK).
 */
async function timeNumpy(
  python: string,
  matrices: Map<number, Float64Array>,
  libraryPath?: string[],
): Promise<NumpyTimings> {
  const dir = await Deno.makeTempDir({ prefix: "polyscore-eigh-bench-" });
  try {
    for (const [n, a] of matrices) {
      await Deno.writeFile(`${dir}/${n}.f64`, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
    const sizes = [...matrices.keys()];
    const threads = "1";
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

function line(n: number, ours: number, peer: number, peerName: string): EighBenchLine {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    suite: "eigh",
    case: String(n),
    metric: "ms",
    ours: round(ours),
    peer: round(peer),
    peer_name: peerName,
    ratio: round(peer / ours),
  };
}

/**
 * Runs the eigh bench and prints its JSON lines to stdout.
 *
 * @param sizes matrix orders to measure (default {@linkcode EIGH_BENCH_SIZES}).
 * @returns the lines printed.
 */
export async function runEighBench(sizes: number[] = EIGH_BENCH_SIZES): Promise<EighBenchLine[]> {
  const matrices = new Map(sizes.map((n) => [n, benchMatrix(n, 1234 + n)]));
  const lines: EighBenchLine[] = [];
  const ourValues = new Map<number, Float64Array>();
  for (const [n, a] of matrices) {
    ourValues.set(n, eigh(a, n).values);
    const m = new Matrix(
      Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, i * n + n))),
    );
    let peerValues: number[] = [];
    const [ours, peer] = timeAlternating(repetitions(n), 2, () => eigh(a, n), () => {
      const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
      peerValues = evd.realEigenvalues;
      void evd.eigenvectorMatrix;
    });
    checkSameSpectrum(ourValues.get(n)!, peerValues, "ml-matrix");
    const l = line(n, ours, peer, "ml-matrix");
    console.log(JSON.stringify(l));
    lines.push(l);
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
    const numpy = await timeNumpy(python, matrices, libraryPath);
    if (libraryPath && lines.some((l) => l.peer_lib === numpy.lib)) continue; // same library
    for (const [n, a] of matrices) {
      const result = numpy.results.get(n)!;
      checkSameSpectrum(ourValues.get(n)!, result.values, "numpy");
      // Our time again, right after numpy's, so both see the same machine load.
      const [ours] = timeAlternating(repetitions(n), 1, () => eigh(a, n), () => {});
      const l = { ...line(n, ours, result.ms, peerName), peer_lib: numpy.lib };
      console.log(JSON.stringify(l));
      lines.push(l);
    }
  }
  return lines;
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
