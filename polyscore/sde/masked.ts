/**
 * Masked (conditional) denoising score matching, after Multi-modal Latent Diffusion (Bounoua,
 * Franzese & Michiardi 2023; official `src/components/mm_sde.py: train_step`): the joint latent is
 * split into M blocks (modalities), the network takes one diffusion time per block, and some rows
 * keep a subset of blocks clean at time 0:
 *
 *   z_t = m ⊙ z₀ + (1 − m) ⊙ (α(t) z₀ + σ(t) ε),   times_b = t·(1 − kept_b)   (B, M)
 *   L(θ) = Σ_{b,d} (1 − m_bd)(σ(t_b) s_θ(z_t, times)_bd + ε_bd)² / Σ_{b,d} (1 − m_bd)
 *
 * with m the coordinate mask of the kept blocks. The loss covers the noised coordinates only and is
 * renormalised over them (MLD zeroes the kept part and averages over all coordinates). Where MLD
 * draws one Bernoulli(d) and one subset per batch, each row here draws its own (lower variance, the
 * same expected objective up to the renormalisation); the subset is uniform over the non-empty
 * proper subsets, as MLD's. The rows' choices come from a counter-based host generator keyed by
 * (seed, step), so a resumed run redraws exactly the same masks and nothing is read back.
 */
import { randomBits, streamKey } from "../../engine/random.ts";
import {
  add,
  affine,
  mul,
  type RandomStream,
  reshape,
  scale,
  square,
  sub,
  sumAll,
} from "../../engine/ops/mod.ts";
import { fmtShape, Tensor } from "../../engine/tensor.ts";
import type { ScoreFn } from "./score_fn.ts";
import type { VpSde } from "./vpsde.ts";

/**
 * Which blocks each of `rows` rows keeps clean at training step `step`: (rows, M) row-major,
 * 1 = kept. With probability `prob` a row keeps a uniformly drawn non-empty proper subset of the
 * M blocks, otherwise none. Deterministic in (seed, step).
 */
export function drawKeptBlocks(
  seed: number,
  step: number,
  rows: number,
  blocks: number,
  prob: number,
): Uint8Array {
  if (!Number.isInteger(blocks) || blocks < 2 || blocks > 30) {
    throw new RangeError(
      `Cannot draw kept blocks: masked conditioning needs 2 to 30 blocks (modalities): current value is ${blocks}`,
    );
  }
  if (!(prob >= 0 && prob <= 1)) {
    throw new RangeError(
      `Cannot draw kept blocks: prob must be in [0, 1]: current value is ${prob}`,
    );
  }
  const key = streamKey((Math.imul(seed, 2654435761) + 0x6d61736b) >>> 0);
  const out = new Uint8Array(rows * blocks);
  const subsets = 2 ** blocks - 2; // non-empty, proper
  for (let r = 0; r < rows; r++) {
    const c = 2 * (step * rows + r);
    if (randomBits(key, c) / 2 ** 32 >= prob) continue;
    // 1 + ⌊u·(2^M − 2)⌋ ∈ [1, 2^M − 2]: the bits of a non-empty proper subset.
    const pick = 1 + Math.floor((randomBits(key, c + 1) / 2 ** 32) * subsets);
    for (let m = 0; m < blocks; m++) out[r * blocks + m] = (pick >>> m) & 1;
  }
  return out;
}

/** Options of {@link maskedDsmLoss}. */
export interface MaskedDsmOptions {
  /** Coordinates per block (Σ = D). */
  dims: readonly number[];
  /** (B, M) row-major, 1 = the block is kept clean at time 0 (from {@link drawKeptBlocks}). */
  kept: ArrayLike<number>;
  /** Smallest training time. Default 1e-5. */
  tMin?: number;
}

/**
 * The masked DSM loss on z₀ (B, D), a differentiable [1] tensor. Draws t (B) and ε (B, D) from
 * `stream` exactly as `dsmLoss` (B + B·D counters). The model is called with times (B, M).
 */
export function maskedDsmLoss(
  model: ScoreFn,
  sde: VpSde,
  z0: Tensor,
  stream: RandomStream,
  opts: MaskedDsmOptions,
): Tensor {
  const tMin = opts.tMin ?? 1e-5;
  const { dims, kept } = opts;
  const m = dims.length, d = dims.reduce((a, b) => a + b, 0);
  const b = z0.shape[0];
  if (z0.rank !== 2 || z0.shape[1] !== model.dim || d !== model.dim || kept.length !== b * m) {
    throw new TypeError(
      `Cannot compute masked DSM loss: need z0 (B, ${model.dim}), dims summing to ${model.dim} and kept (B·M = ${
        b * m
      }): current z0 ${fmtShape(z0.shape)}, dims [${dims}], kept length ${kept.length}`,
    );
  }
  const be = z0.backend;
  const coord = new Float64Array(b * d); // 1 − m: the noised coordinates
  const free = new Float64Array(b * m);
  let count = 0;
  for (let r = 0; r < b; r++) {
    let off = 0;
    for (let k = 0; k < m; k++) {
      const f = kept[r * m + k] ? 0 : 1;
      free[r * m + k] = f;
      if (f) coord.fill(1, r * d + off, r * d + off + dims[k]);
      off += dims[k];
      count += f * dims[k];
    }
  }
  const t = affine(stream.uniform(be, [b]), sde.T - tMin, tMin); // (B)
  const eps = stream.normal(be, z0.shape); // (B, D)
  const { alpha, sigma } = sde.marginalCoefficients(t); // (B, 1)
  const noisy = add(mul(alpha, z0), mul(sigma, eps));
  const free01 = Tensor.from(be, coord, [b, d]);
  const zt = add(z0, mul(free01, sub(noisy, z0))); // kept blocks clean
  const times = mul(reshape(t, [b, 1]), Tensor.from(be, free, [b, m])); // (B, M)
  const s = model.score(zt, times);
  const err = mul(free01, add(mul(sigma, s), eps));
  // count = 0 only if every row keeps every block, which drawKeptBlocks never does.
  return scale(sumAll(square(err)), 1 / Math.max(1, count));
}
