/**
 * `polyscore bench gpu`: the WebGPU backend on whichever adapter is found, against the Wasm backend
 * on all cores, on what the pipeline trains, at a preset's sizes (default quick, PolyMNIST 3×28×28):
 * - `ae_train`: one modality's conv autoencoder, forward + backward + Adam, images/s;
 * - `classifier_train`: one modality's conv classifier (10 digits), images/s;
 * - `prior_train`: the joint score network over all latents (SBM-AE's, the widest), DSM, samples/s;
 * - `sampler_step`: one predictor–corrector step of the PC sampler over the pipeline's chunk of
 *   rows (two network calls), steps/s;
 * - `matmul_<n>`: the best of our matmul kernels, GFLOP/s, with the adapter's fp32 peak (from
 *   {@link PEAK_GFLOPS} or `--peak-gflops`, else "unknown") and the fraction of it reached.
 * A step is recorded and flushed as in training; a round of `--steps` steps ends with one readback
 * (so the device's queue is drained inside the timing); the best of `--rounds` rounds counts.
 *
 * stdout: one JSON line per case, {"suite":"gpu","case","metric","ours","peer","peer_name",
 * "ratio"} with ours = WebGPU, peer = Wasm on all cores, ratio = ours / peer (> 1: WebGPU faster);
 * the matmul line adds "adapter", "peak_gflops" and "fraction_of_peak". stderr: the adapter.
 * Timings on a software adapter (llvmpipe) are a smoke test only.
 */
import { parseArgs } from "node:util";
import type { Backend } from "../engine/backend.ts";
import { resolveConfig } from "../polyscore/pipeline/config/mod.ts";
import { ConvAutoencoder } from "../polyscore/models/conv_vae.ts";
import { ConvClassifier } from "../polyscore/models/classifier.ts";
import { ScoreMlp } from "../polyscore/models/score_mlp.ts";
import { Init, type Module } from "../engine/nn/module.ts";
import * as ops from "../engine/ops/mod.ts";
import { RandomStream } from "../engine/ops/random.ts";
import { Adam } from "../engine/optim.ts";
import { Rng } from "../engine/random.ts";
import { dsmLoss } from "../polyscore/sde/dsm.ts";
import { pcSample } from "../polyscore/sde/pc_sampler.ts";
import { VpSde } from "../polyscore/sde/vpsde.ts";
import { backward, keep, noGrad, Tensor, tidy } from "../engine/tensor.ts";
import { createWebGpuBackend, type GpuBuffer, type WebGpuBackend } from "../gpu/backend.ts";
import { encodeMatmul, type MatmulVariant } from "../gpu/kernels/matmul.ts";
import { createWasmCpuBackend } from "../wasm/cpu/mod.ts";

/**
 * Peak fp32 (non-tensor-core) GFLOP/s at boost clock, from the vendors' data sheets, matched on
 * the adapter's description. Add a row only from a data sheet; `--peak-gflops` covers the rest.
 */
export const PEAK_GFLOPS: readonly { match: RegExp; name: string; gflops: number }[] = [
  { match: /\bH200\b/, name: "NVIDIA H200 SXM", gflops: 67_000 },
  { match: /\bH100\b.*\bPCIe\b/, name: "NVIDIA H100 PCIe", gflops: 51_000 },
  { match: /\bH100\b/, name: "NVIDIA H100 SXM", gflops: 67_000 },
  { match: /\bA100\b/, name: "NVIDIA A100", gflops: 19_500 },
  { match: /\bL40S\b/, name: "NVIDIA L40S", gflops: 91_600 },
  { match: /\bL4\b/, name: "NVIDIA L4", gflops: 30_300 },
  { match: /\bA10\b/, name: "NVIDIA A10", gflops: 31_200 },
  { match: /\bT4\b/, name: "NVIDIA T4", gflops: 8_100 },
];

/** The data-sheet peak for an adapter description, or null when it is not in the table. */
export function peakFor(description: string): { name: string; gflops: number } | null {
  const row = PEAK_GFLOPS.find((r) => r.match.test(description));
  return row ? { name: row.name, gflops: row.gflops } : null;
}

