/**
 * A tiny MMVAE+ problem for the objective's tests: linear encoders and decoders on flat data, fixed
 * weights and fixed Laplace noise, evaluated by mixtureIwae on any backend and, independently, by a
 * plain f64 loop implementation of the bound (no engine ops) that the tests hold it to.
 */
import type { Backend } from "../../../engine/backend.ts";
import * as ops from "../../../engine/ops/mod.ts";
import { Rng } from "../../../engine/random.ts";
import { Tensor } from "../../../engine/tensor.ts";
import { mixtureIwae, SCALE_ETA, softmaxScale } from "./mixture_iwae.ts";
import { likelihoodRows } from "./mmvaeplus_model.ts";

/** Sizes, data, weights and noise of the problem. */
export interface TinyProblem {
  m: number;
  b: number;
  k: number;
  w: number;
  z: number;
  /** Elements per modality. */
  p: number;
  beta: number;
  likelihood: "laplace" | "gaussian";
  likelihoodScale: number;
  /** x per modality, (B, P) in [0, 1]. */
  x: Float64Array[];
  /** Parameter values by name, and their shapes. */
  params: Record<string, Float64Array>;
  shapes: Record<string, number[]>;
  /** Laplace(0, 1) noise in mixtureIwae's draw order. */
  noise: Float64Array[];
}

/** The parameter names of modality m: encoder loc (A, a), scale logits (C, c), decoder (E, e), ρ. */
const names = (m: number) => ["A", "a", "C", "c", "E", "e", "rho"].map((n) => `${n}${m}`);

/** A seeded problem: 3 modalities, B = 2, K = 3, W = 2, Z = 3, P = 4, β = 1.7. */
export function tinyProblem(seed = 1): TinyProblem {
  const rng = new Rng(seed);
  const [m, b, k, w, z, p] = [3, 2, 3, 2, 3, 4];
  const d = w + z;
  const arr = (n: number, lo: number, hi: number) =>
    Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
  const params: Record<string, Float64Array> = {};
  const shapes: Record<string, number[]> = {};
  for (let i = 0; i < m; i++) {
    const sh: [string, number[]][] = [
      [`A${i}`, [d, p]],
      [`a${i}`, [d]],
      [`C${i}`, [d, p]],
      [`c${i}`, [d]],
      [`E${i}`, [p, d]],
      [`e${i}`, [p]],
      [`rho${i}`, [1, w]],
    ];
    for (const [n, s] of sh) {
      shapes[n] = s;
      params[n] = arr(s.reduce((x, y) => x * y, 1), -0.8, 0.8);
    }
  }
  const lap = () => Math.log(1 - rng.uniform()) - Math.log(1 - rng.uniform());
  const noise: Float64Array[] = [];
  for (let i = 0; i < m; i++) noise.push(Float64Array.from({ length: k * b * d }, lap));
  for (let t = 0; t < m; t++) {
    for (let r = 0; r < m; r++) {
      if (r !== t) noise.push(Float64Array.from({ length: k * b * w }, lap));
    }
  }
  const x = Array.from({ length: m }, () => arr(b * p, 0, 1));
  return {
    m,
    b,
    k,
    w,
    z,
    p,
    beta: 1.7,
    likelihood: "laplace",
    likelihoodScale: 0.75,
    x,
    params,
    shapes,
    noise,
  };
}

/** The bound through mixtureIwae on `be`; the parameter tensors (in name order) require grads. */
export function objectiveOn(
  be: Backend,
  prob: TinyProblem,
): { loss: Tensor; params: Tensor[]; names: string[] } {
  const all = Array.from({ length: prob.m }, (_, i) => names(i)).flat();
  const t: Record<string, Tensor> = {};
  for (const n of all) t[n] = Tensor.from(be, prob.params[n], prob.shapes[n]).requireGrad();
  const xs = prob.x.map((v) => Tensor.from(be, v, [prob.b, prob.p]));
  let draw = 0;
  const terms = mixtureIwae({
    posteriors: xs.map((x, i) => {
      const logits = ops.linear(x, t[`C${i}`], t[`c${i}`]);
      const [lw, lz] = ops.split(logits, [prob.w, prob.z]);
      return {
        loc: ops.linear(x, t[`A${i}`], t[`a${i}`]),
        scale: ops.concat([softmaxScale(lw), softmaxScale(lz)], 1),
      };
    }),
    priorWScale: xs.map((_, i) => softmaxScale(t[`rho${i}`], 0)),
    logLikelihood: (i, u) =>
      likelihoodRows(
        prob.likelihood,
        ops.linear(u, t[`E${i}`], t[`e${i}`]),
        xs[i],
        prob.likelihoodScale,
      ),
    noise: (shape) => {
      const v = prob.noise[draw++];
      if (!v || v.length !== shape.reduce((x, y) => x * y, 1)) {
        throw new Error(`noise draw ${draw - 1} of shape [${shape}] does not match the fixture`);
      }
      return Tensor.from(be, v, shape);
    },
  }, { w: prob.w, z: prob.z, k: prob.k, beta: prob.beta });
  return { loss: terms.loss, params: all.map((n) => t[n]), names: all };
}

