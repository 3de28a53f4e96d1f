/**
 * The MMVAE+ objective (Palumbo, Daunhawer & Vogt, ICLR 2023): the "looser" importance-weighted
 * bound of a mixture-of-experts posterior over shared (z) and modality-specific (w) latents, with
 * Laplace posteriors and priors, as the official code's `m_elbo` (epalu/mmvaeplus
 * `src/objectives.py: _m_iwae`) and MultiVae's `iwae_looser`. IWAE, not DReG: the gradient is the
 * plain reparameterised gradient of the bound. Built from the engine's ops only (both backends).
 *
 * For every mixture component r (one per modality) and K samples u_r = (w_r, z_r) ~ q_r(u | x_r):
 *   log w_r = Σ_d log p(x_d | w', z_r) + β·(log p(u_r) − log (1/M) Σ_m q_m(z_r | x_m) − log q_r(w_r | x_r))
 * with w' = w_r for d = r and w' ~ r_d(w) (the learned prior of d's private latent) for d ≠ r — the
 * paper's key point: cross-modal reconstructions never see another modality's private latent.
 * The bound is mean_r mean_batch log mean_K exp(log w_r); p(u) = Laplace(0, 1).
 */
import * as ops from "../../../engine/ops/mod.ts";
import type { Tensor } from "../../../engine/tensor.ts";

/** Added to every posterior scale (the official code's `Constants.eta`). */
export const SCALE_ETA = 1e-6;

/** log Laplace(x; loc, scale) elementwise, −log(2b) − |x − μ|/b, broadcasting as `sub`. */
export function laplaceLogProb(x: Tensor, loc: Tensor, scale: Tensor): Tensor {
  const dev = ops.div(ops.unary("abs", ops.sub(x, loc)), scale);
  return ops.neg(ops.add(dev, ops.affine(ops.log(scale), 1, Math.LN2)));
}

/**
 * A positive scale from unconstrained logits (R, D): softmax(l)·D + η over the last axis, as the
 * official code (its scales therefore average one per row).
 */
export function softmaxScale(logits: Tensor, eta = SCALE_ETA): Tensor {
  const d = logits.shape[logits.rank - 1];
  return ops.affine(ops.exp(ops.logSoftmax(logits)), d, eta);
}

/**
 * log (1/C) Σ_c exp(x_c) along `axis` (removed), stable for any magnitude: with the engine's
 * max-shifted log-softmax, LSE(x) = x_0 − logsoftmax(x)_0, so no exp over- or underflows (log-weights
 * of images sit near −10⁴). The gradient is softmax(x), as it should be.
 */
export function logMeanExp(x: Tensor, axis: number): Tensor {
  const ax = axis < 0 ? axis + x.rank : axis;
  const c = x.shape[ax];
  const perm = [...x.shape.keys()].filter((k) => k !== ax).concat([ax]);
  const outShape = x.shape.filter((_, k) => k !== ax);
  const rows = ops.reshape(ax === x.rank - 1 ? x : ops.permute(x, perm), [-1, c]);
  const first = ops.slice(rows, 1, 0, 1);
  const lse = ops.sub(first, ops.slice(ops.logSoftmax(rows), 1, 0, 1));
  return ops.reshape(ops.affine(lse, 1, -Math.log(c)), outShape.length ? outShape : [1]);
}

/** One modality's posterior: location and scale of [w, z], each (B, W + Z). */
export interface Posterior {
  loc: Tensor;
  scale: Tensor;
}

/** What {@link mixtureIwae} needs from the model, so the objective can be tested on any networks. */
export interface MixtureIwaeInputs {
  /** Per-modality posteriors q_m(w, z | x_m); w first, then z. */
  posteriors: readonly Posterior[];
  /** Per-modality prior scale of w, (1, W); the location is 0. */
  priorWScale: readonly Tensor[];
  /** Σ over the modality's elements of log p(x_d | u) for decoded latents u (N, W + Z) → (N). */
  logLikelihood(d: number, u: Tensor): Tensor;
  /**
   * Laplace(0, 1) noise of the given shape. Drawn in this order: the posterior noise (K, B, W + Z)
   * of m = 0 … M − 1, then the prior-w noise (K, B, W) of d = 0 … M − 1, r = 0 … M − 1, r ≠ d.
   */
  noise(shape: readonly number[]): Tensor;
}

