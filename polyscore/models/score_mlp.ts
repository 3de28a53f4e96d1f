/**
 * A residual-MLP noise-conditional score network s_θ(z, t) for z ∈ R^D, the joint score prior of
 * SBM-AE/SBM-SRR over (flat) latents. Not the official U-Net (the issue allows an MLP; the
 * calibration run used a residual MLP of width 256 × 4 blocks).
 *
 * Layout (DDPM-style residual blocks, pre-norm):
 *   h = Linear(D→W) z
 *   e = Linear(T→T) SiLU(Linear(E→T) sinusoidal_E(timeScale·t))        (shared time MLP)
 *   for each block: h = h + Linear(W→W) SiLU(Linear(W→W) LN(h) + Linear(T→W) SiLU(e))
 *   out = Linear(W→D) SiLU(LN(h))
 * With `timeInputs` K > 1 (MLD-style masked conditioning: one diffusion time per modality) the
 * network takes t (B, K): each t_k is embedded alike and the K embeddings, side by side (B, K·E),
 * feed the time MLP; K = 1 is the network above, unchanged parameter for parameter.
 * Output "noise" (default): s = −out/σ(t) (the network predicts ε, Song et al.'s `scale_by_sigma`);
 * "score": s = out (the official code's parametrisation). On toy problems, no clear winner: on a
 * D = 32 Gaussian (width 128 × 2 blocks, 1500 steps) the excess DSM loss over the exact score was
 * 0.0042 / 0.0040 ("noise", β 1→5 / 0.1→20) against 0.0049 / 0.0045 ("score"), with equal sample
 * moments; on the 2-D mixture of `polyscore/sde/mixture_test.ts` (3 seeds) the energy distance was
 * 0.003–0.014 for both at β 0.1→20, but 0.012–0.022 ("noise") against 0.003–0.005 ("score") at
 * β 1→5, where 1/σ(t) amplifies the network's error near t = 0. On real latents (quick's SBM-AE
 * prior, β 1→5, paired on the same autoencoders) "noise" gained +0.006 to +0.021 at every given
 * count at 6,000 and 9,000 steps, two of eight CIs excluding 0, so quick uses it (README, "Coherence
 * at quick").
 */
import { add, affine, concat, div, reshape, silu, timeEmbedding } from "../../engine/ops/mod.ts";
import { LayerNorm, Linear } from "../../engine/nn/layers.ts";
import { type Init, Module } from "../../engine/nn/module.ts";
import type { ScoreFn } from "../sde/score_fn.ts";
import type { VpSde } from "../sde/vpsde.ts";
import { fmtShape, Tensor } from "../../engine/tensor.ts";

/** Sizes and parametrisation of a `ScoreMlp`. */
export interface ScoreMlpConfig {
  /** D, the number of coordinates. */
  dim: number;
  /** W, the hidden width. Default 256. */
  width?: number;
  /** Number of residual blocks. Default 4. */
  blocks?: number;
  /** E, the sinusoidal time-embedding size (even). Default 64. */
  timeEmbedDim?: number;
  /**
   * T, the width of the shared time MLP and of each block's time projection (T→W). Default W.
   * A narrower T (e.g. 64) cuts each block's cost from 3W² to 2W² + TW multiply-adds per row.
   */
  timeWidth?: number;
  /** t is embedded as sinusoidal(timeScale·t); 1000 spreads t ∈ (0, 1] over the DDPM step range. */
  timeScale?: number;
  /** "noise" (default): s = −out/σ(t), needs `sde`; "score": s = out. */
  output?: "noise" | "score";
  /** The SDE whose σ(t) scales the output (required for output "noise"). */
  sde?: VpSde;
  /**
   * K, the number of time inputs (one per modality for masked conditioning). Default 1. With
   * K > 1, t may be (B, K) or (B) (the same time for every block); output must be "score".
   */
  timeInputs?: number;
}

/** One pre-norm residual block with an additive time projection. */
class ResBlock extends Module {
  readonly norm: LayerNorm;
  readonly fc1: Linear;
  readonly time: Linear;
  readonly fc2: Linear;
  constructor(init: Init, width: number, timeWidth: number) {
    super();
    this.norm = this.child("norm", new LayerNorm(init, width));
    this.fc1 = this.child("fc1", new Linear(init, width, width));
    this.time = this.child("time", new Linear(init, timeWidth, width));
    this.fc2 = this.child("fc2", new Linear(init, width, width));
  }
  /** h (B, W), et = SiLU(e) (B, T) → (B, W). */
  forward(h: Tensor, et: Tensor): Tensor {
    const x = add(this.fc1.forward(this.norm.forward(h)), this.time.forward(et));
    return add(h, this.fc2.forward(silu(x)));
  }
}

/**
 * Residual MLP score network; implements `ScoreFn`. Parameter names are stable dotted paths
 * ("blocks.0.fc1.weight") for safetensors checkpoints.
 *
 * @example
 * ```ts
 * import { ReferenceBackend } from "../../engine/reference/backend.ts";
 * import { Init } from "../../engine/nn/module.ts";
 * import { Tensor } from "../../engine/tensor.ts";
 * import { VpSde } from "../sde/vpsde.ts";
 * import { ScoreMlp } from "./score_mlp.ts";
 * const be = new ReferenceBackend();
 * const net = new ScoreMlp(new Init(be, 0), { dim: 2, width: 8, blocks: 1, timeEmbedDim: 4, sde: new VpSde() });
 * const s = net.score(Tensor.full(be, [3, 2], 0.5), Tensor.full(be, [3], 0.3)); // (3, 2)
 * ```
 */
