/**
 * The diagnostic matrix of score-ratio matching and the certified rank choice (DESIGN stage 5):
 * H = (1/n) Σ_i s(u_i) s(u_i)ᵀ, each modality's diagonal block H_mm eigendecomposed (Wasm `eigh`),
 * ranks r_m by `selectRanks` so that ½ Σ_m Σ_{i>r_m} λ_{m,i} < ε, and the bases U_m = the top r_m
 * eigenvectors. With ρ = N(0, I) (log-Sobolev constant 1) D_KL(π‖π_r) ≤ that bound, where π_r keeps
 * the law of y = Wᵀu, W = diag(U_1..U_M), and replaces the rest by ρ. Host-side f64; not the
 * deflation algorithm of the paper.
 */
import { eigh, selectRanks } from "../../wasm/linalg/mod.ts";
import { evaluateScoreRatio, type ScoreRatioNet } from "./score_ratio.ts";
import { checkDims, checkRows } from "./whitening.ts";

/**
 * H = (1/n) Σ_i s_i s_iᵀ for score values s (n, D).
 *
 * @param s (n, D) row-major score-ratio values.
 * @param n number of rows, ≥ 1.
 * @param d D.
 * @returns (D, D) row-major symmetric H.
 */
export function diagnosticMatrix(s: ArrayLike<number>, n: number, d: number): Float64Array {
  checkRows("compute diagnostic matrix", "s", s, n, d);
  if (n < 1) {
    throw new RangeError("Cannot compute diagnostic matrix: n must be >= 1: current value is 0");
  }
  const h = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const base = i * d;
    for (let j = 0; j < d; j++) {
      const sj = s[base + j];
      for (let k = 0; k <= j; k++) h[j * d + k] += sj * s[base + k];
    }
  }
  for (let j = 0; j < d; j++) {
    for (let k = 0; k <= j; k++) {
      h[j * d + k] /= n;
      h[k * d + j] = h[j * d + k];
    }
  }
  return h;
}

/**
 * H of a trained network over whitened latents u (n, D): evaluates s_θ in chunks, then
 * {@linkcode diagnosticMatrix}.
 */
export async function estimateDiagnostic(
  net: ScoreRatioNet,
  u: ArrayLike<number>,
  n: number,
): Promise<Float64Array> {
  return diagnosticMatrix(await evaluateScoreRatio(net, u, n), n, net.dim);
}

/** Eigenpairs of one diagonal block, largest first. */
export interface BlockSpectrum {
  /** (d) eigenvalues, descending. */
  values: Float64Array;
  /** (d, d) row-major; column j is the unit eigenvector of values[j]. */
  vectors: Float64Array;
}

/** Extracts the diagonal block H_mm (d_m, d_m) of H (D, D). */
export function diagonalBlock(
  h: Float64Array,
  total: number,
  offset: number,
  d: number,
): Float64Array {
  const out = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < d; k++) out[j * d + k] = h[(offset + j) * total + offset + k];
  }
  return out;
}

/**
 * Eigendecomposition of each diagonal block H_mm, eigenvalues descending.
 *
 * @param h (D, D) row-major symmetric matrix.
 * @param dims d_m of each block.
 */
export function blockSpectra(h: Float64Array, dims: readonly number[]): BlockSpectrum[] {
  const total = checkDims("compute block spectra", dims);
  checkRows("compute block spectra", "h", h, total, total);
  let offset = 0;
  return dims.map((d) => {
    const { values, vectors } = eigh(diagonalBlock(h, total, offset, d), d);
    offset += d;
    const v = new Float64Array(d), w = new Float64Array(d * d);
    for (let j = 0; j < d; j++) {
      v[j] = values[d - 1 - j];
      for (let i = 0; i < d; i++) w[i * d + j] = vectors[i * d + d - 1 - j];
    }
    return { values: v, vectors: w };
  });
}

/** How ranks are chosen by {@linkcode selectReduction}. */
export interface RankOptions {
  /** The tolerance ε of the bound. Default 0.1. */
  epsilon?: number;
  /** "fraction" (default): ε is a fraction of ½ tr H; "absolute": ε as given. */
  epsilonMode?: "fraction" | "absolute";
  /** Fixed rank per modality: overrides ε (the bound is still computed). */
  ranks?: readonly number[];
}

/** The chosen reduction. */
export interface ReductionSelection {
  dims: number[];
  /** Rank r_m kept per modality. */
  ranks: number[];
  /** Certified bound ½ Σ_m Σ_{i>r_m} λ_{m,i} on D_KL(π‖π_r). */
  bound: number;
  /** The absolute ε used (NaN when fixed ranks were given). */
  epsilon: number;
  /** tr H. */
  trace: number;
  /** Per-block spectra, descending. */
  spectra: BlockSpectrum[];
  /** U_m: (d_m, r_m) row-major, the top r_m eigenvectors of H_mm. */
  bases: Float64Array[];
}

/** ½ Σ of the values past the first r (negative roundoff counted as zero). */
function tail(values: Float64Array, r: number): number {
  let s = 0;
  for (let i = values.length - 1; i >= r; i--) s += Math.max(0, values[i]);
  return 0.5 * s;
}