/** One case ready to time on one backend: `step` records (and flushes) one step. */
interface Case {
  metric: string;
  perStep: number;
  step: () => void;
  /** A buffer whose readback drains the queue. */
  sync: () => Promise<unknown>;
  dispose: () => void;
}

type CaseName = "ae_train" | "classifier_train" | "prior_train" | "sampler_step";
const CASES: CaseName[] = ["ae_train", "classifier_train", "prior_train", "sampler_step"];

function randomData(n: number, seed: number, normal: boolean): Float32Array {
  const rng = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = normal ? rng.normal() : rng.uniform();
  return a;
}

function trainCase(
  be: Backend,
  module: Module,
  lr: number,
  perStep: number,
  metric: string,
  loss: () => Tensor,
): Case {
  const params = module.parameters();
  const opt = new Adam(params, { lr });
  return {
    metric,
    perStep,
    step: () => {
      tidy(() => backward(loss(), params));
      opt.update();
      be.flush();
    },
    sync: () => be.read(params[0].buf),
    dispose: () => opt.dispose(),
  };
}

/** Builds a case at the preset's sizes. */
function makeCase(be: Backend, name: CaseName, preset: string): Case {
  const cfg = resolveConfig(preset);
  const shape = [3, 28, 28];
  const noise = new RandomStream(7);
  if (name === "ae_train") {
    const b = cfg.ae.batch;
    const ae = new ConvAutoencoder(new Init(be, 1), shape, cfg.ae.hidden, {
      variant: cfg.ae.variant,
      latent: cfg.ae.latent,
      likelihood: "gaussian",
      beta: cfg.ae.beta,
      aeNoise: cfg.ae.aeNoise,
      aeZWeight: cfg.ae.aeZWeight,
    });
    const x = keep(Tensor.from(be, randomData(b * 3 * 28 * 28, 1, false), [b, ...shape]));
    return trainCase(be, ae, cfg.ae.lr, b, "images/s", () => ae.loss(x, noise).loss);
  }
  if (name === "classifier_train") {
    const b = cfg.classifier.batch;
    const clf = new ConvClassifier(
      new Init(be, 2),
      shape,
      cfg.classifier.hidden,
      cfg.classifier.features,
      10,
    );
    const x = keep(Tensor.from(be, randomData(b * 3 * 28 * 28, 2, false), [b, ...shape]));
    const labels = new Float32Array(b * 10);
    for (let i = 0; i < b; i++) labels[i * 10 + (i % 10)] = 1;
    const target = keep(Tensor.from(be, labels, [b, 10]));
    return trainCase(
      be,
      clf,
      cfg.classifier.lr,
      b,
      "images/s",
      () => ops.crossEntropy(clf.forward(x), target),
    );
  }
  const p = cfg.prior;
  const dim = cfg.modalities * cfg.ae.latent;
  const sde = new VpSde({ beta0: p.beta0, beta1: p.beta1 });
  const model = new ScoreMlp(new Init(be, 3), {
    dim,
    width: p.width,
    blocks: p.blocks,
    timeEmbedDim: p.embed,
    timeWidth: p.timeWidth,
    output: p.output,
    sde,
  });
  if (name === "prior_train") {
    const z0 = keep(Tensor.from(be, randomData(p.batch * dim, 3, true), [p.batch, dim]));
    return trainCase(be, model, p.lr, p.batch, "samples/s", () => dsmLoss(model, sde, z0, noise));
  }
  // The pipeline samples in chunks of this many rows (engine/pipeline/stage_prior.ts).
  const rows = Math.max(1, Math.floor(8192 / Math.max(1, Math.ceil(dim / 64))));
  let last: Tensor | null = null;
  return {
    metric: `steps/s (${rows} rows)`,
    perStep: 1,
    step: () => {
      last?.dispose();
      last = noGrad(() =>
        pcSample(model, sde, { backend: be, batch: rows, steps: 1, snr: p.snr, stream: noise })
      );
      be.flush();
    },
    sync: () => last ? last.data() : Promise.resolve(),
    dispose: () => last?.dispose(),
  };
}

