/**
 * The Fréchet distance of *conditionally* generated samples by number of given modalities: which of
 * the plan's conditional rows feed the distance of each (target m, given count k), a bank that keeps
 * the classifier features of those rows (gathered from the coherence pass itself, so nothing is
 * decoded or classified twice), and the distances against the same references as the unconditional
 * Fréchet distance (real test images, the autoencoders' reconstructions).
 *
 * The Fréchet distance is biased upwards by a small sample, so every given count of one target uses
 * the same number of samples n_m = min(reference rows, rows of the smallest (m, k)): the curve over
 * k compares like with like. Within (m, k) the rows are taken in passes over the plan's tuples,
 * each pass drawing tuple position p from another conditioning subset (pass 0 takes p from subset
 * p mod s), so the first n_k samples are n_k distinct tuples spread over every subset. Nothing here
 * depends on the method or the seed: every method is measured on the same rows.
 */
import { frechetDistance, meanCov } from "./frechet.ts";
import type { FeatureStats } from "./ceiling.ts";
import type { EvalPlan } from "./protocol.ts";

/** Which conditional rows feed each (target, given count) Fréchet distance, and where they go. */
export interface FrechetPlan {
  /** Samples per target modality m (the same at every given count); 0 when m has none. */
  rows: number[];
  /** slot[m][r]: the place of row r's sample of target m in its (m, k) bank; −1: not used. */
  slot: Int32Array[];
  /** Given counts k = 1 … M − 1 with at least one conditional row. */
  givens: number[];
  /** The number of given modalities of each conditional row. */
  given: Uint8Array;
}

/** The rows of each (m, k) distance: n_m = min(`referenceRows`, rows of m's smallest k). */
export function frechetPlan(plan: EvalPlan, referenceRows: number): FrechetPlan {
  const mods = plan.modalities, total = plan.rows.subset.length;
  const givens = [...plan.tuples.keys()].sort((a, b) => a - b);
  // index[m][i]: the rank of subset i among the subsets of its size that leave m out; −1: holds m.
  const index = Array.from({ length: mods }, () => new Int32Array(plan.subsets.length).fill(-1));
  const count = Array.from({ length: mods }, () => new Map<number, number>());
  plan.subsets.forEach((s, i) => {
    for (let m = 0; m < mods; m++) {
      if (s.includes(m)) continue;
      const c = count[m].get(s.length) ?? 0;
      index[m][i] = c;
      count[m].set(s.length, c + 1);
    }
  });
  const rows = Array.from({ length: mods }, (_, m) => {
    const avail = givens.map((k) => (count[m].get(k) ?? 0) * plan.tuples.get(k)!.length);
    const some = avail.filter((c) => c > 0);
    return some.length ? Math.min(referenceRows, ...some) : 0;
  });
  const first = new Int32Array(plan.subsets.length).fill(-1);
  for (let r = total - 1; r >= 0; r--) first[plan.rows.subset[r]] = r;
  const slot = Array.from({ length: mods }, (_, m) => {
    const out = new Int32Array(total).fill(-1);
    for (let r = 0; r < total; r++) {
      const si = plan.rows.subset[r], a = index[m][si];
      if (a < 0) continue;
      const k = plan.subsets[si].length;
      const s = count[m].get(k)!, nk = plan.tuples.get(k)!.length, p = r - first[si];
      const rank = (((a - p) % s) + s) % s * nk + p;
      if (rank < rows[m]) out[r] = rank;
    }
    return out;
  });
  const given = Uint8Array.from(plan.rows.subset, (si) => plan.subsets[si].length);
  return { rows, slot, givens, given };
}

/** The classifier features of the rows a {@link FrechetPlan} uses, per (target m, given count k). */
export class FeatureBank {
  /** "m,k" → (n_m, d) features, filled by {@link add}. */
  readonly #feats = new Map<string, Float32Array>();
  #filled = new Map<string, number>();
  #dim = new Map<number, number>();

  constructor(readonly fp: FrechetPlan) {}

  /** Whether any of `rows` (plan row indices) feeds target m's distances. */
  wants(m: number, rows: ArrayLike<number>): boolean {
    const slot = this.fp.slot[m];
    for (let i = 0; i < rows.length; i++) if (slot[rows[i]] >= 0) return true;
    return false;
  }

  /**
   * Keeps the features of the used rows among `rows` (plan row indices with target m);
   * `features` is (rows.length, d) row-major.
   */
  add(m: number, rows: ArrayLike<number>, features: ArrayLike<number>): void {
    const d = features.length / Math.max(1, rows.length);
    const known = this.#dim.get(m);
    if (known !== undefined && known !== d) {
      throw new RangeError(
        `Cannot gather Fréchet features: modality ${m} gave ${d} features per row after ${known}`,
      );
    }
    this.#dim.set(m, d);
    for (let i = 0; i < rows.length; i++) {
      const at = this.fp.slot[m][rows[i]];
      if (at < 0) continue;
      const key = `${m},${this.fp.given[rows[i]]}`;
      let bank = this.#feats.get(key);
      if (!bank) this.#feats.set(key, bank = new Float32Array(this.fp.rows[m] * d));
      for (let j = 0; j < d; j++) bank[at * d + j] = features[i * d + j];
      this.#filled.set(key, (this.#filled.get(key) ?? 0) + 1);
    }
  }

  /** Bytes held (the extra memory of the conditional Fréchet distance). */
  get bytes(): number {
    let b = 0;
    for (const f of this.#feats.values()) b += f.byteLength;
    return b;
  }

  /** Mean and covariance of the features of (m, k); null when m has no features there. */
  stats(m: number, k: number): FeatureStats | null {
    const key = `${m},${k}`, f = this.#feats.get(key);
    if (!f) return null;
    const n = this.fp.rows[m], got = this.#filled.get(key) ?? 0;
    if (got !== n) {
      throw new RangeError(
        `Cannot compute the Fréchet distance of modality ${m} given ${k}: ${got} of its ${n} ` +
          `rows were gathered (the evaluation skipped rows of its plan)`,
      );
    }
    return meanCov(f, n, this.#dim.get(m)!);
  }
}

/** Fréchet distances by given count ("k" → per target modality; null: no features there). */
export type FrechetByGiven = Record<string, (number | null)[]>;

/**
 * The distances of a filled bank against two per-modality references (null: no reference), each
 * (m, k)'s mean and covariance computed once.
 */
export function frechetByGiven(
  bank: FeatureBank,
  refs: { real: readonly (FeatureStats | null)[]; reconstructed: readonly (FeatureStats | null)[] },
): { real: FrechetByGiven; reconstructed: FrechetByGiven } {
  const real: FrechetByGiven = {}, reconstructed: FrechetByGiven = {};
  const mods = refs.real.length;
  for (const k of bank.fp.givens) {
    const r: (number | null)[] = [], c: (number | null)[] = [];
    for (let m = 0; m < mods; m++) {
      const st = refs.real[m] || refs.reconstructed[m] ? bank.stats(m, k) : null;
      r.push(st && refs.real[m] ? frechetDistance(st, refs.real[m]!) : null);
      c.push(st && refs.reconstructed[m] ? frechetDistance(st, refs.reconstructed[m]!) : null);
    }
    real[String(k)] = r;
    reconstructed[String(k)] = c;
  }
  return { real, reconstructed };
}
