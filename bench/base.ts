/**
 * Base benchmark: this checkout's Wasm CPU kernels against another checkout's (`--base DIR`, for
 * example `git worktree add /tmp/base HEAD~1`), in one process. Cases: quick's autoencoder step
 * (conv β-VAE 3 → 16 → 32 → 64, latent 32, Gaussian likelihood, batch 64, on one thread as in the
 * modality workers) and quick's prior step (score MLP 160 → 256 × 4 blocks, noise output, batch
 * 256, denoising score matching, on two threads). Each side builds the same model from its own tree
 * (same initialisation seed, data and noise streams); rounds of `STEPS` steps alternate between the
 * sides, the order flipped every round, so a VM whose speed drifts by ±30% within minutes slows
 * both alike; a side's time is its median over rounds, the ratio the median of the rounds' paired
 * ratios. After the rounds both sides have taken the same steps and their parameters are compared
 * bit for bit: a kernel change meant to leave every result unchanged proves it here
 * (`bitwise_equal`), and one that is not must say why.
 *
 * stdout: one JSON line per case,
 *   {"suite":"base","case":"ae_step 1 thread","metric":"ms/step","ours":X,"peer":Y,
 *    "peer_name":"base 22bf32c","ratio":Y/X,"ratio_range":[lo,hi],"bitwise_equal":true}
 * Run: `deno task bench base --base DIR [--rounds N] [--cases ae,prior]`.
 */
const STEPS = 5;
const WARMUP = 3;

interface Side {
  step(): void;
  /** The parameters' bits, concatenated. */
  bits(): Uint32Array;
  destroy(): void;
}