/** The first r columns of a row-major (d, d) matrix, as (d, r). */
export function leadingColumns(vectors: Float64Array, d: number, r: number): Float64Array {
  const out = new Float64Array(d * r);
  for (let i = 0; i < d; i++) for (let j = 0; j < r; j++) out[i * r + j] = vectors[i * d + j];
  return out;
}

/** Absolute ε from the options (fraction of ½ tr H by default). */
function absoluteEpsilon(trace: number, epsilon: number, mode: string): number {
  if (mode !== "fraction" && mode !== "absolute") {
    throw new RangeError(
      `Cannot select reduction: epsilonMode must be "fraction" or "absolute": current value is ${mode}`,
    );
  }
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) {
    throw new RangeError(
      `Cannot select reduction: epsilon must be a positive finite number: current value is ${epsilon}`,
    );
  }
  return mode === "fraction" ? epsilon * 0.5 * trace : epsilon;
}

/**
 * Chooses per-modality ranks and bases from H: the fewest total dimensions whose certified bound
 * is below ε (`selectRanks`), or the given fixed ranks.
 *
 * @param h (D, D) diagnostic matrix.
 * @param dims d_m of each modality.
 * @param options ε (fraction of ½ tr H by default) or fixed ranks.
 * @returns ranks, bound, spectra and bases.
 * @example
 * ```ts
 * import { selectReduction } from "./diagnostic.ts";
 * const h = new Float64Array([4, 0, 0, 0, 1e-3, 0, 0, 0, 2]); // blocks [2, 1]
 * selectReduction(h, [2, 1], { epsilon: 0.01 }).ranks; // [1, 1]
 * ```
 */
export function selectReduction(
  h: Float64Array,
  dims: readonly number[],
  options: RankOptions = {},
): ReductionSelection {
  const spectra = blockSpectra(h, dims);
  const total = dims.reduce((a, b) => a + b, 0);
  let trace = 0;
  for (let j = 0; j < total; j++) trace += h[j * total + j];
  let ranks: number[];
  let epsilon = NaN;
  if (options.ranks) {
    if (options.ranks.length !== dims.length) {
      throw new RangeError(
        `Cannot select reduction: ranks must give one rank per modality (${dims.length}): ` +
          `current length is ${options.ranks.length}`,
      );
    }
    options.ranks.forEach((r, m) => {
      if (!Number.isInteger(r) || r < 0 || r > dims[m]) {
        throw new RangeError(
          `Cannot select reduction: ranks[${m}] must be an integer in [0, ${
            dims[m]
          }]: current value is ${r}`,
        );
      }
    });
    ranks = [...options.ranks];
  } else {
    epsilon = absoluteEpsilon(trace, options.epsilon ?? 0.1, options.epsilonMode ?? "fraction");
    ranks = epsilon > 0
      ? selectRanks(spectra.map((s) => s.values), epsilon).ranks
      : dims.map(() => 0);
  }
  const bound = spectra.reduce((acc, s, m) => acc + tail(s.values, ranks[m]), 0);
  const bases = spectra.map((s, m) => leadingColumns(s.vectors, dims[m], ranks[m]));
  return { dims: [...dims], ranks, bound, epsilon, trace, spectra, bases };
}

/** One point of an ε sweep. */
export interface SweepPoint {
  /** ε as a fraction of ½ tr H. */
  fraction: number;
  /** Absolute ε. */
  epsilon: number;
  ranks: number[];
  totalRank: number;
  bound: number;
}

/**
 * Ranks, total rank and bound for each ε given as a fraction of ½ tr H.
 *
 * @param h (D, D) diagnostic matrix.
 * @param dims d_m of each modality.
 * @param fractions ε fractions, each > 0.
 */
export function epsilonSweep(
  h: Float64Array,
  dims: readonly number[],
  fractions: readonly number[],
): SweepPoint[] {
  return fractions.map((fraction) => {
    const r = selectReduction(h, dims, { epsilon: fraction, epsilonMode: "fraction" });
    const totalRank = r.ranks.reduce((a, b) => a + b, 0);
    return { fraction, epsilon: r.epsilon, ranks: r.ranks, totalRank, bound: r.bound };
  });
}

/**
 * ½ tr((I − P) H) for P = diag(U_m U_mᵀ) with any orthonormal bases U_m (d_m, r_m): the certified
 * bound of that reduction under the H given (equal to ½ Σ discarded eigenvalues when U_m are the
 * top eigenvectors of H_mm).
 */
export function projectionBound(
  h: Float64Array,
  dims: readonly number[],
  bases: readonly Float64Array[],
): number {
  const total = checkDims("compute projection bound", dims);
  let offset = 0, acc = 0;
  dims.forEach((d, m) => {
    const r = bases[m].length / d;
    if (!Number.isInteger(r)) {
      throw new TypeError(
        `Cannot compute projection bound: bases[${m}] length ${
          bases[m].length
        } is not a multiple of ${d}`,
      );
    }
    const u = bases[m];
    let tr = 0, kept = 0;
    for (let j = 0; j < d; j++) tr += h[(offset + j) * total + offset + j];
    // tr(Uᵀ H_mm U)
    for (let c = 0; c < r; c++) {
      for (let j = 0; j < d; j++) {
        let row = 0;
        for (let k = 0; k < d; k++) row += h[(offset + j) * total + offset + k] * u[k * r + c];
        kept += u[j * r + c] * row;
      }
    }
    acc += 0.5 * (tr - kept);
    offset += d;
  });
  return acc;
}
