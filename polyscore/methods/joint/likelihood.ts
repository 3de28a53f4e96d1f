/**
 * The joint-posterior VAEs' per-row densities and divergences (MoPoE, MVTCAE, MMVAE+): Laplace and
 * Bernoulli log-likelihoods of decoder outputs, diagonal-Gaussian KL divergences and log densities,
 * and the reparameterisation. Every function returns one value per row, shape (B), so objectives
 * can weight, mask or log-sum-exp rows before the batch mean.
 */
import * as ops from "../../../engine/ops/mod.ts";
import { fmtShape, type Tensor } from "../../../engine/tensor.ts";
import type { Gaussian } from "./experts.ts";

/** Flattens (B, …) to (B, rest) so a row sum is one reduction. */
function rows(x: Tensor): Tensor {
  return ops.reshape(x, [x.shape[0], -1]);
}

function sameSize(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size || a.shape[0] !== b.shape[0]) {
    throw new TypeError(`Cannot run ${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
}

/**
 * log Laplace(x; loc = sigmoid(logits), scale) summed per row: Σ −|x − loc|/b − log(2b). The
 * location is the sigmoid of the decoder output so samples stay in the data's [0, 1]; the scale is
 * fixed (MoPoE and MultiVae use 0.75 on PolyMNIST).
 */
export function laplaceLogLik(logits: Tensor, x: Tensor, scale: number): Tensor {
  sameSize("laplace_log_lik", logits, x);
  if (!(scale > 0)) {
    throw new RangeError(
      `Cannot run laplace_log_lik: scale must be > 0: current value is ${scale}`,
    );
  }
  const dev = ops.unary("abs", ops.sub(ops.sigmoid(rows(logits)), rows(x)));
  const n = x.size / x.shape[0];
  return ops.affine(ops.sum(dev, -1), -1 / scale, -n * Math.log(2 * scale));
}

/**
 * log N(x; mean = sigmoid(logits), scale²) summed per row: Σ −(x − mean)²/(2 scale²) − ½ log(2π
 * scale²) — the fixed-variance Gaussian, i.e. the squared error of the unimodal autoencoders.
 */
export function gaussianLogLik(logits: Tensor, x: Tensor, scale: number): Tensor {
  sameSize("gaussian_log_lik", logits, x);
  if (!(scale > 0)) {
    throw new RangeError(
      `Cannot run gaussian_log_lik: scale must be > 0: current value is ${scale}`,
    );
  }
  const sq = ops.square(ops.sub(ops.sigmoid(rows(logits)), rows(x)));
  const n = x.size / x.shape[0];
  return ops.affine(
    ops.sum(sq, -1),
    -0.5 / (scale * scale),
    -0.5 * n * Math.log(2 * Math.PI * scale * scale),
  );
}

/** log Bernoulli(x; sigmoid(logits)) summed per row (binary masks and attribute vectors). */
export function bernoulliLogLik(logits: Tensor, x: Tensor): Tensor {
  sameSize("bernoulli_log_lik", logits, x);
  return ops.scale(ops.sum(ops.bceWithLogitsElementwise(rows(logits), rows(x)), -1), -1);
}

/** KL(q ‖ N(0, I)) per row: ½ Σ (e^{lv} + μ² − 1 − lv). */
export function klToStandard(q: Gaussian): Tensor {
  const t = ops.sub(ops.add(ops.exp(q.logvar), ops.square(q.mu)), ops.affine(q.logvar, 1, 1));
  return ops.scale(ops.sum(t, -1), 0.5);
}

/** KL(q ‖ p) of diagonal Gaussians per row: ½ Σ (lv_p − lv_q + (e^{lv_q} + (μ_q − μ_p)²)/e^{lv_p} − 1). */
export function klGaussians(q: Gaussian, p: Gaussian): Tensor {
  const num = ops.add(ops.exp(q.logvar), ops.square(ops.sub(q.mu, p.mu)));
  const t = ops.add(ops.sub(p.logvar, q.logvar), ops.mul(num, ops.exp(ops.neg(p.logvar))));
  return ops.affine(ops.sum(t, -1), 0.5, -0.5 * q.mu.shape[q.mu.rank - 1]);
}

/** log N(z; μ, diag e^{lv}) per row: −½ Σ (log 2π + lv + (z − μ)² e^{−lv}). */
export function gaussianLogDensity(z: Tensor, q: Gaussian): Tensor {
  const t = ops.add(q.logvar, ops.mul(ops.square(ops.sub(z, q.mu)), ops.exp(ops.neg(q.logvar))));
  return ops.affine(ops.sum(t, -1), -0.5, -0.5 * z.shape[z.rank - 1] * Math.log(2 * Math.PI));
}

/** z = μ + e^{½ lv}·ε for N(0, I) noise ε of q's shape (differentiable in μ and lv). */
export function reparameterize(q: Gaussian, eps: Tensor): Tensor {
  sameSize("reparameterize", q.mu, eps);
  return ops.add(q.mu, ops.mul(ops.exp(ops.scale(q.logvar, 0.5)), eps));
}
