/**
 * The joint-posterior objectives on every backend: MoPoE's and MVTCAE's loss and parameter
 * gradients of real JointNetworks (conv image + conv mask modality, 12×12) on the Wasm backend and
 * on WebGPU against the f64 ReferenceBackend from identical weights, data and noise (f32 against
 * f64: loss within relative 1e-4, every gradient within 1e-3 of the largest). The WebGPU case is
 * ignored only when no adapter exists.
 */
import type { Backend } from "../engine/backend.ts";
import { Init } from "../engine/nn/module.ts";
import { ReferenceBackend } from "../engine/reference/backend.ts";
import { Rng } from "../engine/random.ts";
import { grad, Tensor, tidy } from "../engine/tensor.ts";
import { assertAllClose } from "../engine/testing.ts";
import { gpuTest, tryCreateGpu } from "../gpu/_test_utils.ts";
import { JointNetworks } from "../polyscore/methods/joint/networks.ts";
import { mopoeLoss } from "../polyscore/methods/mopoe.ts";
import { mvtcaeLoss } from "../polyscore/methods/mvtcae.ts";
import type { ModalitySpec } from "../polyscore/modality.ts";
import { createWasmCpuBackend } from "../wasm/cpu/mod.ts";

const SPECS: ModalitySpec[] = [
  { name: "m0", kind: "image", shape: [3, 12, 12] },
  { name: "m1", kind: "mask", shape: [1, 12, 12] },
];
const B = 4, LATENT = 4;

/** Loss and gradients of one objective on `be` (same weights, data and noise on every backend). */
async function evaluate(be: Backend, which: "mopoe" | "mvtcae") {
  const nets = new JointNetworks(new Init(be, 11), SPECS, {
    latent: LATENT,
    hidden: [4, 8],
    likelihood: which === "mopoe" ? "laplace" : "gaussian",
    scale: which === "mopoe" ? 0.75 : 0.3,
  });
  const rng = new Rng(3);
  const out = tidy(() => {
    const xs = SPECS.map((s) => {
      const n = B * s.shape.reduce((a, b) => a * b, 1);
      const v = Float32Array.from(
        { length: n },
        () => s.kind === "mask" ? (rng.uniform() < 0.3 ? 1 : 0) : rng.uniform(),
      );
      return Tensor.from(be, v, [B, ...s.shape]);
    });
    const eps = Tensor.from(be, Float32Array.from({ length: B * LATENT }, () => rng.normal()), [
      B,
      LATENT,
    ]);
    const loss = which === "mopoe"
      ? mopoeLoss(nets, xs, eps, [0, 1, 2, 2], 2.5).loss
      : mvtcaeLoss(nets, xs, eps, { alpha: 5 / 6, beta: 2.5 }).loss;
    return { loss, grads: grad(loss, nets.parameters()) };
  });
  const loss = await out.loss.item();
  const grads = await Promise.all(out.grads.map(async (g) => Float64Array.from(await g!.data())));
  out.loss.dispose();
  out.grads.forEach((g) => g!.dispose());
  nets.dispose();
  return { loss, grads };
}

async function compare(be: Backend, label: string): Promise<void> {
  for (const which of ["mopoe", "mvtcae"] as const) {
    const want = await evaluate(new ReferenceBackend(), which);
    const got = await evaluate(be, which);
    if (!(Math.abs(got.loss - want.loss) <= 1e-4 * Math.abs(want.loss))) {
      throw new Error(`${label} ${which} loss ${got.loss} differs from the reference ${want.loss}`);
    }
    const scale = Math.max(...want.grads.map((g) => Math.max(...g.map(Math.abs))));
    want.grads.forEach((g, i) =>
      assertAllClose(got.grads[i], g, {
        atol: 1e-3 * scale,
        rtol: 0,
        label: `${label} ${which} gradient of parameter ${i}`,
      })
    );
  }
}

Deno.test("MoPoE and MVTCAE losses and gradients on the Wasm backend match the f64 reference", async () => {
  const wasm = await createWasmCpuBackend({ threads: 2, splitAll: true });
  try {
    await compare(wasm, "wasm");
  } finally {
    wasm.destroy();
  }
});

const gpu = await tryCreateGpu();

Deno.test(gpuTest(gpu, {
  name: "MoPoE and MVTCAE losses and gradients on WebGPU match the f64 reference",
  fn: () => compare(gpu!, "webgpu"),
}));
