/**
 * Matmul benchmark: our WGSL kernels against TF.js's WebGPU backend on the same adapter, in the
 * same run. For each size N (256, 512, 1024) our default kernel (what `WebGpuBackend.matmul`
 * picks on this adapter) and TF.js are validated against an f64 CPU reference on sampled rows,
 * then timed in alternation (so load on a shared machine hits both alike). Timing: one warm-up
 * call, then batches of `iters` matmuls synchronised by one readback at the end of each batch;
 * the best of 3 batches counts. GFLOP/s = 2·N³ / seconds per matmul. Every variant is then
 * validated and timed on its own (naive/tiled only up to 512) for the stderr detail line.
 *
 * stdout: one JSON line per case,
 *   {"suite":"matmul","case":"1024","metric":"GFLOP/s","ours":X,"peer":Y,
 *    "peer_name":"tfjs-webgpu","ratio":X/Y}
 * Per-variant numbers go to stderr. Run: `deno run -A bench/matmul.ts` (or `deno task bench matmul`).
 */

import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-webgpu";
import { createWebGpuBackend, type GpuBuffer, type WebGpuBackend } from "../gpu/backend.ts";
import { encodeMatmul, type MatmulVariant } from "../gpu/kernels/matmul.ts";
import { Rng } from "../engine/random.ts";

const SIZES = [256, 512, 1024];
const VARIANTS: MatmulVariant[] = ["naive", "tiled", "blocked", "vec4", "rowblock"];
/** The slow baselines are timed up to this size only (one 1024² naive run takes seconds). */
const SLOW_MAX = 512;
const ROUNDS = 3;

function randomMatrix(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n * n);
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform() * 2 - 1;
  return out;
}

/** Checks `rows` sampled rows of c = a·b (N×N) against f64 sums; throws on mismatch. */
function validate(label: string, a: Float32Array, b: Float32Array, c: Float32Array, n: number) {
  const rng = new Rng(n);
  const tol = 1e-5 * n;
  for (let t = 0; t < 8; t++) {
    const i = rng.int(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
      if (!(Math.abs(c[i * n + j] - s) <= tol)) {
        throw new Error(
          `Cannot time ${label}: result differs from the reference at [${i}, ${j}]: ${
            c[i * n + j]
          } vs ${s}`,
        );
      }
    }
  }
}

function itersFor(n: number): number {
  return Math.min(50, Math.max(3, Math.round(4e9 / (2 * n ** 3))));
}

/** Prepares one of our matmuls on resident buffers; `run(iters)` times a synchronised batch. */
async function prepareOurs(
  gpu: WebGpuBackend,
  variant: MatmulVariant | "backend",
  a: Float32Array,
  b: Float32Array,
  n: number,
): Promise<{ run: (iters: number) => Promise<void>; dispose: () => void }> {
  const [ga, gb, gc] = [gpu.alloc(n * n), gpu.alloc(n * n), gpu.alloc(n * n)];
  gpu.write(ga, a);
  gpu.write(gb, b);
  const spec = { m: n, k: n, n, transA: false, transB: false, accumulate: false };
  const buf = (x: unknown) => (x as GpuBuffer).buffer;
  const once = variant === "backend"
    ? () => gpu.matmul({ a: ga, b: gb, out: gc }, spec)
    : () => encodeMatmul(gpu.recorder, { a: buf(ga), b: buf(gb), out: buf(gc) }, spec, variant);
  once();
  validate(`matmul ${variant} ${n}`, a, b, await gpu.read(gc), n);
  return {
    run: async (k) => {
      for (let i = 0; i < k; i++) once();
      await gpu.read(gc);
    },
    dispose: () => [ga, gb, gc].forEach((x) => gpu.free(x)),
  };
}

/** Prepares TF.js's matmul on resident tensors; `run(iters)` times a synchronised batch. */
async function prepareTfjs(
  a: Float32Array,
  b: Float32Array,
  n: number,
): Promise<{ run: (iters: number) => Promise<void>; dispose: () => void }> {
  const ta = tf.tensor2d(a, [n, n]), tb = tf.tensor2d(b, [n, n]);
  const c0 = tf.matMul(ta, tb);
  validate(`tfjs matmul ${n}`, a, b, (await c0.data()) as Float32Array, n);
  c0.dispose();
  return {
    run: async (k) => {
      const outs: tf.Tensor[] = [];
      for (let i = 0; i < k; i++) outs.push(tf.matMul(ta, tb));
      await outs[outs.length - 1].data();
      for (const o of outs) o.dispose();
    },
    dispose: () => {
      ta.dispose();
      tb.dispose();
    },
  };
}

/** Best seconds per matmul of each contender, timing them in alternation for `rounds` rounds. */
async function timeInterleaved(
  contenders: { run: (iters: number) => Promise<void> }[],
  iters: number[],
  rounds: number,
): Promise<number[]> {
  const best = contenders.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of contenders.entries()) {
      const t0 = performance.now();
      await c.run(iters[i]);
      best[i] = Math.min(best[i], (performance.now() - t0) / 1000 / iters[i]);
    }
  }
  return best;
}

/** Runs the benchmark and prints one JSON line per size. */
export async function runMatmulBench(): Promise<void> {
  const gpu = await createWebGpuBackend();
  await tf.setBackend("webgpu");
  await tf.ready();
  if (tf.getBackend() !== "webgpu") {
    throw new Error(`Cannot run the TF.js peer: backend is ${tf.getBackend()}, not webgpu`);
  }
  const info = gpu.adapterInfo;
  console.error(`adapter: ${info.description} (fallback: ${info.isFallbackAdapter})`);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  for (const n of SIZES) {
    const a = randomMatrix(n, 1), b = randomMatrix(n, 2);
    const flops = 2 * n ** 3;
    // Ours (the backend's own choice of kernel) and the peer, timed in alternation.
    const ours = await prepareOurs(gpu, "backend", a, b, n);
    const peer = await prepareTfjs(a, b, n);
    const [tOurs, tPeer] = await timeInterleaved([ours, peer], [itersFor(n), itersFor(n)], ROUNDS);
    ours.dispose();
    peer.dispose();
    // Every variant, validated first; slow baselines only up to SLOW_MAX.
    const detail: Record<string, number> = {};
    for (const v of VARIANTS) {
      if ((v === "naive" || v === "tiled") && n > SLOW_MAX) continue;
      const c = await prepareOurs(gpu, v, a, b, n);
      const slow = v === "naive" || v === "tiled";
      const [t] = await timeInterleaved([c], [slow ? 1 : itersFor(n)], slow ? 1 : 2);
      detail[v] = round(flops / t / 1e9);
      c.dispose();
    }
    console.error(`matmul ${n} variants (GFLOP/s): ${JSON.stringify(detail)}`);
    const gOurs = flops / tOurs / 1e9, gPeer = flops / tPeer / 1e9;
    console.log(JSON.stringify({
      suite: "matmul",
      case: String(n),
      metric: "GFLOP/s",
      ours: round(gOurs),
      peer: round(gPeer),
      peer_name: "tfjs-webgpu",
      ratio: round(gOurs / gPeer),
    }));
  }
  gpu.destroy();
}

if (import.meta.main) {
  await runMatmulBench();
}
