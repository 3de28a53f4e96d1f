import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { Tensor, tidy } from "../../engine/tensor.ts";
import { assertAllClose, randomArray } from "../../engine/testing.ts";
import { assertGradMatchesFiniteDifferences, refData } from "./joint/_gradcheck.ts";
import { handKl, HandModel, handPoe, LATENT, tinyBatch, TinyModel } from "./joint/_tiny_model.ts";
import { mvtcaeLoss } from "./mvtcae.ts";

const be = new ReferenceBackend();
const B = 3, M = 2;
const OPTS = { alpha: 5 / 6, beta: 2.5 };

/** The MVTCAE loss of the tiny model computed by hand in f64. */
function mvtcaeByHand(model: TinyModel, xs: number[][][], eps: number[][]) {
  const hand = new HandModel(model.values());
  const experts = xs.map((x, m) => hand.encode(m, x));
  let recon = 0, kl = 0, cond = 0;
  for (let r = 0; r < B; r++) {
    const rowExperts = experts.map((e) => ({ mu: e.mu[r], lv: e.lv[r] }));
    const q = handPoe(rowExperts); // no prior expert
    const z = q.mu.map((m, i) => m + Math.exp(0.5 * q.lv[i]) * eps[r][i]);
    for (let m = 0; m < M; m++) {
      recon -= hand.logLik(m, z, xs[m][r]) / B;
      cond += handKl(q, rowExperts[m]) / B;
    }
    kl += handKl(q) / B;
  }
  const { alpha, beta } = OPTS;
  const loss = (M - alpha) / M * recon + beta * ((1 - alpha) * kl + alpha / M * cond);
  return { loss, recon, kl, cond };
}

function setup() {
  const model = new TinyModel(be, 80);
  const xs = tinyBatch(B, 90);
  const epsFlat = randomArray(B * LATENT, 100, -1.5, 1.5);
  const eps = Array.from({ length: B }, (_, r) => Array.from(epsFlat.subarray(r * 2, r * 2 + 2)));
  const xt = xs.map((x) => Tensor.from(be, x.flat(), [B, x[0].length]));
  return { model, xs, eps, xt, et: Tensor.from(be, epsFlat, [B, LATENT]) };
}

Deno.test("mvtcaeLoss equals the total-correlation objective computed by hand on a tiny model", () => {
  const { model, xs, eps, xt, et } = setup();
  const want = mvtcaeByHand(model, xs, eps);
  tidy(() => {
    const got = mvtcaeLoss(model, xt, et, OPTS);
    assertAllClose(
      [got.loss, got.terms.recon, got.terms.kl, got.terms.cond_kl].map((t) => refData(t)[0]),
      [want.loss, want.recon, want.kl, want.cond],
      { atol: 1e-10, rtol: 1e-10, label: "MVTCAE loss, recon, KL, conditional KL" },
    );
  });
});

Deno.test("mvtcaeLoss has parameter gradients that match finite differences", () => {
  const { model, xt, et } = setup();
  assertGradMatchesFiniteDifferences(
    model.all(),
    () => mvtcaeLoss(model, xt, et, OPTS).loss,
    { label: "MVTCAE loss", atol: 1e-6, rtol: 1e-5 },
  );
});
