/**
 * Linear probe: multinomial logistic regression label ← z_m, fitted on the train latents of one
 * modality and scored (accuracy) on its test latents. Beside the reconstruction ceiling it
 * separates what the latent holds about the label from what the decoder blurs away: a high probe
 * with a low ceiling points at the decoder (or the classifier's brittleness on reconstructions), a
 * low probe at the encoder.
 *
 * Plain f64 JavaScript (the problem is small: D ≤ a few hundred, 10 classes), deterministic for a
 * given seed: features standardised with the train mean and std, minibatch Adam with a cosine
 * learning rate, a small L2 penalty.
 */
import { hash32, Rng } from "../../engine/random.ts";

/** Settings of {@link linearProbe}. */
export interface ProbeOptions {
  epochs: number;
  batch: number;
  lr: number;
  /** L2 weight on the weights (not the biases), per example. */
  l2: number;
  seed: number;
}

/** Defaults: about 1 s per modality for 20k × 32 latents on one core. */
export const PROBE_DEFAULTS: ProbeOptions = { epochs: 20, batch: 256, lr: 0.02, l2: 1e-4, seed: 1 };

/** One split's latents of one modality: `x` row-major (n, stride), the block at `offset`. */
export interface ProbeSplit {
  x: Float32Array | Float64Array;
  stride: number;
  labels: ArrayLike<number>;
}

/**
 * Test accuracy of a logistic regression from columns [offset, offset + dim) of the train rows to
 * their labels (classes 0 … classes − 1).
 */
export function linearProbe(
  train: ProbeSplit,
  test: ProbeSplit,
  offset: number,
  dim: number,
  classes: number,
  options: Partial<ProbeOptions> = {},
): number {
  const o = { ...PROBE_DEFAULTS, ...options };
  const n = train.labels.length, nt = test.labels.length;
  if (n === 0 || nt === 0 || dim < 1 || classes < 2) {
    throw new RangeError(
      `Cannot fit a linear probe: needs train and test rows, dim ≥ 1 and ≥ 2 classes: current values are ${n}, ${nt}, ${dim}, ${classes}`,
    );
  }
  for (const split of [train, test]) {
    for (let i = 0; i < split.labels.length; i++) {
      const y = split.labels[i];
      if (!Number.isInteger(y) || y < 0 || y >= classes) {
        throw new RangeError(
          `Cannot fit a linear probe: labels must be integers in [0, ${classes}): current value is ${y}`,
        );
      }
    }
  }
  // Standardise with the train statistics (a constant column becomes 0).
  const mean = new Float64Array(dim), inv = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) mean[j] += train.x[i * train.stride + offset + j];
  }
  for (let j = 0; j < dim; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const d = train.x[i * train.stride + offset + j] - mean[j];
      inv[j] += d * d;
    }
  }
  for (let j = 0; j < dim; j++) {
    const sd = Math.sqrt(inv[j] / n);
    inv[j] = sd > 1e-12 ? 1 / sd : 0;
  }
  const feats = (s: ProbeSplit, i: number, out: Float64Array) => {
    for (let j = 0; j < dim; j++) out[j] = (s.x[i * s.stride + offset + j] - mean[j]) * inv[j];
  };

  // Parameters W (classes, dim) and b (classes); Adam moments.
  const p = (dim + 1) * classes;
  const w = new Float64Array(p), g = new Float64Array(p);
  const m1 = new Float64Array(p), m2 = new Float64Array(p);
  const z = new Float64Array(dim), logits = new Float64Array(classes);
  const rng = new Rng(hash32((o.seed * 9973 + 17) >>> 0));
  const perEpoch = Math.max(1, Math.floor(n / o.batch));
  const total = o.epochs * perEpoch;
  let t = 0;
  for (let e = 0; e < o.epochs; e++) {
    const perm = rng.permutation(n);
    for (let s = 0; s < perEpoch; s++) {
      const rows = perm.subarray(s * o.batch, Math.min(n, (s + 1) * o.batch));
      g.fill(0);
      for (const i of rows) {
        feats(train, i, z);
        softmaxRow(w, z, dim, classes, logits);
        logits[train.labels[i]] -= 1; // ∂CE/∂logits = softmax − onehot
        for (let k = 0; k < classes; k++) {
          const d = logits[k], base = k * (dim + 1);
          for (let j = 0; j < dim; j++) g[base + j] += d * z[j];
          g[base + dim] += d;
        }
      }
      const lr = o.lr * 0.5 * (1 + Math.cos((Math.PI * t) / total));
      t++;
      const b1 = 0.9, b2 = 0.999, c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
      for (let q = 0; q < p; q++) {
        const isBias = q % (dim + 1) === dim;
        const gq = g[q] / rows.length + (isBias ? 0 : o.l2 * w[q]);
        m1[q] = b1 * m1[q] + (1 - b1) * gq;
        m2[q] = b2 * m2[q] + (1 - b2) * gq * gq;
        w[q] -= (lr * (m1[q] / c1)) / (Math.sqrt(m2[q] / c2) + 1e-8);
      }
    }
  }
  let correct = 0;
  for (let i = 0; i < nt; i++) {
    feats(test, i, z);
    softmaxRow(w, z, dim, classes, logits);
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits[k] > logits[best]) best = k;
    if (best === test.labels[i]) correct++;
  }
  return correct / nt;
}

/** Softmax of W·z + b into `out` (stable: the max is subtracted first). */
function softmaxRow(w: Float64Array, z: Float64Array, dim: number, k: number, out: Float64Array) {
  let max = -Infinity;
  for (let c = 0; c < k; c++) {
    const base = c * (dim + 1);
    let v = w[base + dim];
    for (let j = 0; j < dim; j++) v += w[base + j] * z[j];
    out[c] = v;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let c = 0; c < k; c++) {
    out[c] = Math.exp(out[c] - max);
    sum += out[c];
  }
  for (let c = 0; c < k; c++) out[c] /= sum;
}