/** The best rate of `rounds` rounds of `steps` steps (after one warm-up step). */
async function time(c: Case, steps: number, rounds: number): Promise<number> {
  c.step();
  await c.sync();
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) c.step();
    await c.sync();
    best = Math.max(best, c.perStep * steps / ((performance.now() - t0) / 1000));
  }
  return best;
}

/** Best GFLOP/s over our WebGPU matmul kernels at n×n (each validated on one row first). */
async function gpuMatmul(gpu: WebGpuBackend, n: number, steps: number, rounds: number) {
  const a = randomData(n * n, 11, true), b = randomData(n * n, 12, true);
  const [ga, gb, gc] = [gpu.alloc(n * n), gpu.alloc(n * n), gpu.alloc(n * n)];
  gpu.write(ga, a);
  gpu.write(gb, b);
  const spec = { m: n, k: n, n, transA: false, transB: false, accumulate: false };
  const buf = (x: unknown) => (x as GpuBuffer).buffer;
  let best = { variant: "", gflops: 0 };
  for (const variant of ["backend", "tiled", "blocked", "vec4", "rowblock"] as const) {
    const once = variant === "backend"
      ? () => gpu.matmul({ a: ga, b: gb, out: gc }, spec)
      : () =>
        encodeMatmul(
          gpu.recorder,
          { a: buf(ga), b: buf(gb), out: buf(gc) },
          spec,
          variant as MatmulVariant,
        );
    once();
    const c = await gpu.read(gc);
    for (let j = 0; j < n; j += 97) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[k] * b[k * n + j];
      if (!(Math.abs(c[j] - s) <= 1e-4 * n)) {
        throw new Error(`Cannot time matmul ${variant}: row 0, column ${j} is ${c[j]}, not ${s}`);
      }
    }
    const rate = await time(
      {
        metric: "GFLOP/s",
        perStep: 2 * n ** 3 / 1e9,
        step: () => {
          once();
          gpu.flush();
        },
        sync: () => gpu.read(gc),
        dispose: () => {},
      },
      steps,
      rounds,
    );
    console.error(`bench gpu: matmul ${n} ${variant}: ${rate.toFixed(1)} GFLOP/s`);
    if (rate > best.gflops) best = { variant, gflops: rate };
  }
  for (const x of [ga, gb, gc]) gpu.free(x);
  return best;
}

async function wasmMatmul(be: Backend, n: number, steps: number, rounds: number) {
  const [a, b, c] = [be.alloc(n * n), be.alloc(n * n), be.alloc(n * n)];
  be.write(a, randomData(n * n, 11, true));
  be.write(b, randomData(n * n, 12, true));
  const spec = { m: n, k: n, n, transA: false, transB: false, accumulate: false };
  const rate = await time(
    {
      metric: "GFLOP/s",
      perStep: 2 * n ** 3 / 1e9,
      step: () => be.matmul({ a, b, out: c }, spec),
      sync: () => be.read(c),
      dispose: () => {},
    },
    steps,
    rounds,
  );
  for (const x of [a, b, c]) be.free(x);
  return rate;
}

const HELP = `Usage: polyscore bench gpu [--steps N] [--rounds N] [--preset quick] [--cases a,b]
                         [--matmul-size N] [--peak-gflops X]

WebGPU (whichever adapter is found) against the Wasm backend on all cores: training-step
throughput of the autoencoder, classifier and score network, the PC sampler step, and the best
matmul's GFLOP/s against the adapter's fp32 peak. One JSON line per case on stdout.
  --steps N        timed steps per round (default 20; 2 on a software adapter such as llvmpipe)
  --rounds N       rounds, the best counts (default 3; 1 on a software adapter)
  --preset P       the pipeline preset whose sizes are used (default quick)
  --cases LIST     any of ${[...CASES, "matmul"].join(", ")} (default all)
  --matmul-size N  matmul size n (n×n·n×n; default 1024)
  --peak-gflops X  the adapter's fp32 peak, when it is not in the built-in table`;

