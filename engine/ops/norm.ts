/** Layer norm and group norm (one kernel pair, `normForward`/`normBackward`). */
import type { NormSpec } from "../backend.ts";
import { fmtShape, record, Tensor } from "../tensor.ts";

function normCore(op: string, x: Tensor, gamma: Tensor, beta: Tensor, spec: NormSpec): Tensor {
  const be = x.backend;
  const y = Tensor.empty(be, x.shape);
  const mean = Tensor.empty(be, [spec.rows]);
  const rstd = Tensor.empty(be, [spec.rows]);
  be.normForward(
    { x: x.buf, gamma: gamma.buf, beta: beta.buf, y: y.buf, mean: mean.buf, rstd: rstd.buf },
    spec,
  );
  return record(y, op, [x, gamma, beta], (dy) => {
    const dx = Tensor.empty(be, x.shape);
    const dg = Tensor.full(be, gamma.shape, 0);
    const db = Tensor.full(be, beta.shape, 0);
    be.normBackward({
      x: x.buf,
      gamma: gamma.buf,
      mean: mean.buf,
      rstd: rstd.buf,
      dy: dy.buf,
      dx: dx.buf,
      dgamma: dg.buf,
      dbeta: db.buf,
    }, spec);
    return [dx, dg, db];
  });
}

/** Layer norm over the last axis: x (…, C), gamma and beta (C). */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const c = x.shape[x.rank - 1];
  if (gamma.size !== c || beta.size !== c) {
    throw new TypeError(
      `Cannot run layer_norm: input ${
        fmtShape(x.shape)
      } needs gamma/beta of ${c}, got ${gamma.size}/${beta.size}`,
    );
  }
  return normCore("layer_norm", x, gamma, beta, {
    rows: x.size / c,
    cols: c,
    groups: 1,
    chanInner: 1,
    eps,
  });
}

/** Group norm: x (B, C, …) with C divisible by `groups`; gamma and beta (C). */
export function groupNorm(
  x: Tensor,
  groups: number,
  gamma: Tensor,
  beta: Tensor,
  eps = 1e-5,
): Tensor {
  const [b, c] = x.shape;
  if (x.rank < 2 || c % groups !== 0 || gamma.size !== c || beta.size !== c) {
    throw new TypeError(
      `Cannot run group_norm: input ${
        fmtShape(x.shape)
      } with ${groups} groups needs C divisible by groups and gamma/beta of C`,
    );
  }
  const inner = x.size / (b * c);
  return normCore("group_norm", x, gamma, beta, {
    rows: b * groups,
    cols: (c / groups) * inner,
    groups,
    chanInner: inner,
    eps,
  });
}
