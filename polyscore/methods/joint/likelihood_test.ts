import assert from "node:assert/strict";
import { ReferenceBackend } from "../../../engine/reference/backend.ts";
import { Tensor, tidy } from "../../../engine/tensor.ts";
import { assertAllClose, randomArray } from "../../../engine/testing.ts";
import * as ops from "../../../engine/ops/mod.ts";
import { assertGradMatchesFiniteDifferences, refData } from "./_gradcheck.ts";
import {
  bernoulliLogLik,
  gaussianLogDensity,
  gaussianLogLik,
  klGaussians,
  klToStandard,
  laplaceLogLik,
  reparameterize,
} from "./likelihood.ts";

const be = new ReferenceBackend();
const B = 2, D = 3;
const t = (v: ArrayLike<number>, shape: number[]) => Tensor.from(be, v, shape);
const sig = (x: number) => 1 / (1 + Math.exp(-x));

Deno.test("laplaceLogLik, gaussianLogLik and bernoulliLogLik equal their formulas row by row, in f64", () => {
  const logits = randomArray(2 * 1 * 2 * 2, 1, -2, 2), x = randomArray(8, 2, 0, 1);
  const xb = Float64Array.from(x, (v) => v > 0.5 ? 1 : 0);
  const scale = 0.75;
  tidy(() => {
    const lap = refData(laplaceLogLik(t(logits, [2, 1, 2, 2]), t(x, [2, 1, 2, 2]), scale));
    const ber = refData(bernoulliLogLik(t(logits, [2, 4]), t(xb, [2, 4])));
    const gau = refData(gaussianLogLik(t(logits, [2, 4]), t(x, [2, 4]), 0.3));
    for (let r = 0; r < 2; r++) {
      let l = 0, b = 0, g = 0;
      for (let j = 0; j < 4; j++) {
        const k = r * 4 + j, p = sig(logits[k]);
        l += -Math.abs(x[k] - p) / scale - Math.log(2 * scale);
        b += xb[k] * Math.log(p) + (1 - xb[k]) * Math.log(1 - p);
        g += -((x[k] - p) ** 2) / (2 * 0.09) - 0.5 * Math.log(2 * Math.PI * 0.09);
      }
      assertAllClose([lap[r], ber[r], gau[r]], [l, b, g], {
        atol: 1e-12,
        rtol: 1e-12,
        label: `row ${r}`,
      });
    }
  });
  assert.throws(() => laplaceLogLik(t([0], [1, 1]), t([0], [1, 1]), 0), /scale must be > 0/);
  assert.throws(() => gaussianLogLik(t([0], [1, 1]), t([0], [1, 1]), -1), /scale must be > 0/);
});

Deno.test("the Gaussian KLs, log density and reparameterisation equal their formulas, in f64", () => {
  const [mq, lq, mp, lp, z, eps] = [1, 2, 3, 4, 5, 6].map((s) => randomArray(B * D, s, -1, 1));
  tidy(() => {
    const q = { mu: t(mq, [B, D]), logvar: t(lq, [B, D]) };
    const p = { mu: t(mp, [B, D]), logvar: t(lp, [B, D]) };
    const kl0 = refData(klToStandard(q)), kl = refData(klGaussians(q, p));
    const ld = refData(gaussianLogDensity(t(z, [B, D]), q));
    const rz = refData(reparameterize(q, t(eps, [B, D])));
    for (let r = 0; r < B; r++) {
      let e0 = 0, e1 = 0, e2 = 0;
      for (let j = 0; j < D; j++) {
        const k = r * D + j;
        e0 += 0.5 * (Math.exp(lq[k]) + mq[k] ** 2 - 1 - lq[k]);
        e1 += 0.5 *
          (lp[k] - lq[k] + (Math.exp(lq[k]) + (mq[k] - mp[k]) ** 2) / Math.exp(lp[k]) - 1);
        e2 += -0.5 * (Math.log(2 * Math.PI) + lq[k] + (z[k] - mq[k]) ** 2 / Math.exp(lq[k]));
        assert.ok(Math.abs(rz[k] - (mq[k] + Math.exp(0.5 * lq[k]) * eps[k])) < 1e-12);
      }
      assertAllClose([kl0[r], kl[r], ld[r]], [e0, e1, e2], { atol: 1e-12, rtol: 1e-12 });
    }
    // KL(q ‖ q) = 0 and KL(q ‖ N(0, I)) is klGaussians against the standard expert.
    assertAllClose(refData(klGaussians(q, q)), [0, 0], { atol: 1e-12 });
    const std = {
      mu: t(new Float64Array(B * D), [B, D]),
      logvar: t(new Float64Array(B * D), [B, D]),
    };
    assertAllClose(refData(klGaussians(q, std)), kl0, { atol: 1e-12 });
  });
});

Deno.test("the likelihoods, KLs and reparameterisation have gradients that match finite differences", () => {
  const params = [1, 2, 3, 4].map((s) =>
    t(randomArray(B * D, 10 + s, -1, 1), [B, D]).requireGrad()
  );
  const [a, b, c, d] = params;
  const x = t(randomArray(B * D, 20, 0.05, 0.95), [B, D]);
  const eps = t(randomArray(B * D, 21, -1, 1), [B, D]);
  const w = t([0.3, -1.7], [B]);
  const weighted = (v: Tensor) => ops.sumAll(ops.mul(v, w));
  assertGradMatchesFiniteDifferences(params, () => {
    const q = { mu: a, logvar: b }, p = { mu: c, logvar: d };
    const z = reparameterize(q, eps);
    return ops.add(
      ops.add(
        ops.add(weighted(laplaceLogLik(a, x, 0.75)), weighted(bernoulliLogLik(c, x))),
        weighted(gaussianLogLik(d, x, 0.3)),
      ),
      ops.add(
        ops.add(weighted(klToStandard(q)), weighted(klGaussians(q, p))),
        weighted(gaussianLogDensity(z, p)),
      ),
    );
  }, { label: "joint likelihood terms" });
});
