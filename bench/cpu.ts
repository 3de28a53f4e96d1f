/**
 * CPU benchmark: the Wasm CPU backend (`wasm/cpu/backend.ts`) against PyTorch CPU (Debian's
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
 * 3 rounds; a round is N steps or 3 s, whichever ends first. The PyTorch settings run as
 * long-lived processes and every round of ours is followed by one round of each of them, so the
 * contenders see the same load on a shared machine.
 *
 * stdout: one JSON line per case and peer,
 *   {"suite":"cpu","case":"vae_train","metric":"images/s","ours":X,"peer":Y,
 *    "peer_name":"pytorch-cpu-tuned","ratio":X/Y}
 * stderr: progress, the peak memory of vae_train (RSS and wasm memory) and its growth over the
 * timed steps, and with `--profile` the time per backend kernel.
 * Run: `deno run -A bench/cpu.ts [--profile] [--memory-steps N] [--skip-peer] [--cases a,b]`.
 */
import { createWasmCpuBackend, type WasmCpuBackend } from "../wasm/cpu/mod.ts";
import { ConvAutoencoder } from "../polyscore/models/conv_vae.ts";
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

/** One timed round: `steps` steps or BUDGET_S seconds, whichever ends first (at least one). */
function oneRound(step: () => void, perStep: number, steps: number): number {
  const t0 = performance.now();
  let k = 0;
  while (k < steps && (k === 0 || performance.now() - t0 < BUDGET_S * 1000)) {
    step();
    k++;
  }
  return perStep * k / ((performance.now() - t0) / 1000);
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

/** One benchmark case of ours, ready to time. */
interface OurCase {
  name: string;
  metric: string;
  perStep: number;
  steps: number;
  step: () => void;
  /** Prints the memory/profile report and frees everything. */
  finish: () => void;
}

const CASES = ["vae_train", "dsm_train", "langevin", "matmul_1024"] as const;

/** Builds and warms up one case of ours on a fresh 2-thread backend. */
async function makeOurCase(
  name: typeof CASES[number],
  opts: { profile: boolean; memorySteps: number },
): Promise<OurCase> {
  const be = await createWasmCpuBackend({ threads: THREADS });
  const stats = opts.profile ? profileKernels(be) : null;
  const report = () => {
    if (stats) printProfile(name, stats);
    be.destroy();
  };
  let c: OurCase;
  if (name === "vae_train") {
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
    const step = () => {
      tidy(() => backward(model.loss(x, noise).loss, params));
      opt.update();
      steps++;
      const rss = Deno.memoryUsage().rss;
      peakRss = Math.max(peakRss, rss);
      peakWasm = Math.max(peakWasm, be.memoryBytes);
      if (steps === 5 || steps % 100 === 0) {
        mem.push({ step: steps, rss, wasm: be.memoryBytes, live: be.bytesInUse });
      }
    };
    c = {
      name,
      metric: "images/s",
      perStep: 128,
      steps: 20,
      step,
      finish: () => {
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
        report();
      },
    };
  } else if (name === "dsm_train" || name === "langevin") {
    const net = new BenchScoreMlp(new Init(be, 0));
    const noise = new RandomStream(4);
    if (name === "dsm_train") {
      const params = net.parameters();
      const opt = new Adam(params, { lr: 1e-3 });
      const z0 = keep(Tensor.from(be, randomData(256 * 320, 3, true), [256, 320]));
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
          const loss = ops.affine(
            ops.sumAll(ops.square(ops.add(ops.mul(s, std), eps))),
            1 / 256,
            0,
          );
          backward(loss, params);
        });
        opt.update();
      };
      c = { name, metric: "samples/s", perStep: 256, steps: 60, step, finish: report };
    } else {
      const z = keep(Tensor.from(be, randomData(1000 * 320, 5, true), [1000, 320]));
      const t = keep(Tensor.full(be, [1000], 0.5));
      const h = 1e-3;
      const step = () =>
        noGrad(() =>
          tidy(() => {
            const s = net.forward(z, t);
            const e = noise.normal(be, [1000, 320]);
            be.sdeUpdate({ z: z.buf, s: s.buf, noise: e.buf, out: z.buf }, {
              n: z.size,
              cz: 1,
              cs: h,
              cn: Math.sqrt(2 * h),
            });
          })
        );
      c = { name, metric: "steps/s", perStep: 1, steps: 30, step, finish: report };
    }
  } else {
    const n = 1024;
    const a = be.alloc(n * n), b = be.alloc(n * n), out = be.alloc(n * n);
    be.write(a, randomData(n * n, 6, true));
    be.write(b, randomData(n * n, 7, true));
    const spec = { m: n, k: n, n, transA: false, transB: false, accumulate: false };
    c = {
      name,
      metric: "GFLOP/s",
      perStep: 2 * n ** 3 / 1e9,
      steps: 20,
      step: () => be.matmul({ a, b, out }, spec),
      finish: report,
    };
  }
  const t0 = performance.now();
  for (let i = 0; i < 3 && performance.now() - t0 < BUDGET_S * 1000; i++) c.step();
  if (stats) stats.forEach((v) => (v.ms = 0, v.calls = 0));
  return c;
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

/** A long-lived PyTorch peer process (`_torch_cpu.py --serve`) with its environment. */
class TorchPeer {
  readonly #proc: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;

