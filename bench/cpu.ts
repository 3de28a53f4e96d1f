/**
 * CPU benchmark: the Wasm CPU backend (`wasm/cpu_backend.ts`) against PyTorch CPU (Debian's
 * python3-torch, run through `bench/_torch_cpu.py`) on the same architectures and batch sizes, in
 * the same run, 2 threads each (issue 4):
 * - `vae_train`: PolyMNIST conv VAE (3→32→64→128, latent 64), batch 128, forward + backward +
 *   Adam, images/s;
 * - `dsm_train`: score MLP 320+128 → 512 → 512 → 512 → 320 (SiLU), batch 256, denoising score
 *   matching on a VP-SDE, forward + backward + Adam, samples/s;
 * - `langevin`: forward-only score MLP on 1,000 samples plus the Langevin update, steps/s;
 * - `matmul_1024`: fp32 1024² GEMM, GFLOP/s.
 * PyTorch (with Debian's OpenBLAS, installed if missing) runs twice: as installed ("pytorch-cpu") and tuned ("pytorch-cpu-tuned": the best of
 * OPENBLAS_NUM_THREADS=1, OMP_WAIT_POLICY=PASSIVE and both, per case). Each rate is the median of
 * 3 rounds; a round is N steps or 3 s, whichever ends first.
 *
 * stdout: one JSON line per case and peer,
 *   {"suite":"cpu","case":"vae_train","metric":"images/s","ours":X,"peer":Y,
 *    "peer_name":"pytorch-cpu-tuned","ratio":X/Y}
 * stderr: progress, the peak memory of vae_train (RSS and wasm memory) and its growth over the
 * timed steps, and with `--profile` the time per backend kernel.
 * Run: `deno run -A bench/cpu.ts [--profile] [--memory-steps N] [--skip-peer]`.
 */
import { createWasmCpuBackend, type WasmCpuBackend } from "../wasm/cpu_backend.ts";
import { ConvAutoencoder } from "../engine/models/conv_vae.ts";
import { Linear } from "../engine/nn/layers.ts";
import { Init, Module } from "../engine/nn/module.ts";
import * as ops from "../engine/ops/mod.ts";
import { RandomStream } from "../engine/ops/random.ts";
import { Adam } from "../engine/optim.ts";
import { Rng } from "../engine/random.ts";
import { backward, keep, noGrad, Tensor, tidy } from "../engine/tensor.ts";

const THREADS = 2;
const ROUNDS = 3;
const BUDGET_S = 3;
const PYTHON = "/usr/bin/python3";
const TORCH_SCRIPT = new URL("./_torch_cpu.py", import.meta.url).pathname;
/** VP-SDE β range of the DSM case (Song et al.'s defaults). */
const B0 = 0.1, B1 = 20;

/** The score MLP: [z, sinusoidal(1000·t)] → 512 → 512 → 512 → D with SiLU. */
class BenchScoreMlp extends Module {
  readonly l1: Linear;
  readonly l2: Linear;
  readonly l3: Linear;
  readonly l4: Linear;
  constructor(init: Init, readonly dim = 320, readonly temb = 128, width = 512) {
    super();
    this.l1 = this.child("l1", new Linear(init, dim + temb, width));
    this.l2 = this.child("l2", new Linear(init, width, width));
    this.l3 = this.child("l3", new Linear(init, width, width));
    this.l4 = this.child("l4", new Linear(init, width, dim));
  }
  forward(z: Tensor, t: Tensor): Tensor {
    const e = ops.timeEmbedding(t, this.temb, 10000, 1000);
    let h = ops.concat([z, e], 1);
    h = ops.silu(this.l1.forward(h));
    h = ops.silu(this.l2.forward(h));
    h = ops.silu(this.l3.forward(h));
    return this.l4.forward(h);
  }
}