/** Settings of the bound. */
export interface MixtureIwaeOptions {
  /** Private (w) and shared (z) latent sizes. */
  w: number;
  z: number;
  /** Importance samples per component. */
  k: number;
  /** Weight of the latent terms (1 = the bound itself). */
  beta: number;
}

/** The bound and its parts, each shape [1] (batch and component means). */
export interface MixtureIwaeTerms {
  /** −bound: what training minimises. */
  loss: Tensor;
  /** Mean over samples of Σ_d log p(x_d | ·). */
  logLik: Tensor;
  /** Mean over samples of log q_r(w_r) + log q(z_r) − log p(u_r) (the single-sample KL estimate). */
  kl: Tensor;
}

/** Laplace(0, 1) noise: log(1 − U₁) − log(1 − U₂) is a difference of two Exp(1) (finite for U < 1). */
export function laplaceNoiseFrom(u1: Tensor, u2: Tensor): Tensor {
  return ops.sub(ops.log(ops.affine(u1, -1, 1)), ops.log(ops.affine(u2, -1, 1)));
}

/** The MMVAE+ IWAE bound of one batch (see the file header); B from the posteriors. */
export function mixtureIwae(inp: MixtureIwaeInputs, o: MixtureIwaeOptions): MixtureIwaeTerms {
  const mods = inp.posteriors.length;
  const b = inp.posteriors[0].loc.shape[0];
  const d = o.w + o.z;
  const parts = inp.posteriors.map((p) => {
    const [locW, locZ] = ops.split(p.loc, [o.w, o.z]);
    const [scaleW, scaleZ] = ops.split(p.scale, [o.w, o.z]);
    return { locW, locZ, scaleW, scaleZ };
  });
  // u_m = loc + scale·ε, (K, B, W + Z).
  const us = inp.posteriors.map((p) => ops.add(p.loc, ops.mul(p.scale, inp.noise([o.k, b, d]))));
  const ws = us.map((u) => ops.slice(u, 2, 0, o.w));
  const zs = us.map((u) => ops.slice(u, 2, o.w, o.z));
  // Σ_d log p(x_d | ·) per component, (M, K, B): one decoder call per target d over all components.
  let logLik: Tensor | null = null;
  for (let t = 0; t < mods; t++) {
    const rows = us.map((u, r) => {
      if (r === t) return u;
      const wPrior = ops.mul(inp.priorWScale[t], inp.noise([o.k, b, o.w]));
      return ops.concat([wPrior, zs[r]], 2);
    });
    const u = ops.reshape(ops.concat(rows, 0), [mods * o.k * b, d]);
    const ll = ops.reshape(inp.logLikelihood(t, u), [mods, o.k, b]);
    logLik = logLik ? ops.add(logLik, ll) : ll;
  }
  const logW: Tensor[] = [];
  const klParts: Tensor[] = [];
  for (let r = 0; r < mods; r++) {
    // log Laplace(u; 0, 1) = −|u| − log 2, (K, B).
    const lpu = ops.neg(ops.sum(ops.affine(ops.unary("abs", us[r]), 1, Math.LN2), 2));
    const lqzs = parts.map((p) =>
      ops.reshape(ops.sum(laplaceLogProb(zs[r], p.locZ, p.scaleZ), 2), [1, o.k, b])
    );
    const lqz = logMeanExp(ops.concat(lqzs, 0), 0); // (K, B)
    const lqw = ops.sum(laplaceLogProb(ws[r], parts[r].locW, parts[r].scaleW), 2);
    const kl = ops.sub(ops.add(lqz, lqw), lpu);
    klParts.push(ops.reshape(kl, [1, o.k, b]));
    const ll = ops.reshape(ops.slice(logLik!, 0, r, 1), [o.k, b]);
    logW.push(ops.reshape(ops.sub(ll, ops.scale(kl, o.beta)), [1, o.k, b]));
  }
  const bound = ops.meanAll(logMeanExp(ops.concat(logW, 0), 1)); // mean over (M, B)
  return {
    loss: ops.neg(bound),
    logLik: ops.meanAll(logLik!),
    kl: ops.meanAll(ops.concat(klParts, 0)),
  };
}
