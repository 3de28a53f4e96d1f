/**
 * Sanity checks on what a stage hands to the next one. A NaN loss stops training at once (engine/
 * train/loop.ts); these catch what stays finite yet is wrong: non-finite outputs (latents, H, the
 * bound), and a score-ratio network that diverged (gh-19: a loss of 2e22 and a "certified" bound
 * of 3.6e20). A failed check throws a {@link DivergedStageError} naming the stage, the number and
 * the repair, like a NaN does.
 */

/** A stage's output is not usable; the message says what and how to repair it. */
export class DivergedStageError extends Error {
  constructor(readonly stage: string, message: string) {
    super(message);
    this.name = "DivergedStageError";
  }
}

/** Throws unless every value is finite (names the first bad entry). */
export function checkFinite(stage: string, what: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new DivergedStageError(
        stage,
        `Cannot use the output of ${stage}: ${what} is not finite (entry ${i} is ${
          values[i]
        }): the stage diverged; lower its learning rate or enable gradient clipping`,
      );
    }
  }
}

/** What {@link checkReduction} looks at. */
export interface ReductionOutputs {
  /** The diagnostic matrix (D, D). */
  h: Float64Array;
  d: number;
  trace: number;
  bound: number;
  epsilon: number;
  /** tr of H's Gaussian part H_G (polyscore/reduction/h_diagnostics.ts: gaussianPartOfH). */
  gaussianTrace: number;
  /** The score-ratio loss values logged over the last part of training (oldest first). */
  finalLosses: number[];
}

/** How far tr H may exceed its Gaussian part before the network counts as diverged. */
export const MAX_TRACE_RATIO = 1000;

/**
 * Throws when the reduction's outputs cannot be trusted: anything non-finite; a final loss worse
 * than the zero function's (the objective F(s) = E[‖s‖² + 2∇·s − 2 s·u] is 0 at s ≡ 0 and −tr H at
 * the optimum, and training starts from the Gaussian optimum at −tr H_G: ending above 0 beyond
 * minibatch noise means training made it worse than doing nothing); or tr H more than
 * {@link MAX_TRACE_RATIO} times its Gaussian part (or D, when that part is tiny).
 */
export function checkReduction(stage: string, o: ReductionOutputs): void {
  checkFinite(stage, "the diagnostic matrix H", o.h);
  // ε is NaN when the ranks were fixed (reduction.ranks, or chosen by the lift ceiling): no ε then.
  const eps = Number.isNaN(o.epsilon) ? [] : [o.epsilon];
  checkFinite(stage, "the bound, ε and tr H", [o.bound, o.trace, o.gaussianTrace, ...eps]);
  const hint = "lower reduction.lr or set reduction.maxGradNorm, then resume the run";
  const n = o.finalLosses.length;
  if (n > 0) {
    checkFinite(stage, "the score-ratio loss", o.finalLosses);
    const mean = o.finalLosses.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(o.finalLosses.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    if (mean > 3 * sd / Math.sqrt(n) && mean > 0) {
      throw new DivergedStageError(
        stage,
        `Cannot use the output of ${stage}: the score-ratio loss ended at ${
          mean.toPrecision(4)
        } (mean of the last ${n} logged values), worse than the zero function (0) and than its Gaussian start (${
          (-o.gaussianTrace).toPrecision(4)
        }): the training diverged and its bound (${o.bound.toPrecision(4)}) means nothing; ${hint}`,
      );
    }
  }
  const limit = MAX_TRACE_RATIO * Math.max(o.gaussianTrace, 1e-3 * o.d);
  if (o.trace > limit) {
    throw new DivergedStageError(
      stage,
      `Cannot use the output of ${stage}: tr H = ${
        o.trace.toPrecision(4)
      } is more than ${MAX_TRACE_RATIO}× its Gaussian part (${
        o.gaussianTrace.toPrecision(4)
      }): the score-ratio network diverged and its bound (${
        o.bound.toPrecision(4)
      }) means nothing; ${hint}`,
    );
  }
}
