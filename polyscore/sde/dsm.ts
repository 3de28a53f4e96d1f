/**
 * Denoising score matching for the VP-SDE, exactly as the official SBM-AE code
 * (`sde_helper2`, `--ll-weighting=0`, i.e. λ(t) = σ(t)²):
 *
 *   L(θ) = E_{t∼U[tMin, 1], z₀, ε} mean_d (σ(t) s_θ(z_t, t) + ε)_d²,  z_t = α(t) z₀ + σ(t) ε,
 *
 * averaged over the batch and the D coordinates, tMin = 1e-5. Plus a small training loop for tests
 * and simple callers; the pipeline has its own stage loop and calls `dsmLoss` directly.
 */
import { Adam, cosineLr } from "../../engine/optim.ts";
import { add, affine, meanAll, mul, type RandomStream, square } from "../../engine/ops/mod.ts";
import { backward, fmtShape, type Tensor, tidy } from "../../engine/tensor.ts";
import type { ScoreFn } from "./score_fn.ts";
import type { VpSde } from "./vpsde.ts";

/** Options of `dsmLoss`. */
export interface DsmOptions {
  /** Smallest training time (the official code's ε = 1e-5). */
  tMin?: number;
}

/**
 * The DSM loss on a batch z₀ (B, D), a differentiable tensor of shape [1]. Draws t (B) and ε (B, D)
 * on the device from `stream` (B + B·D counters), so a step never reads back.
 *
 * @example
 * ```ts
 * import { ReferenceBackend } from "../../engine/reference/backend.ts";
 * import { RandomStream } from "../../engine/ops/mod.ts";
 * import { Tensor } from "../../engine/tensor.ts";
 * import { VpSde } from "./vpsde.ts";
 * import { GaussianScore } from "./score_fn.ts";
 * import { dsmLoss } from "./dsm.ts";
 * const be = new ReferenceBackend();
 * const sde = new VpSde();
 * const exact = new GaussianScore(be, sde, [0, 0], [1, 0, 0, 1]);
 * const loss = dsmLoss(exact, sde, Tensor.full(be, [4, 2], 0), new RandomStream(1)); // shape [1]
 * ```
 */
export function dsmLoss(
  model: ScoreFn,
  sde: VpSde,
  z0: Tensor,
  stream: RandomStream,
  opts: DsmOptions = {},
): Tensor {
  const tMin = opts.tMin ?? 1e-5;
  if (!(tMin > 0 && tMin < 1)) {
    throw new RangeError(
      `Cannot compute DSM loss: tMin must be in (0, 1): current value is ${tMin}`,
    );
  }
  if (z0.rank !== 2 || z0.shape[1] !== model.dim || z0.shape[0] < 1) {
    throw new TypeError(
      `Cannot compute DSM loss: z0 must be (B, ${model.dim}) with B >= 1: current shape is ${
        fmtShape(z0.shape)
      }`,
    );
  }
  const be = z0.backend;
  const b = z0.shape[0];
  const t = affine(stream.uniform(be, [b]), sde.T - tMin, tMin); // (B), U[tMin, T)
  const eps = stream.normal(be, z0.shape); // (B, D)
  const { alpha, sigma } = sde.marginalCoefficients(t); // (B, 1)
  const zt = add(mul(alpha, z0), mul(sigma, eps)); // (B, D)
  const s = model.score(zt, t); // (B, D)
  return meanAll(square(add(mul(sigma, s), eps)));
}

/** A module-like score model: a `ScoreFn` with trainable parameters. */
export interface TrainableScore extends ScoreFn {
  parameters(): Tensor[];
}

/** Options of `trainScoreModel`. */
export interface TrainScoreOptions extends DsmOptions {
  steps: number;
  /** Peak learning rate (Adam), cosine-decayed to `lr·finalLrFraction`. */
  lr: number;
  /** Fraction of `lr` reached at the end of the cosine decay. Default 0.05. */
  finalLrFraction?: number;
  /** Linear warm-up steps. Default 0. */
  warmup?: number;
  /** Global gradient-norm clip (0 = none, the official setting). Default 0. */
  maxGradNorm?: number;
  /** The noise stream for t and ε. */
  stream: RandomStream;
  /** Read the loss back every this many steps (and at the last) and report it. Default 100. */
  metricsEvery?: number;
  onMetrics?: (step: number, loss: number) => void;
}

/**
 * Trains `model` by DSM with Adam on batches from `data()` (a new (B, D) tensor per call; it is
 * freed after the step). Reads the loss back only every `metricsEvery` steps; returns the losses
 * read. Throws if a read-back loss is not finite, naming the step.
 */
export async function trainScoreModel(
  model: TrainableScore,
  sde: VpSde,
  data: () => Tensor,
  opts: TrainScoreOptions,
): Promise<{ step: number; loss: number }[]> {
  if (!Number.isInteger(opts.steps) || opts.steps < 1) {
    throw new RangeError(
      `Cannot train score model: steps must be an integer >= 1: current value is ${opts.steps}`,
    );
  }
  const every = opts.metricsEvery ?? 100;
  if (!Number.isInteger(every) || every < 1) {
    throw new RangeError(
      `Cannot train score model: metricsEvery must be an integer >= 1: current value is ${every}`,
    );
  }
  const params = model.parameters();
  const opt = new Adam(params, { lr: opts.lr, maxGradNorm: opts.maxGradNorm ?? 0 });
  const final = opts.finalLrFraction ?? 0.05;
  const out: { step: number; loss: number }[] = [];
  try {
    for (let step = 0; step < opts.steps; step++) {
      opt.lr = cosineLr(step, opts.steps, opts.lr, final, opts.warmup ?? 0);
      const last = step === opts.steps - 1 || (step + 1) % every === 0;
      const lossT = tidy(() => {
        const loss = dsmLoss(model, sde, data(), opts.stream, opts);
        backward(loss, params);
        opt.update();
        return last ? loss : null;
      });
      if (lossT) {
        const v = await lossT.item();
        lossT.dispose();
        if (!Number.isFinite(v)) {
          throw new RangeError(
            `Cannot train score model: loss is not finite at step ${
              step + 1
            }: current value is ${v}`,
          );
        }
        out.push({ step: step + 1, loss: v });
        opts.onMetrics?.(step + 1, v);
      }
    }
  } finally {
    opt.dispose();
  }
  return out;
}
