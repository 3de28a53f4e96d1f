/**
 * The conditioning subsets of an evaluation: every non-empty proper subset of the M modalities
 * when M ≤ 5 (2^M − 2 of them), else a fixed seeded sample of `perSize` subsets per size.
 */
import { Rng } from "../../engine/random.ts";

/** Subsets as sorted arrays of modality indices, ordered by size then lexicographically. */
export function conditioningSubsets(m: number, perSize: number, seed: number): number[][] {
  if (m <= 5) {
    const out: number[][] = [];
    for (let mask = 1; mask < (1 << m) - 1; mask++) {
      out.push(Array.from({ length: m }, (_, i) => i).filter((i) => mask & (1 << i)));
    }
    return out.sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()));
  }
  const rng = new Rng(seed);
  const out: number[][] = [];
  for (let k = 1; k < m; k++) {
    const seen = new Set<string>();
    let tries = 0;
    while (seen.size < perSize && tries++ < perSize * 50) {
      const perm = Array.from(rng.permutation(m)).slice(0, k).sort((a, b) => a - b);
      const key = perm.join(",");
      if (!seen.has(key)) {
        seen.add(key);
        out.push(perm);
      }
    }
  }
  return out;
}