export class ScoreMlp extends Module implements ScoreFn {
  readonly dim: number;
  readonly width: number;
  readonly timeEmbedDim: number;
  readonly timeScale: number;
  readonly timeInputs: number;
  readonly output: "noise" | "score";
  readonly sde: VpSde | null;
  readonly inProj: Linear;
  readonly time1: Linear;
  readonly time2: Linear;
  readonly blocks: ResBlock[];
  readonly outNorm: LayerNorm;
  readonly outProj: Linear;

  constructor(init: Init, cfg: ScoreMlpConfig) {
    super();
    const width = cfg.width ?? 256, nBlocks = cfg.blocks ?? 4, e = cfg.timeEmbedDim ?? 64;
    const checkInt = (name: string, v: number, min: number) => {
      if (!Number.isInteger(v) || v < min) {
        throw new RangeError(
          `Cannot create ScoreMlp: ${name} must be an integer >= ${min}: current value is ${v}`,
        );
      }
    };
    checkInt("dim", cfg.dim, 1);
    checkInt("width", width, 1);
    checkInt("blocks", nBlocks, 0);
    checkInt("timeEmbedDim", e, 2);
    if (e % 2 !== 0) {
      throw new RangeError(
        `Cannot create ScoreMlp: timeEmbedDim must be even: current value is ${e}`,
      );
    }
    this.output = cfg.output ?? "noise";
    if (this.output !== "noise" && this.output !== "score") {
      throw new RangeError(
        `Cannot create ScoreMlp: output must be "noise" or "score": current value is ${this.output}`,
      );
    }
    if (this.output === "noise" && !cfg.sde) {
      throw new TypeError(
        'Cannot create ScoreMlp: output "noise" needs the sde for σ(t): sde is missing',
      );
    }
    this.timeScale = cfg.timeScale ?? 1000;
    if (!(this.timeScale > 0) || !Number.isFinite(this.timeScale)) {
      throw new RangeError(
        `Cannot create ScoreMlp: timeScale must be > 0: current value is ${this.timeScale}`,
      );
    }
    this.timeInputs = cfg.timeInputs ?? 1;
    checkInt("timeInputs", this.timeInputs, 1);
    if (this.timeInputs > 1 && this.output !== "score") {
      throw new RangeError(
        `Cannot create ScoreMlp: ${this.timeInputs} time inputs need output "score" (σ(0) = 0 on clean blocks): current value is "${this.output}"`,
      );
    }
    this.dim = cfg.dim;
    this.width = width;
    this.timeEmbedDim = e;
    this.sde = cfg.sde ?? null;
    this.inProj = this.child("in_proj", new Linear(init, cfg.dim, width));
    const tw = cfg.timeWidth ?? width;
    checkInt("timeWidth", tw, 1);
    this.time1 = this.child("time1", new Linear(init, e * this.timeInputs, tw));
    this.time2 = this.child("time2", new Linear(init, tw, tw));
    this.blocks = Array.from(
      { length: nBlocks },
      (_, i) => this.child(`blocks.${i}`, new ResBlock(init, width, tw)),
    );
    this.outNorm = this.child("out_norm", new LayerNorm(init, width));
    this.outProj = this.child("out_proj", new Linear(init, width, cfg.dim));
  }

  /**
   * The raw network output (B, D) before the σ(t) scaling: ε̂ for "noise", s for "score". t is (B),
   * or (B, K) per-block times when the network has K = `timeInputs` > 1.
   */
  forward(z: Tensor, t: Tensor): Tensor {
    const b = z.shape[0], k = this.timeInputs;
    if (z.rank !== 2 || z.shape[1] !== this.dim || (t.size !== b && t.size !== b * k)) {
      throw new TypeError(
        `Cannot run ScoreMlp: expected z (B, ${this.dim}) and t (B)${
          k > 1 ? ` or (B, ${k})` : ""
        }: current shapes are z ${fmtShape(z.shape)}, t ${fmtShape(t.shape)}`,
      );
    }
    let emb = timeEmbedding(reshape(t, [t.size]), this.timeEmbedDim, 10000, this.timeScale);
    if (k > 1) {
      // (B·K, E) → (B, K·E); a shared time (B) is repeated for every block.
      const per = t.size === b ? concat(Array.from({ length: k }, () => emb), -1) : emb;
      emb = reshape(per, [b, k * this.timeEmbedDim]);
    }
    const e = silu(this.time2.forward(silu(this.time1.forward(emb)))); // (B, T)
    let h = this.inProj.forward(z);
    for (const b of this.blocks) h = b.forward(h, e);
    return this.outProj.forward(silu(this.outNorm.forward(h)));
  }

  score(z: Tensor, t: Tensor): Tensor {
    const out = this.forward(z, t);
    if (this.output === "score") return out;
    const { sigma } = this.sde!.marginalCoefficients(t); // (B, 1)
    return div(out, affine(sigma, -1, 0));
  }
}