/** Builds `which` step of quick from the tree at `root` (its own backend, models and engine). */
async function buildSide(root: string, which: "ae" | "prior"): Promise<Side> {
  const rootUrl = `file://${root.split("/").map(encodeURIComponent).join("/")}/`;
  const url = (p: string) => new URL(p, rootUrl).href;
  const imp = async (p: string) => {
    try {
      return await import(url(p));
    } catch (e) {
      throw new Error(
        `Cannot load ${p} from ${root}: ${(e as Error).message} (--base must be a checkout of ` +
          `polyscore whose API this benchmark can drive)`,
      );
    }
  };
  const { createWasmCpuBackend } = await imp("wasm/cpu/mod.ts");
  const { Init } = await imp("engine/nn/module.ts");
  const { RandomStream } = await imp("engine/ops/random.ts");
  const { Adam } = await imp("engine/optim.ts");
  const { backward, keep, Tensor, tidy } = await imp("engine/tensor.ts");
  const be = await createWasmCpuBackend({ threads: which === "ae" ? 1 : 2 });
  let params: { buf: unknown }[];
  let step: () => void;
  if (which === "ae") {
    const { ConvAutoencoder, autoencoderLoss } = await imp("polyscore/models/conv_vae.ts");
    const model = new ConvAutoencoder(new Init(be, 5), [3, 28, 28], [16, 32, 64], {
      variant: "vae",
      latent: 32,
      likelihood: "gaussian",
      beta: 0.1,
      aeNoise: 0.01,
      aeZWeight: 1e-5,
    });
    params = model.parameters();
    const opt = new Adam(params, { lr: 2e-3, maxGradNorm: 100 });
    const x = keep(
      Tensor.from(
        be,
        Float32Array.from({ length: 64 * 3 * 28 * 28 }, (_, i) => 0.5 + 0.5 * Math.sin(i * 0.37)),
        [64, 3, 28, 28],
      ),
    );
    const noise = new RandomStream(2);
    step = () =>
      tidy(() => {
        backward(autoencoderLoss(model, x, noise).loss, params);
        opt.update();
      });
  } else {
    const { ScoreMlp } = await imp("polyscore/models/score_mlp.ts");
    const { VpSde } = await imp("polyscore/sde/vpsde.ts");
    const { dsmLoss } = await imp("polyscore/sde/dsm.ts");
    const sde = new VpSde({ beta0: 1, beta1: 5 });
    const model = new ScoreMlp(new Init(be, 3), {
      dim: 160,
      width: 256,
      blocks: 4,
      timeEmbedDim: 64,
      timeWidth: 64,
      output: "noise",
      sde,
    });
    params = model.parameters();
    const opt = new Adam(params, { lr: 1e-3, maxGradNorm: 1 });
    const z = keep(
      Tensor.from(be, Float32Array.from({ length: 256 * 160 }, (_, i) => Math.sin(i * 0.37)), [
        256,
        160,
      ]),
    );
    const noise = new RandomStream(17);
    step = () =>
      tidy(() => {
        backward(dsmLoss(model, sde, z, noise), params);
        opt.update();
      });
  }
  return {
    step: () => {
      step();
      be.flush?.();
    },
    bits: () => {
      const parts = params.map((p) => be.readSync(p.buf) as Float32Array);
      const out = new Uint32Array(parts.reduce((s, a) => s + a.length, 0));
      let o = 0;
      for (const a of parts) {
        out.set(new Uint32Array(a.buffer, a.byteOffset, a.length), o);
        o += a.length;
      }
      return out;
    },
    destroy: () => be.destroy(),
  };
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** The short commit of the checkout at `dir`, or its path when git cannot say. */
async function describe(dir: string): Promise<string> {
  try {
    const out = await new Deno.Command("git", { args: ["-C", dir, "rev-parse", "--short", "HEAD"] })
      .output();
    if (out.success) return new TextDecoder().decode(out.stdout).trim();
  } catch { /* git missing: fall through */ }
  return dir;
}

/** Parses the suite's flags; throws naming the bad one. */
function parseFlags(flags: string[]): { base: string; rounds: number; cases: ("ae" | "prior")[] } {
  let base = "", rounds = 16;
  let cases: ("ae" | "prior")[] = ["ae", "prior"];
  for (let i = 0; i < flags.length; i++) {
    const [k, v] = [flags[i], flags[i + 1]];
    if (k === "--base" && v) base = v, i++;
    else if (k === "--rounds" && v && Number.isInteger(+v) && +v >= 2) rounds = +v, i++;
    else if (k === "--cases" && v && v.split(",").every((c) => c === "ae" || c === "prior")) {
      cases = v.split(",") as ("ae" | "prior")[];
      i++;
    } else {
      throw new Error(
        `bench base: bad flag ${k}${v ? " " + v : ""}: flags are --base DIR (a checkout of ` +
          `another commit), --rounds N (an integer ≥ 2), --cases ae,prior`,
      );
    }
  }
  if (!base) {
    throw new Error(
      "bench base: --base DIR is required: a checkout of the commit to compare with, e.g. " +
        "`git worktree add /tmp/base HEAD~1`, then `deno task bench base --base /tmp/base`",
    );
  }
  try {
    Deno.statSync(`${base}/wasm/lib/cpu.wasm`);
  } catch {
    throw new Error(
      `bench base: ${base}/wasm/lib/cpu.wasm not found: --base must be a polyscore checkout`,
    );
  }
  return { base: Deno.realPathSync(base), rounds, cases };
}

/** One case's result, as printed. */
export interface BaseCase {
  suite: "base";
  case: string;
  metric: "ms/step";
  ours: number;
  peer: number;
  peer_name: string;
  ratio: number;
  ratio_range: [number, number];
  bitwise_equal: boolean;
}

/** Times each case on both trees; prints one JSON line per case. */
export async function runBaseBench(flags: string[]): Promise<void> {
  for (const c of await measureBase(flags)) console.log(JSON.stringify(c));
}

/** Times each case on both trees (see the module's comment); returns one record per case. */
export async function measureBase(flags: string[]): Promise<BaseCase[]> {
  const { base, rounds, cases } = parseFlags(flags);
  const out: BaseCase[] = [];
  const here = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
  const peerName = `base ${await describe(base)}`;
  for (const which of cases) {
    const sides = [await buildSide(here, which), await buildSide(base, which)];
    try {
      for (const s of sides) for (let i = 0; i < WARMUP; i++) s.step();
      const times: number[][] = [[], []];
      for (let r = 0; r < rounds; r++) {
        console.error(`base bench: ${which} round ${r + 1}/${rounds}`);
        for (const k of r % 2 ? [1, 0] : [0, 1]) {
          const t0 = performance.now();
          for (let i = 0; i < STEPS; i++) sides[k].step();
          times[k].push((performance.now() - t0) / STEPS);
        }
      }
      const [a, b] = sides.map((s) => s.bits());
      const equal = a.length === b.length && a.every((v, i) => v === b[i]);
      const ratios = times[1].map((t, i) => t / times[0][i]).sort((x, y) => x - y);
      out.push({
        suite: "base",
        case: which === "ae" ? "ae_step 1 thread" : "prior_step 2 threads",
        metric: "ms/step",
        ours: +median(times[0]).toFixed(2),
        peer: +median(times[1]).toFixed(2),
        peer_name: peerName,
        ratio: +median(ratios).toFixed(3),
        ratio_range: [+ratios[0].toFixed(3), +ratios[ratios.length - 1].toFixed(3)],
        bitwise_equal: equal,
      });
    } finally {
      sides.forEach((s) => s.destroy());
    }
  }
  return out;
}

if (import.meta.main) await runBaseBench(Deno.args);
