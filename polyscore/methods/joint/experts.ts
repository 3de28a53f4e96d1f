/**
 * Gaussian experts and their products, the posterior algebra of the joint-posterior VAEs: a
 * product of diagonal Gaussian experts is Gaussian with precision Σ_j T_j (T_j = e^{−lv_j}) and
 * mean Σ_j T_j μ_j / Σ_j T_j. Which experts enter is a 0/1 mask per row, so one call fuses a
 * different subset for every row (MoPoE's sampled mixture component, the observed modalities of a
 * generation batch).
 */
import type { Backend } from "../../../engine/backend.ts";
import * as ops from "../../../engine/ops/mod.ts";
import { fmtShape, Tensor } from "../../../engine/tensor.ts";

/** A diagonal Gaussian per row: mean and log-variance, each (B, D). */
export interface Gaussian {
  mu: Tensor;
  logvar: Tensor;
}

/** The N(0, I) prior as an expert of (rows, dim). */
export function standardExpert(backend: Backend, rows: number, dim: number): Gaussian {
  return { mu: Tensor.full(backend, [rows, dim], 0), logvar: Tensor.full(backend, [rows, dim], 0) };
}

/**
 * The product of the experts selected per row: `mask` is (B, K) row-major over the K experts
 * (1 = in the product). Every row must select at least one expert. A column that is all ones or
 * all zeros costs no masking op, so a subset shared by every row is as cheap as a plain product.
 * @throws {RangeError} when a row selects no expert or the shapes disagree
 */
export function productOfExperts(experts: readonly Gaussian[], mask: ArrayLike<number>): Gaussian {
  const k = experts.length;
  if (k === 0) throw new RangeError("Cannot multiply experts: no experts given");
  const [b, d] = experts[0].mu.shape;
  for (const e of experts) {
    if (e.mu.shape[0] !== b || e.mu.shape[1] !== d || e.logvar.size !== e.mu.size) {
      throw new TypeError(
        `Cannot multiply experts: every mean and log-variance must be (${b}, ${d}): got ${
          fmtShape(e.mu.shape)
        } and ${fmtShape(e.logvar.shape)}`,
      );
    }
  }
  if (mask.length !== b * k) {
    throw new RangeError(
      `Cannot multiply experts: mask must hold ${b} rows × ${k} experts: current length is ${mask.length}`,
    );
  }
  for (let r = 0; r < b; r++) {
    let any = false;
    for (let j = 0; j < k; j++) any ||= mask[r * k + j] !== 0;
    if (!any) {
      throw new RangeError(
        `Cannot multiply experts: row ${r} selects no expert; add the prior expert for empty subsets`,
      );
    }
  }
  const backend = experts[0].mu.backend;
  let prec: Tensor | null = null, weighted: Tensor | null = null;
  experts.forEach((e, j) => {
    const col = Float32Array.from({ length: b }, (_, r) => mask[r * k + j] !== 0 ? 1 : 0);
    const on = col.reduce((s, v) => s + v, 0);
    if (on === 0) return;
    let t = ops.exp(ops.neg(e.logvar));
    if (on < b) t = ops.mul(t, Tensor.from(backend, col, [b, 1]));
    const tm = ops.mul(t, e.mu);
    prec = prec ? ops.add(prec, t) : t;
    weighted = weighted ? ops.add(weighted, tm) : tm;
  });
  return { mu: ops.div(weighted!, prec!), logvar: ops.neg(ops.log(prec!)) };
}

/** The non-empty subsets of M modalities: by size, then lexicographically ([0], [1], [0, 1], …). */
export function nonEmptySubsets(modalities: number): number[][] {
  if (!Number.isInteger(modalities) || modalities < 1 || modalities > 16) {
    throw new RangeError(
      `Cannot list subsets: modalities must be an integer in [1, 16]: current value is ${modalities}`,
    );
  }
  const out: number[][] = [];
  for (let bits = 1; bits < 1 << modalities; bits++) {
    out.push([...Array(modalities).keys()].filter((m) => bits & (1 << m)));
  }
  const lex = (a: number[], b: number[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
  };
  return out.sort((a, b) => a.length - b.length || lex(a, b));
}