function positiveInt(key: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(
      `Cannot run bench gpu: ${key} must be an integer >= 1: current value is ${raw}`,
    );
  }
  return v;
}

/** Runs the suite; returns the exit code. */
export async function runGpuBench(argv: string[] = []): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      steps: { type: "string" },
      rounds: { type: "string" },
      preset: { type: "string", default: "quick" },
      cases: { type: "string", default: [...CASES, "matmul"].join(",") },
      "matmul-size": { type: "string", default: "1024" },
      "peak-gflops": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const n = positiveInt("--matmul-size", values["matmul-size"]!);
  // Bad counts fail before any device is created.
  if (values.steps !== undefined) positiveInt("--steps", values.steps);
  if (values.rounds !== undefined) positiveInt("--rounds", values.rounds);
  const cases = values.cases!.split(",").filter(Boolean);
  for (const c of cases) {
    if (![...CASES, "matmul"].includes(c)) {
      throw new RangeError(
        `Cannot run bench gpu: --cases must list ${
          [...CASES, "matmul"].join(", ")
        }: current value has ${c}`,
      );
    }
  }
  let userPeak: number | null = null;
  if (values["peak-gflops"] !== undefined) {
    userPeak = Number(values["peak-gflops"]);
    if (!(userPeak > 0)) {
      throw new RangeError(
        `Cannot run bench gpu: --peak-gflops must be a number > 0: current value is ${
          values["peak-gflops"]
        }`,
      );
    }
  }
  resolveConfig(values.preset!); // a bad preset fails before any device is created
  const gpu = await createWebGpuBackend();
  const info = gpu.adapterInfo;
  // A software adapter takes seconds per sampler step: keep its smoke test short by default.
  const steps = positiveInt("--steps", values.steps ?? (info.isFallbackAdapter ? "2" : "20"));
  const rounds = positiveInt("--rounds", values.rounds ?? (info.isFallbackAdapter ? "1" : "3"));
  const adapter = info.description || [info.vendor, info.architecture, info.device].join(" ");
  console.error(
    `bench gpu: WebGPU adapter ${adapter}${
      info.isFallbackAdapter ? " (software fallback: a smoke test, not a GPU measurement)" : ""
    }; ` +
      `peer: Wasm on ${navigator.hardwareConcurrency} threads; ${steps} steps × ${rounds} rounds`,
  );
  const wasm = await createWasmCpuBackend({ threads: navigator.hardwareConcurrency });
  try {
    for (const name of CASES.filter((c) => cases.includes(c))) {
      const rates: number[] = [];
      let metric = "";
      for (const be of [gpu, wasm] as Backend[]) {
        const c = makeCase(be, name, values.preset!);
        metric = c.metric;
        rates.push(await time(c, steps, rounds));
        c.dispose();
      }
      console.log(JSON.stringify({
        suite: "gpu",
        case: name,
        metric,
        ours: rates[0],
        peer: rates[1],
        peer_name: "wasm-cpu",
        ratio: rates[0] / rates[1],
      }));
    }
    if (cases.includes("matmul")) {
      const best = await gpuMatmul(gpu, n, steps, rounds);
      const peer = await wasmMatmul(wasm, n, steps, rounds);
      const table = peakFor(adapter);
      const peak = userPeak ?? table?.gflops ?? null;
      console.log(JSON.stringify({
        suite: "gpu",
        case: `matmul_${n}`,
        metric: "GFLOP/s",
        ours: best.gflops,
        peer,
        peer_name: "wasm-cpu",
        ratio: best.gflops / peer,
        kernel: best.variant,
        adapter,
        peak_gflops: peak ?? "unknown",
        peak_source: userPeak !== null
          ? "--peak-gflops"
          : table
          ? `data sheet: ${table.name}`
          : "unknown",
        fraction_of_peak: peak ? best.gflops / peak : "unknown",
      }));
    }
  } finally {
    wasm.destroy();
    gpu.destroy();
  }
  return 0;
}

if (import.meta.main) Deno.exit(await runGpuBench(Deno.args));
