/**
 * Losses: log-softmax + cross-entropy, BCE with logits, MSE, the Gaussian KL to N(0, I), and the
 * sinusoidal time embedding. Each returns a tensor of shape [1] unless it says otherwise.
 */
import { fmtShape, record, Tensor } from "../tensor.ts";
import { add, affine, bceWithLogitsElementwise, exp, mul, square, sub } from "./elementwise.ts";
import { meanAll, sum, sumAll } from "./shape.ts";

/** Row-wise log-softmax of x (R, C). */
export function logSoftmax(x: Tensor): Tensor {
  if (x.rank !== 2) {
    throw new TypeError(`Cannot run log_softmax: expected (R, C), got ${fmtShape(x.shape)}`);
  }
  const [r, c] = x.shape;
  const y = Tensor.empty(x.backend, x.shape);
  x.backend.logSoftmax(x.buf, y.buf, { rows: r, cols: c });
  return record(y, "log_softmax", [x], (g) => {
    const dx = Tensor.empty(x.backend, x.shape);
    x.backend.logSoftmaxBackward({ y: y.buf, dy: g.buf, dx: dx.buf }, { rows: r, cols: c });
    return [dx];
  });
}

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size || a.rank !== b.rank || a.shape.some((d, k) => d !== b.shape[k])) {
    throw new TypeError(
      `Cannot run ${op}: shapes differ: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
}

/** Mean cross-entropy of logits (B, K) against one-hot (or soft) targets (B, K). */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  sameShape("cross_entropy", logits, targets);
  return affine(sumAll(mul(logSoftmax(logits), targets)), -1 / logits.shape[0], 0);
}

/**
 * Binary cross-entropy with logits, summed over all but the first axis and averaged over the batch
 * ("sum" per example, as a Bernoulli log-likelihood), or averaged over every element ("mean").
 */
export function bceWithLogits(
  logits: Tensor,
  targets: Tensor,
  reduction: "sum_per_example" | "mean" = "mean",
): Tensor {
  sameShape("bce_with_logits", logits, targets);
  const l = bceWithLogitsElementwise(logits, targets);
  return reduction === "mean" ? meanAll(l) : affine(sumAll(l), 1 / logits.shape[0], 0);
}

/** Mean squared error; "sum_per_example" sums over all but the first axis, then averages the batch. */
export function mse(
  pred: Tensor,
  target: Tensor,
  reduction: "sum_per_example" | "mean" = "mean",
): Tensor {
  sameShape("mse", pred, target);
  const l = square(sub(pred, target));
  return reduction === "mean" ? meanAll(l) : affine(sumAll(l), 1 / pred.shape[0], 0);
}

/** KL(N(μ, diag e^{logvar}) ‖ N(0, I)) summed over the latent axis, averaged over the batch. */
export function gaussianKl(mu: Tensor, logvar: Tensor): Tensor {
  sameShape("gaussian_kl", mu, logvar);
  // ½ Σ (e^{lv} + μ² − 1 − lv)
  const t = sub(add(exp(logvar), square(mu)), affine(logvar, 1, 1));
  return affine(sumAll(t), 0.5 / mu.shape[0], 0);
}

/** Per-example sum over the last axis: x (B, D) → (B). */
export function rowSum(x: Tensor): Tensor {
  return sum(x, -1);
}

/**
 * Sinusoidal embedding of times t (B) → (B, dim): sin(t·f_j) then cos(t·f_j),
 * f_j = scale·maxPeriod^{−j/(dim/2)}. Differentiable in t.
 */
export function timeEmbedding(t: Tensor, dim: number, maxPeriod = 10000, scale = 1): Tensor {
  if (dim % 2 !== 0 || dim <= 0) {
    throw new RangeError(
      `Cannot run time_embedding: dim must be even and positive: current value is ${dim}`,
    );
  }
  const b = t.size;
  const out = Tensor.empty(t.backend, [b, dim]);
  t.backend.timeEmbedding(t.buf, out.buf, { b, dim, maxPeriod, scale });
  return record(out, "time_embedding", [t], (g) => {
    // d sin(tf)/dt = f cos(tf) = f·out[j+half]; d cos(tf)/dt = −f sin(tf) = −f·out[j].
    const half = dim / 2;
    const f = new Float64Array(dim);
    for (let j = 0; j < half; j++) {
      const fj = Math.exp(-Math.log(maxPeriod) * j / half) * scale;
      f[j] = fj;
      f[half + j] = -fj;
    }
    const fT = Tensor.from(t.backend, f, [1, dim]);
    const swapped = Tensor.empty(t.backend, [b, dim]);
    // swapped = [cos | sin] from out = [sin | cos].
    for (const [src, dst] of [[half, 0], [0, half]]) {
      t.backend.copyBlocks(out.buf, swapped.buf, {
        outer: b,
        inner: half,
        srcStride: dim,
        dstStride: dim,
        srcOffset: src,
        dstOffset: dst,
        accumulate: false,
      });
    }
    const dt = Tensor.empty(t.backend, [b]);
    const prod = mul(mul(g, swapped), fT);
    t.backend.reduceSum(prod.buf, dt.buf, { outer: b, len: dim, inner: 1, accumulate: false });
    return [dt.view(t.shape)];
  });
}
