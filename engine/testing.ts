/**
 * Test helpers shared by every backend's tests: `assertAllClose` (llm.c's check_tensor in spirit)
 * and seeded random inputs.
 */
import { Rng } from "./random.ts";

/** Options of `assertAllClose`: an element passes if |a − e| ≤ atol + rtol·|e|. */
export interface CloseOptions {
  atol?: number;
  rtol?: number;
  label?: string;
}

/**
 * Throws unless every element of `actual` is within atol + rtol·|expected| of `expected`; the error
 * names the label, the worst element and the first mismatches.
 */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  opts: CloseOptions = {},
): void {
  const atol = opts.atol ?? 1e-6, rtol = opts.rtol ?? 1e-4, label = opts.label ?? "tensor";
  if (actual.length !== expected.length) {
    throw new Error(`${label}: length ${actual.length} differs from expected ${expected.length}`);
  }
  let worst = -1, worstDiff = -1;
  const bad: string[] = [];
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    const diff = Math.abs(a - e);
    const ok = diff <= atol + rtol * Math.abs(e) || (Number.isNaN(a) && Number.isNaN(e)) ||
      (a === e);
    if (!ok || Number.isNaN(diff) && !(Number.isNaN(a) && Number.isNaN(e))) {
      if (bad.length < 5) bad.push(`[${i}] ${a} vs ${e}`);
      if (!(diff <= worstDiff)) {
        worstDiff = diff;
        worst = i;
      }
    }
  }
  if (bad.length) {
    throw new Error(
      `${label}: not close (atol ${atol}, rtol ${rtol}): max abs diff ${worstDiff} at [${worst}]; first: ${
        bad.join(", ")
      }`,
    );
  }
}

/** n seeded values uniform in [lo, hi). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const rng = new Rng(seed);
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}
