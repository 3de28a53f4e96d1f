/**
 * Test helper: checks the gradient of a scalar objective with respect to reference-backend (f64)
 * tensors against central finite differences, perturbing each element of each tensor in place.
 */
import { grad, noGrad, type Tensor, tidy } from "../../../engine/tensor.ts";
import { assertAllClose } from "../../../engine/testing.ts";

/** The f64 storage of a reference-backend tensor (read and written in place). */
export function refData(t: Tensor): Float64Array {
  return (t.buf as unknown as { data: Float64Array }).data.subarray(0, t.size);
}

/** Asserts ∂loss/∂wrt ≈ (loss(w + h) − loss(w − h)) / 2h for every element of every tensor. */
export function assertGradMatchesFiniteDifferences(
  wrt: readonly Tensor[],
  loss: () => Tensor,
  opts: { h?: number; atol?: number; rtol?: number; label?: string } = {},
): void {
  const h = opts.h ?? 1e-6;
  const analytic = tidy(() =>
    grad(loss(), wrt).map((g, i) =>
      g ? Float64Array.from(refData(g)) : new Float64Array(wrt[i].size)
    )
  );
  const value = () => tidy(() => noGrad(() => refData(loss())[0]));
  wrt.forEach((t, i) => {
    const v = refData(t);
    const numeric = new Float64Array(v.length);
    for (let j = 0; j < v.length; j++) {
      const keep = v[j];
      v[j] = keep + h;
      const up = value();
      v[j] = keep - h;
      const down = value();
      v[j] = keep;
      numeric[j] = (up - down) / (2 * h);
    }
    assertAllClose(analytic[i], numeric, {
      atol: opts.atol ?? 1e-6,
      rtol: opts.rtol ?? 1e-5,
      label: `${opts.label ?? "gradient"} of tensor ${i}`,
    });
  });
}
