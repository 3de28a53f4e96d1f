/**
 * Test fixture: a tiny joint model on the reference backend (f64) with linear encoders and
 * decoders, and the same model evaluated in plain JavaScript arithmetic, so the objectives can be
 * checked against values computed without the engine.
 */
import * as ops from "../../../engine/ops/mod.ts";
import type { ReferenceBackend } from "../../../engine/reference/backend.ts";
import { Tensor } from "../../../engine/tensor.ts";
import { randomArray } from "../../../engine/testing.ts";
import type { Gaussian } from "./experts.ts";
import { bernoulliLogLik, laplaceLogLik } from "./likelihood.ts";
import type { JointModel } from "./networks.ts";
import { refData } from "./_gradcheck.ts";

/** Modality 0: 3 values in (0, 1), Laplace; modality 1: 2 binary values, Bernoulli. */
export const DIMS = [3, 2];
export const LATENT = 2;
export const SCALE = 0.75;

/** A linear joint model: μ, log σ² = x·Wᵀ + b per modality; logits = z·Vᵀ + c. */
export class TinyModel implements JointModel {
  readonly modalities = DIMS.length;
  readonly latent = LATENT;
  /** Per modality: [Wμ, bμ, Wlv, blv, V, c]. */
  readonly params: Tensor[][];
  constructor(be: ReferenceBackend, seed: number) {
    this.params = DIMS.map((n, m) => {
      const s = seed + 10 * m;
      const t = (shape: number[], k: number, amp: number) =>
        Tensor.from(be, randomArray(shape[0] * (shape[1] ?? 1), s + k, -amp, amp), shape)
          .requireGrad();
      return [
        t([LATENT, n], 1, 1),
        t([LATENT], 2, 0.5),
        t([LATENT, n], 3, 0.6),
        t([LATENT], 4, 0.3),
        t([n, LATENT], 5, 1),
        t([n], 6, 0.5),
      ];
    });
  }
  all(): Tensor[] {
    return this.params.flat();
  }
  encode(m: number, x: Tensor): Gaussian {
    const [wm, bm, wl, bl] = this.params[m];
    return { mu: ops.linear(x, wm, bm), logvar: ops.linear(x, wl, bl) };
  }
  decode(m: number, z: Tensor): Tensor {
    const [, , , , v, c] = this.params[m];
    return ops.linear(z, v, c);
  }
  logLik(m: number, logits: Tensor, x: Tensor): Tensor {
    return m === 0 ? laplaceLogLik(logits, x, SCALE) : bernoulliLogLik(logits, x);
  }
  /** The parameters as plain f64 arrays (for the hand computation). */
  values(): Float64Array[][] {
    return this.params.map((ps) => ps.map((p) => Float64Array.from(refData(p))));
  }
}

/** A plain diagonal Gaussian per row: rows of [μ…] and [log σ²…]. */
export interface HandGaussian {
  mu: number[][];
  lv: number[][];
}

/** y = x·Wᵀ + b for one row. */
function affineRow(x: number[], w: Float64Array, b: Float64Array): number[] {
  return Array.from(b, (bi, o) => bi + x.reduce((s, xi, i) => s + xi * w[o * x.length + i], 0));
}

/** The tiny model evaluated by hand: experts, decoder logits and log-likelihoods. */
export class HandModel {
  constructor(readonly p: Float64Array[][]) {}
  encode(m: number, xs: number[][]): HandGaussian {
    const [wm, bm, wl, bl] = this.p[m];
    return { mu: xs.map((x) => affineRow(x, wm, bm)), lv: xs.map((x) => affineRow(x, wl, bl)) };
  }
  logLik(m: number, z: number[], x: number[]): number {
    const [, , , , v, c] = this.p[m];
    const logits = affineRow(z, v, c);
    let s = 0;
    logits.forEach((l, i) => {
      const p = 1 / (1 + Math.exp(-l));
      s += m === 0
        ? -Math.abs(x[i] - p) / SCALE - Math.log(2 * SCALE)
        : x[i] * Math.log(p) + (1 - x[i]) * Math.log(1 - p);
    });
    return s;
  }
}

/** Product of the given experts of one row (plain arithmetic). */
export function handPoe(experts: { mu: number[]; lv: number[] }[]): { mu: number[]; lv: number[] } {
  const d = experts[0].mu.length;
  const mu: number[] = [], lv: number[] = [];
  for (let i = 0; i < d; i++) {
    let prec = 0, num = 0;
    for (const e of experts) {
      prec += Math.exp(-e.lv[i]);
      num += Math.exp(-e.lv[i]) * e.mu[i];
    }
    mu.push(num / prec);
    lv.push(-Math.log(prec));
  }
  return { mu, lv };
}

/** KL(q ‖ p) of two diagonal Gaussians (p = N(0, I) when omitted). */
export function handKl(q: { mu: number[]; lv: number[] }, p?: { mu: number[]; lv: number[] }) {
  return q.mu.reduce((s, m, i) => {
    const pm = p ? p.mu[i] : 0, pl = p ? p.lv[i] : 0;
    return s + 0.5 * (pl - q.lv[i] + (Math.exp(q.lv[i]) + (m - pm) ** 2) / Math.exp(pl) - 1);
  }, 0);
}

/** A tiny batch: rows of modality 0 in (0.05, 0.95), rows of modality 1 binary. */
export function tinyBatch(rows: number, seed: number): number[][][] {
  const x0 = randomArray(rows * DIMS[0], seed, 0.05, 0.95);
  const x1 = randomArray(rows * DIMS[1], seed + 1, 0, 1);
  return [
    Array.from({ length: rows }, (_, r) => Array.from(x0.subarray(r * 3, r * 3 + 3))),
    Array.from(
      { length: rows },
      (_, r) => Array.from(x1.subarray(r * 2, r * 2 + 2), (v) => v > 0.5 ? 1 : 0),
    ),
  ];
}
