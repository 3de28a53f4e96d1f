import { ReferenceBackend } from "../../../engine/reference/backend.ts";
import { Tensor, tidy } from "../../../engine/tensor.ts";
import { assertAllClose, randomArray } from "../../../engine/testing.ts";
import { mopoePriorInProduct } from "../mopoe.ts";
import { refData } from "./_gradcheck.ts";
import { handPoe } from "./_tiny_model.ts";
import { subsetPosterior } from "./method.ts";

const be = new ReferenceBackend();
const D = 2;
// Rows observe {0}, {1}, {0, 1} and nothing.
const MASK = [1, 0, 0, 1, 1, 1, 0, 0];

Deno.test("subsetPosterior fuses each row's observed experts by the method's rule; nothing observed is N(0, I)", () => {
  const mus = [1, 2].map((s) => randomArray(4 * D, s, -2, 2));
  const lvs = [3, 4].map((s) => randomArray(4 * D, s, -1, 1));
  const prior = { mu: [0, 0], lv: [0, 0] };
  for (const [label, rule] of [["MoPoE", mopoePriorInProduct], ["MVTCAE", () => false]] as const) {
    tidy(() => {
      const experts = [0, 1].map((m) => ({
        mu: Tensor.from(be, mus[m], [4, D]),
        logvar: Tensor.from(be, lvs[m], [4, D]),
      }));
      const q = subsetPosterior(experts, MASK, 4, D, rule, be);
      const row = (m: number, r: number) => ({
        mu: Array.from(mus[m].subarray(r * D, r * D + D)),
        lv: Array.from(lvs[m].subarray(r * D, r * D + D)),
      });
      const want = [
        handPoe([row(0, 0)]),
        handPoe([row(1, 1)]),
        handPoe(label === "MoPoE" ? [row(0, 2), row(1, 2), prior] : [row(0, 2), row(1, 2)]),
        prior,
      ];
      assertAllClose(refData(q.mu), want.flatMap((w) => w.mu), { atol: 1e-12, label });
      assertAllClose(refData(q.logvar), want.flatMap((w) => w.lv), { atol: 1e-12, label });
    });
  }
});
