/**
 * Standardisation: the round trip lift(project(z)) returns z (f64 reference: to rounding), the
 * standardised train latents have zero mean and unit variance per dimension on a toy case with
 * known scales, and a constant dimension keeps σ = 1.
 */
import assert from "node:assert/strict";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { Rng } from "../../engine/random.ts";
import { assertAllClose } from "../../engine/testing.ts";
import { Tensor } from "../../engine/tensor.ts";
import { fitStandardization, StandardizeMaps } from "./standardize.ts";

/** n rows of d = 3: scales 5, 0.01, and a constant column; means 3, −2, 7. */
function toy(n: number): Float64Array {
  const rng = new Rng(4);
  const z = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    z[i * 3] = 3 + 5 * rng.normal();
    z[i * 3 + 1] = -2 + 0.01 * rng.normal();
    z[i * 3 + 2] = 7;
  }
  return z;
}

Deno.test("standardisation: zero mean, unit variance on the train latents, exact round trip", async () => {
  const be = new ReferenceBackend();
  const n = 500;
  const z = toy(n);
  const st = fitStandardization(z, n, 3);
  assert.equal(st.std[2], 1, "a constant dimension keeps σ = 1");
  const maps = new StandardizeMaps(be, st);
  const zt = Tensor.from(be, z, [n, 3]);
  const y = await maps.project(zt).data();
  for (let j = 0; j < 2; j++) {
    let m = 0, v = 0;
    for (let i = 0; i < n; i++) m += y[i * 3 + j] / n;
    for (let i = 0; i < n; i++) v += (y[i * 3 + j] - m) ** 2 / n;
    assert.ok(Math.abs(m) < 1e-12, `mean of dim ${j}: ${m}`);
    assert.ok(Math.abs(v - 1) < 1e-12, `variance of dim ${j}: ${v}`);
  }
  // The fitted scales are the toy's (within sampling error).
  assert.ok(Math.abs(st.std[0] - 5) < 0.5 && Math.abs(st.std[1] - 0.01) < 1e-3, `${st.std}`);
  const back = await maps.lift(maps.project(zt)).data();
  assertAllClose(back, z, { atol: 1e-12, rtol: 1e-14, label: "round trip" });
  assert.throws(() => maps.project(Tensor.full(be, [2, 4], 0)), /must be \(B, 3\)/);
  assert.throws(() => fitStandardization(z, 0, 3), /need n ≥ 1 rows/);
  maps.dispose();
});