// ---- the independent f64 implementation ----

function lse(a: number[]): number {
  const mx = Math.max(...a);
  return mx + Math.log(a.reduce((s, v) => s + Math.exp(v - mx), 0));
}

function softmaxScaleF64(l: ArrayLike<number>, eta: number): number[] {
  const arr = Array.from(l);
  const mx = Math.max(...arr);
  const e = arr.map((v) => Math.exp(v - mx));
  const s = e.reduce((a, v) => a + v, 0);
  return e.map((v) => (v / s) * arr.length + eta);
}

const lapLog = (x: number, mu: number, s: number) => -Math.log(2 * s) - Math.abs(x - mu) / s;

/** y = W x + c with W (O, I) row-major. */
function affineF64(wt: Float64Array, c: Float64Array, x: ArrayLike<number>): number[] {
  const o = c.length, n = x.length;
  return Array.from({ length: o }, (_, i) => {
    let s = c[i];
    for (let j = 0; j < n; j++) s += wt[i * n + j] * x[j];
    return s;
  });
}

/** −bound of the problem with the given parameter values, in plain f64 loops. */
export function objectiveF64(prob: TinyProblem, params = prob.params): number {
  const { m, b, k, w, z, p } = prob;
  const d = w + z;
  const row = (i: number, r: number) => prob.x[i].subarray(r * p, (r + 1) * p);
  const loc: number[][][] = [], scale: number[][][] = [];
  for (let i = 0; i < m; i++) {
    loc.push([]);
    scale.push([]);
    for (let r = 0; r < b; r++) {
      loc[i].push(affineF64(params[`A${i}`], params[`a${i}`], row(i, r)));
      const l = affineF64(params[`C${i}`], params[`c${i}`], row(i, r));
      scale[i].push([
        ...softmaxScaleF64(l.slice(0, w), SCALE_ETA),
        ...softmaxScaleF64(l.slice(w), SCALE_ETA),
      ]);
    }
  }
  let draw = 0;
  // u[i][s][r] = loc + scale·ε.
  const u = Array.from({ length: m }, (_, i) => {
    const eps = prob.noise[draw++];
    return Array.from({ length: k }, (_, s) =>
      Array.from({ length: b }, (_, r) =>
        Array.from(
          { length: d },
          (_, j) => loc[i][r][j] + scale[i][r][j] * eps[(s * b + r) * d + j],
        )));
  });
  const priorW = Array.from({ length: m }, (_, i) => softmaxScaleF64(params[`rho${i}`], 0));
  const ll = (t: number, r: number, latent: number[]) => {
    const mean = affineF64(params[`E${t}`], params[`e${t}`], latent).map((v) =>
      1 / (1 + Math.exp(-v))
    );
    const x = row(t, r);
    const sd = prob.likelihoodScale;
    const gaussLog = (v: number, mu: number) =>
      -((v - mu) ** 2) / (2 * sd * sd) - 0.5 * Math.log(2 * Math.PI * sd * sd);
    return mean.reduce(
      (s, mu, j) => s + (prob.likelihood === "laplace" ? lapLog(x[j], mu, sd) : gaussLog(x[j], mu)),
      0,
    );
  };
  // logLik[c][s][r] over targets t.
  const logLik = Array.from(
    { length: m },
    () => Array.from({ length: k }, () => new Array(b).fill(0)),
  );
  for (let t = 0; t < m; t++) {
    for (let c = 0; c < m; c++) {
      const eps = c === t ? null : prob.noise[draw++];
      for (let s = 0; s < k; s++) {
        for (let r = 0; r < b; r++) {
          const latent = eps
            ? [
              ...Array.from({ length: w }, (_, j) => priorW[t][j] * eps[(s * b + r) * w + j]),
              ...u[c][s][r].slice(w),
            ]
            : u[c][s][r];
          logLik[c][s][r] += ll(t, r, latent);
        }
      }
    }
  }
  let bound = 0;
  for (let c = 0; c < m; c++) {
    for (let r = 0; r < b; r++) {
      const lw: number[] = [];
      for (let s = 0; s < k; s++) {
        const uu = u[c][s][r];
        const lpu = uu.reduce((a, v) => a + lapLog(v, 0, 1), 0);
        const lqz = lse(Array.from({ length: m }, (_, e) => {
          let a = 0;
          for (let j = w; j < d; j++) a += lapLog(uu[j], loc[e][r][j], scale[e][r][j]);
          return a;
        })) - Math.log(m);
        let lqw = 0;
        for (let j = 0; j < w; j++) lqw += lapLog(uu[j], loc[c][r][j], scale[c][r][j]);
        lw.push(logLik[c][s][r] + prob.beta * (lpu - lqz - lqw));
      }
      bound += lse(lw) - Math.log(k);
    }
  }
  return -bound / (m * b);
}
