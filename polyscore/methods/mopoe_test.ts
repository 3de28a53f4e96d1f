import assert from "node:assert/strict";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { Rng } from "../../engine/random.ts";
import { Tensor, tidy } from "../../engine/tensor.ts";
import { assertAllClose, randomArray } from "../../engine/testing.ts";
import { assertGradMatchesFiniteDifferences, refData } from "./joint/_gradcheck.ts";
import { handKl, HandModel, handPoe, LATENT, tinyBatch, TinyModel } from "./joint/_tiny_model.ts";
import { nonEmptySubsets } from "./joint/experts.ts";
import { drawComponents, mopoeLoss, mopoePriorInProduct } from "./mopoe.ts";

const be = new ReferenceBackend();
const B = 3, BETA = 2.5;
// Row 0 draws {0}, row 1 {1}, row 2 the full set {0, 1} (with the prior expert).
const COMPONENTS = [0, 1, 2];

/** The MoPoE loss of the tiny model computed by hand in f64. */
function mopoeByHand(model: TinyModel, xs: number[][][], eps: number[][]) {
  const hand = new HandModel(model.values());
  const experts = xs.map((x, m) => hand.encode(m, x));
  const prior = { mu: new Array(LATENT).fill(0), lv: new Array(LATENT).fill(0) };
  const subsets = nonEmptySubsets(2);
  const rowPoe = (s: number[], r: number) =>
    handPoe([
      ...s.map((m) => ({ mu: experts[m].mu[r], lv: experts[m].lv[r] })),
      ...(s.length === 2 ? [prior] : []),
    ]);
  let kl = 0;
  for (const s of subsets) for (let r = 0; r < B; r++) kl += handKl(rowPoe(s, r)) / B;
  kl /= subsets.length;
  let recon = 0;
  for (let r = 0; r < B; r++) {
    const q = rowPoe(subsets[COMPONENTS[r]], r);
    const z = q.mu.map((m, i) => m + Math.exp(0.5 * q.lv[i]) * eps[r][i]);
    for (let m = 0; m < 2; m++) recon -= hand.logLik(m, z, xs[m][r]) / B;
  }
  return { loss: recon + BETA * kl, recon, kl };
}

function setup() {
  const model = new TinyModel(be, 50);
  const xs = tinyBatch(B, 60);
  const epsFlat = randomArray(B * LATENT, 70, -1.5, 1.5);
  const eps = Array.from({ length: B }, (_, r) => Array.from(epsFlat.subarray(r * 2, r * 2 + 2)));
  const xt = xs.map((x) => Tensor.from(be, x.flat(), [B, x[0].length]));
  const et = Tensor.from(be, epsFlat, [B, LATENT]);
  return { model, xs, eps, xt, et };
}

Deno.test("mopoeLoss equals the mixture ELBO computed by hand on a tiny two-modality model", () => {
  const { model, xs, eps, xt, et } = setup();
  const want = mopoeByHand(model, xs, eps);
  tidy(() => {
    const got = mopoeLoss(model, xt, et, COMPONENTS, BETA);
    assertAllClose(
      [refData(got.loss)[0], refData(got.terms.recon)[0], refData(got.terms.kl)[0]],
      [want.loss, want.recon, want.kl],
      { atol: 1e-10, rtol: 1e-10, label: "MoPoE loss, recon, KL" },
    );
  });
});

Deno.test("mopoeLoss has parameter gradients that match finite differences", () => {
  const { model, xt, et } = setup();
  assertGradMatchesFiniteDifferences(
    model.all(),
    () => mopoeLoss(model, xt, et, COMPONENTS, BETA).loss,
    { label: "MoPoE loss", atol: 1e-6, rtol: 1e-5 },
  );
});

Deno.test("MoPoE's prior expert joins the full set only; components are uniform over the subsets", () => {
  assert.deepEqual([1, 2, 3].map((k) => mopoePriorInProduct(k, 3)), [false, false, true]);
  const c = drawComponents(new Rng(5), 6000, 2);
  const counts = [0, 1, 2].map((s) => c.filter((v) => v === s).length);
  assert.equal(counts.reduce((a, b) => a + b, 0), 6000);
  // Each of the 3 subsets: 2000 expected, SD ≈ 36.5; ±200 is more than 5 SD.
  for (const n of counts) assert.ok(Math.abs(n - 2000) < 200, `counts ${counts}`);
});