/** Per-round rates (units per second): warm-up, then rounds of `steps` steps or BUDGET_S. */
function rates(step: () => void, perStep: number, warmup: number, steps: number): number[] {
  let t0 = performance.now();
  for (let i = 0; i < warmup && performance.now() - t0 < BUDGET_S * 1000; i++) step();
  const out: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    t0 = performance.now();
    let k = 0;
    while (k < steps && (k === 0 || performance.now() - t0 < BUDGET_S * 1000)) {
      step();
      k++;
    }
    out.push(perStep * k / ((performance.now() - t0) / 1000));
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function randomData(n: number, seed: number, normal: boolean): Float32Array {
  const rng = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = normal ? rng.normal() : rng.uniform();
  return a;
}

/** Wraps every kernel of `be` to accumulate wall time per kernel name. */
function profileKernels(be: WasmCpuBackend): Map<string, { ms: number; calls: number }> {
  const stats = new Map<string, { ms: number; calls: number }>();
  const proto = Object.getPrototypeOf(be);
  const skip = new Set(["constructor", "alloc", "free", "write", "read", "readSync", "flush"]);
  for (const name of Object.getOwnPropertyNames(proto)) {
    const desc = Object.getOwnPropertyDescriptor(proto, name);
    if (skip.has(name) || typeof desc?.value !== "function") continue;
    const f = desc.value as (...a: unknown[]) => unknown;
    const rec = { ms: 0, calls: 0 };
    stats.set(name, rec);
    Object.defineProperty(be, name, {
      value: (...a: unknown[]) => {
        const t0 = performance.now();
        const r = f.apply(be, a);
        rec.ms += performance.now() - t0;
        rec.calls++;
        return r;
      },
    });
  }
  return stats;
}

function printProfile(label: string, stats: Map<string, { ms: number; calls: number }>): void {
  const total = [...stats.values()].reduce((s, v) => s + v.ms, 0);
  const rows = [...stats].filter(([, v]) => v.calls > 0).sort((a, b) => b[1].ms - a[1].ms);
  console.error(`profile ${label}: ${total.toFixed(0)} ms in kernels`);
  for (const [k, v] of rows) {
    console.error(
      `  ${k.padEnd(20)} ${v.ms.toFixed(1).padStart(9)} ms ${(100 * v.ms / total).toFixed(1)}% ` +
        `${v.calls} calls`,
    );
  }
}

interface CaseResult {
  case: string;
  metric: string;
  value: number;
}

/** Ours: every case on a fresh 2-thread backend. */
async function runOurs(opts: { profile: boolean; memorySteps: number }): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  // vae_train
  {
    const be = await createWasmCpuBackend({ threads: THREADS });
    const stats = opts.profile ? profileKernels(be) : null;
    const model = new ConvAutoencoder(new Init(be, 0), [3, 28, 28], [32, 64, 128], {
      variant: "vae",
      latent: 64,
      likelihood: "bernoulli",
      beta: 1,
      aeNoise: 0,
      aeZWeight: 0,
    });
    const params = model.parameters();
    const opt = new Adam(params, { lr: 1e-3 });
    const x = keep(Tensor.from(be, randomData(128 * 3 * 28 * 28, 1, false), [128, 3, 28, 28]));
    const noise = new RandomStream(2);
    let steps = 0, peakRss = 0, peakWasm = 0;
    const mem: { step: number; rss: number; wasm: number; live: number }[] = [];
    const sample = () => {
      const rss = Deno.memoryUsage().rss;
      peakRss = Math.max(peakRss, rss);
      peakWasm = Math.max(peakWasm, be.memoryBytes);
      if (steps === 5 || steps % 50 === 0) {
        mem.push({ step: steps, rss, wasm: be.memoryBytes, live: be.bytesInUse });
      }
    };
    const step = () => {
      tidy(() => backward(model.loss(x, noise).loss, params));
      opt.update();
      steps++;
      sample();
    };
    const r = rates(step, 128, 3, 20);
    out.push({ case: "vae_train", metric: "images/s", value: median(r) });
    console.error(`ours vae_train rounds ${r.map((v) => v.toFixed(1)).join(", ")} images/s`);
    for (let i = steps; i < opts.memorySteps; i++) step();
    mem.push({
      step: steps,
      rss: Deno.memoryUsage().rss,
      wasm: be.memoryBytes,
      live: be.bytesInUse,
    });
    const first = mem[0], last = mem[mem.length - 1];
    console.error(JSON.stringify({
      suite: "cpu",
      case: "vae_train_memory",
      steps,
      peak_rss_bytes: peakRss,
      peak_wasm_memory_bytes: peakWasm,
      rss_growth_bytes: last.rss - first.rss,
      wasm_growth_bytes: last.wasm - first.wasm,
      live_buffer_growth_bytes: last.live - first.live,
      samples: mem,
    }));
    if (stats) printProfile("vae_train", stats);
    be.destroy();
  }
  // dsm_train and langevin share the network definition.
  {
    const be = await createWasmCpuBackend({ threads: THREADS });
    const stats = opts.profile ? profileKernels(be) : null;
    const net = new BenchScoreMlp(new Init(be, 0));
    const params = net.parameters();
    const opt = new Adam(params, { lr: 1e-3 });
    const z0 = keep(Tensor.from(be, randomData(256 * 320, 3, true), [256, 320]));
    const noise = new RandomStream(4);
    const step = () => {
      tidy(() => {
        const t = ops.affine(noise.uniform(be, [256, 1]), 1 - 1e-3, 1e-3); // (B, 1)
        const lmc = ops.add(
          ops.affine(ops.square(t), -0.25 * (B1 - B0), 0),
          ops.scale(t, -0.5 * B0),
        );
        const mean = ops.mul(ops.exp(lmc), z0);
        const std = ops.sqrt(ops.affine(ops.exp(ops.scale(lmc, 2)), -1, 1)); // (B, 1)
        const eps = noise.normal(be, [256, 320]);
        const s = net.forward(ops.add(mean, ops.mul(std, eps)), ops.reshape(t, [256]));
        const loss = ops.affine(ops.sumAll(ops.square(ops.add(ops.mul(s, std), eps))), 1 / 256, 0);
        backward(loss, params);
      });
      opt.update();
    };
    const r = rates(step, 256, 5, 60);
    out.push({ case: "dsm_train", metric: "samples/s", value: median(r) });
    console.error(`ours dsm_train rounds ${r.map((v) => v.toFixed(0)).join(", ")} samples/s`);
    if (stats) printProfile("dsm_train", stats);
    stats?.forEach((v) => (v.ms = 0, v.calls = 0));

    const z = keep(Tensor.from(be, randomData(1000 * 320, 5, true), [1000, 320]));
    const t = keep(Tensor.full(be, [1000], 0.5));
    const h = 1e-3;
    const lstep = () =>
      noGrad(() =>
        tidy(() => {
          const s = net.forward(z, t);
          const e = noise.normal(be, [1000, 320]);
          be.sdeUpdate(z.buf, s.buf, e.buf, z.buf, z.size, { cz: 1, cs: h, cn: Math.sqrt(2 * h) });
        })
      );
    const rl = rates(lstep, 1, 3, 30);
    out.push({ case: "langevin", metric: "steps/s", value: median(rl) });
    console.error(`ours langevin rounds ${rl.map((v) => v.toFixed(1)).join(", ")} steps/s`);
    if (stats) printProfile("langevin", stats);
    be.destroy();
  }
  // matmul_1024
  {
    const be = await createWasmCpuBackend({ threads: THREADS });
    const n = 1024;
    const a = be.alloc(n * n), b = be.alloc(n * n), c = be.alloc(n * n);
    be.write(a, randomData(n * n, 6, true));
    be.write(b, randomData(n * n, 7, true));
    const spec = { m: n, k: n, n, transA: false, transB: false, accumulate: false };
    const r = rates(() => be.matmul(a, b, c, spec), 2 * n ** 3 / 1e9, 3, 20);
    out.push({ case: "matmul_1024", metric: "GFLOP/s", value: median(r) });
    console.error(`ours matmul_1024 rounds ${r.map((v) => v.toFixed(1)).join(", ")} GFLOP/s`);
    be.destroy();
  }
  return out;
}

const OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3";

/**
 * Installs python3-torch with apt-get when `import torch` fails, and OpenBLAS (libopenblas0) when
 * it is missing: without it Debian's torch falls back to the reference BLAS (about 2 GFLOP/s), far
 * from the PyTorch the numbers were measured with.
 */
async function ensureTorch(): Promise<void> {
  const probe = await new Deno.Command(PYTHON, { args: ["-c", "import torch"], stderr: "null" })
    .output().catch(() => null);
  const hasBlas = await Deno.stat(OPENBLAS).then(() => true, () => false);
  const pkgs = [...(probe?.success ? [] : ["python3-torch"]), ...(hasBlas ? [] : ["libopenblas0"])];
  if (pkgs.length === 0) return;
  console.error(`installing ${pkgs.join(" ")} with apt-get (once) ...`);
  const r = await new Deno.Command("apt-get", {
    args: ["install", "-y", ...pkgs],
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!r.success) {
    throw new Error(
      `Cannot run the PyTorch peer: apt-get install -y ${
        pkgs.join(" ")
      } failed: exit code is ${r.code}`,
    );
  }
}

/** Runs the PyTorch script with extra environment variables; returns its per-case medians. */
async function runTorch(env: Record<string, string>): Promise<CaseResult[]> {
  const r = await new Deno.Command(PYTHON, {
    args: [TORCH_SCRIPT, "--threads", String(THREADS), "--rounds", String(ROUNDS)],
    env,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!r.success) {
    throw new Error(`Cannot run the PyTorch peer with ${JSON.stringify(env)}: exit code ${r.code}`);
  }
  const lines = new TextDecoder().decode(r.stdout).trim().split("\n");
  return lines.map((l) => JSON.parse(l) as CaseResult);
}

/** Settings tried for "pytorch-cpu-tuned"; the best per case counts. */
const TUNED_ENVS: Record<string, string>[] = [
  { OPENBLAS_NUM_THREADS: "1" },
  { OMP_WAIT_POLICY: "PASSIVE" },
  { OPENBLAS_NUM_THREADS: "1", OMP_WAIT_POLICY: "PASSIVE" },
];

/** Runs every case for us and for both PyTorch peers and prints the JSON lines. */
export async function runCpuBench(
  opts: { profile?: boolean; memorySteps?: number; skipPeer?: boolean } = {},
): Promise<void> {
  console.error(
    `cpu bench: ${navigator.hardwareConcurrency} cores, load average ${
      Deno.loadavg().map((v) => v.toFixed(2)).join(" ")
    }`,
  );
  const ours = await runOurs({
    profile: opts.profile ?? false,
    memorySteps: opts.memorySteps ?? 0,
  });
  if (opts.skipPeer) {
    for (const o of ours) {
      console.log(JSON.stringify({ suite: "cpu", case: o.case, metric: o.metric, ours: o.value }));
    }
    return;
  }
  await ensureTorch();
  const installed = await runTorch({});
  console.error(`pytorch as installed: ${JSON.stringify(installed.map((c) => c.value))}`);
  const tuned = new Map<string, { value: number; env: string }>();
  for (const env of TUNED_ENVS) {
    const res = await runTorch(env);
    console.error(`pytorch ${JSON.stringify(env)}: ${JSON.stringify(res.map((c) => c.value))}`);
    for (const c of res) {
      const prev = tuned.get(c.case);
      if (!prev || c.value > prev.value) {
        tuned.set(c.case, { value: c.value, env: JSON.stringify(env) });
      }
    }
  }
  for (const o of ours) {
    const peers: [string, number, string?][] = [
      ["pytorch-cpu", installed.find((c) => c.case === o.case)!.value],
      ["pytorch-cpu-tuned", tuned.get(o.case)!.value, tuned.get(o.case)!.env],
    ];
    for (const [name, peer, env] of peers) {
      console.log(JSON.stringify({
        suite: "cpu",
        case: o.case,
        metric: o.metric,
        ours: o.value,
        peer,
        peer_name: name,
        ratio: o.value / peer,
        ...(env ? { peer_env: JSON.parse(env) } : {}),
      }));
    }
  }
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--memory-steps");
  await runCpuBench({
    profile: Deno.args.includes("--profile"),
    memorySteps: i >= 0 ? Number(Deno.args[i + 1]) : 0,
    skipPeer: Deno.args.includes("--skip-peer"),
  });
}
