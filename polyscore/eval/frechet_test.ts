import { assertAllClose } from "../../engine/testing.ts";
import { frechetDistance, meanCov } from "./frechet.ts";
import { conditioningSubsets } from "./subsets.ts";

Deno.test("frechetDistance() matches the closed form for diagonal Gaussians", () => {
  // For diagonal covariances FD = Σ (μ1−μ2)² + Σ (√c1 − √c2)².
  const d = 3;
  const a = { mean: Float64Array.from([0, 1, 2]), cov: new Float64Array(d * d) };
  const b = { mean: Float64Array.from([1, 1, 0]), cov: new Float64Array(d * d) };
  const ca = [1, 4, 9], cb = [4, 1, 1];
  ca.forEach((v, i) => (a.cov[i * d + i] = v));
  cb.forEach((v, i) => (b.cov[i * d + i] = v));
  const want = 1 + 0 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + (3 - 1) ** 2;
  assertAllClose([frechetDistance(a, b)], [want], { atol: 1e-9, label: "FD" });
  assertAllClose([frechetDistance(a, a)], [0], { atol: 1e-9, label: "FD(a, a)" });
});

Deno.test("meanCov() gives the unbiased sample covariance", () => {
  const x = Float32Array.from([1, 2, 3, 6, 5, 10]); // rows (1,2), (3,6), (5,10)
  const { mean, cov } = meanCov(x, 3, 2);
  assertAllClose(mean, [3, 6], { label: "mean" });
  assertAllClose(cov, [4, 8, 8, 16], { label: "cov" });
});

Deno.test("conditioningSubsets() lists all 2^M − 2 subsets for M ≤ 5 and samples for larger M", () => {
  const s5 = conditioningSubsets(5, 3, 1);
  if (s5.length !== 30) throw new Error(`expected 30 subsets, got ${s5.length}`);
  if (s5[0].length !== 1 || s5[29].length !== 4) throw new Error("subsets not ordered by size");
  const s10 = conditioningSubsets(10, 3, 1);
  if (s10.length !== 27) throw new Error(`expected 9 sizes × 3, got ${s10.length}`);
  const again = conditioningSubsets(10, 3, 1);
  if (JSON.stringify(again) !== JSON.stringify(s10)) throw new Error("sampling not deterministic");
});
