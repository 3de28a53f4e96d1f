/**
 * The prior on every compute backend: a few DSM training steps of a ScoreMlp and a conditional PC
 * run (exact Gaussian score, final Langevin steps, per-row masks) on the Wasm CPU and WebGPU
 * backends, from the same seeds, agree with the f64 reference to f32 accuracy. This checks that
 * the sampler and the loss use only backend kernels (the fused `sdeUpdate` and `langevinUpdate`
 * included) and consume the random streams identically everywhere.
 */
import type { Backend } from "../../engine/backend.ts";
import { ScoreMlp } from "../models/score_mlp.ts";
import { Init } from "../../engine/nn/module.ts";
import { RandomStream } from "../../engine/ops/mod.ts";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { Tensor } from "../../engine/tensor.ts";
import { assertAllClose } from "../../engine/testing.ts";
import { createWasmCpuBackend } from "../../wasm/cpu/mod.ts";
import { gpuTest, tryCreateGpu } from "../../gpu/_test_utils.ts";
import { Rng, sampleMixture } from "./_test_utils.ts";
import { trainScoreModel } from "./dsm.ts";
import { pcSample } from "./pc_sampler.ts";
import { GaussianScore } from "./score_fn.ts";
import { VpSde } from "./vpsde.ts";

const MIX = { weights: [0.5, 0.5], means: [[-1.5, 0], [1.5, 1]], stds: [0.5, 0.5] };
const MU = [0.5, -1, 0.3];
const C = [1, 0.8, 0.3, 0.8, 1.5, 0.5, 0.3, 0.5, 0.8];

/** DSM losses read back during 20 training steps, and a conditional PC sample (4, 3). */
async function run(be: Backend): Promise<{ losses: number[]; x: number[] }> {
  const sde = new VpSde({ beta0: 0.1, beta1: 20 });
  const net = new ScoreMlp(new Init(be, 3), { dim: 2, width: 16, blocks: 1, timeEmbedDim: 8, sde });
  const rng = new Rng(7);
  const metrics = await trainScoreModel(
    net,
    sde,
    () => Tensor.from(be, sampleMixture(MIX, 64, rng), [64, 2]),
    { steps: 20, lr: 1e-3, stream: new RandomStream(11), metricsEvery: 5 },
  );
  net.dispose();
  const exact = new GaussianScore(be, sde, MU, C);
  const values = Tensor.from(be, [0, 0.4, 0, 0, 0, 1, 0, 0, 0, 0.7, -0.2, 0], [4, 3]);
  const z = pcSample(exact, sde, {
    stream: new RandomStream(5),
    steps: 30,
    finalCorrectorSteps: 3,
    observed: { values, mask: [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0] },
  });
  const x = Array.from(await z.data());
  for (const t of [z, values]) t.dispose();
  exact.dispose();
  return { losses: metrics.map((m) => m.loss), x };
}

const expected = await run(new ReferenceBackend());

Deno.test("DSM training and PC sampling on the Wasm CPU backend match the reference", async () => {
  const be = await createWasmCpuBackend({ threads: 1 });
  try {
    const got = await run(be);
    assertAllClose(got.losses, expected.losses, { atol: 1e-5, rtol: 1e-4, label: "wasm losses" });
    assertAllClose(got.x, expected.x, { atol: 1e-5, rtol: 1e-5, label: "wasm samples" });
  } finally {
    be.destroy();
  }
});

const gpu = await tryCreateGpu();

Deno.test(gpuTest(gpu, {
  name: "DSM training and PC sampling on the WebGPU backend match the reference",
  fn: async () => {
    try {
      const got = await run(gpu!);
      assertAllClose(got.losses, expected.losses, { atol: 1e-5, rtol: 1e-4, label: "gpu losses" });
      assertAllClose(got.x, expected.x, { atol: 1e-5, rtol: 1e-5, label: "gpu samples" });
    } finally {
      gpu!.destroy();
    }
  },
}));