  constructor(readonly env: Record<string, string>) {
    this.#proc = new Deno.Command(PYTHON, {
      args: [TORCH_SCRIPT, "--serve", "--threads", String(THREADS), "--budget", String(BUDGET_S)],
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.#proc.stdin.getWriter();
    this.#lines = readLines(this.#proc.stdout)[Symbol.asyncIterator]();
  }

  async #line(): Promise<string> {
    const r = await this.#lines.next();
    if (r.done) {
      throw new Error(`Cannot run the PyTorch peer with ${JSON.stringify(this.env)}: it exited`);
    }
    return r.value;
  }

  /** Waits until the process has imported torch. */
  async ready(): Promise<void> {
    await this.#line();
  }

  /** One timed round of `name` (set up and warmed up on first use); returns its rate. */
  async round(name: string): Promise<number> {
    await this.#writer.write(new TextEncoder().encode(`round ${name}\n`));
    return (JSON.parse(await this.#line()) as CaseResult).value;
  }

  /** Asks the process to exit and waits for it. */
  async close(): Promise<void> {
    await this.#writer.write(new TextEncoder().encode("quit\n")).catch(() => {});
    await this.#writer.close().catch(() => {});
    while (!(await this.#lines.next()).done) { /* drain */ }
    await this.#proc.status;
  }
}

/** Splits a byte stream into lines. */
async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += dec.decode(chunk, { stream: true });
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
}

/** Settings tried for "pytorch-cpu-tuned"; the best per case counts. */
const TUNED_ENVS: Record<string, string>[] = [
  { OPENBLAS_NUM_THREADS: "1" },
  { OMP_WAIT_POLICY: "PASSIVE" },
  { OPENBLAS_NUM_THREADS: "1", OMP_WAIT_POLICY: "PASSIVE" },
];

/**
 * Runs every case for us and for the PyTorch peers and prints the JSON lines. Rounds interleave:
 * for each case and round, ours runs one round, then every PyTorch setting runs one, so all see
 * the same machine load (this machine is shared); each rate is the median of its rounds.
 */
export async function runCpuBench(
  opts: { profile?: boolean; memorySteps?: number; skipPeer?: boolean; cases?: string[] } = {},
): Promise<void> {
  const unknown = (opts.cases ?? []).filter((c) => !(CASES as readonly string[]).includes(c));
  if (unknown.length) {
    throw new RangeError(
      `Cannot run cpu bench: unknown case ${unknown.join(", ")}: known cases are ${
        CASES.join(", ")
      }`,
    );
  }
  console.error(
    `cpu bench: ${navigator.hardwareConcurrency} cores, load average ${
      Deno.loadavg().map((v) => v.toFixed(2)).join(" ")
    }`,
  );
  const peers: TorchPeer[] = [];
  if (!opts.skipPeer) {
    await ensureTorch();
    for (const env of [{}, ...TUNED_ENVS]) peers.push(new TorchPeer(env));
    await Promise.all(peers.map((p) => p.ready()));
  }
  try {
    for (const name of CASES) {
      if (opts.cases && !opts.cases.includes(name)) continue;
      const ours = await makeOurCase(name, {
        profile: opts.profile ?? false,
        memorySteps: opts.memorySteps ?? 0,
      });
      const oursRates: number[] = [];
      const peerRates: number[][] = peers.map(() => []);
      for (let r = 0; r < ROUNDS; r++) {
        oursRates.push(oneRound(ours.step, ours.perStep, ours.steps));
        for (let i = 0; i < peers.length; i++) peerRates[i].push(await peers[i].round(name));
      }
      ours.finish();
      const fmt = (xs: number[]) => xs.map((v) => v.toPrecision(4)).join(", ");
      console.error(`${name} ours: ${fmt(oursRates)} ${ours.metric}`);
      peers.forEach((p, i) =>
        console.error(`${name} pytorch ${JSON.stringify(p.env)}: ${fmt(peerRates[i])}`)
      );
      const value = median(oursRates);
      if (peers.length === 0) {
        console.log(JSON.stringify({ suite: "cpu", case: name, metric: ours.metric, ours: value }));
        continue;
      }
      const meds = peerRates.map(median);
      let best = 1;
      for (let i = 2; i < meds.length; i++) if (meds[i] > meds[best]) best = i;
      const lines: [string, number, Record<string, string>][] = [
        ["pytorch-cpu", meds[0], peers[0].env],
        ["pytorch-cpu-tuned", meds[best], peers[best].env],
      ];
      for (const [peerName, peer, env] of lines) {
        console.log(JSON.stringify({
          suite: "cpu",
          case: name,
          metric: ours.metric,
          ours: value,
          peer,
          peer_name: peerName,
          ratio: value / peer,
          peer_env: env,
        }));
      }
    }
  } finally {
    await Promise.all(peers.map((p) => p.close().catch(() => {})));
  }
}

if (import.meta.main) {
  const arg = (flag: string) => {
    const i = Deno.args.indexOf(flag);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  await runCpuBench({
    profile: Deno.args.includes("--profile"),
    memorySteps: Number(arg("--memory-steps") ?? 0),
    skipPeer: Deno.args.includes("--skip-peer"),
    cases: arg("--cases")?.split(","),
  });
}
