/**
 * Known answer for the whole prior: DSM + PC sampling reproduce a 2-D Gaussian mixture. The exact
 * mixture score checks the sampler alone; a small ScoreMlp trained by DSM checks learning plus
 * sampling. Distances are energy distances to exact samples, judged against two yardsticks
 * measured on the same reference set: a second exact sample set (the floor) and the
 * moment-matched single Gaussian (what a sampler that misses the modes would get). The training
 * test runs on the Wasm CPU backend (one thread): the same network on the reference backend gives
 * the same distance (0.0121 at 600 steps on both) at ten times the cost.
 */
import assert from "node:assert/strict";
import type { Backend } from "../../engine/backend.ts";
import { ScoreMlp } from "../models/score_mlp.ts";
import { Init } from "../../engine/nn/module.ts";
import { RandomStream } from "../../engine/ops/mod.ts";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { createWasmCpuBackend } from "../../wasm/cpu/mod.ts";
import { Tensor } from "../../engine/tensor.ts";
import {
  energyDistance,
  type Mixture,
  moments,
  Rng,
  sampleGaussian,
  sampleMixture,
} from "./_test_utils.ts";
import { trainScoreModel } from "./dsm.ts";
import { pcSample } from "./pc_sampler.ts";
import { GaussianMixtureScore } from "./score_fn.ts";
import { VpSde } from "./vpsde.ts";

const MIX: Mixture = {
  weights: [0.5, 0.3, 0.2],
  means: [[-2, 0], [2, 0.5], [0, 2.5]],
  stds: [0.4, 0.4, 0.4],
};
const N_REF = 800;

/** Exact reference samples, a second exact set, and the moment-matched Gaussian's samples. */
function yardsticks(): { ref: Float64Array; floor: number; gaussian: number } {
  const rng = new Rng(1);
  const ref = sampleMixture(MIX, N_REF, rng);
  const other = sampleMixture(MIX, N_REF, rng);
  const rows = Array.from({ length: N_REF }, (_, i) => i);
  const m = moments(other, 2, rows, [0, 1]);
  const g = sampleGaussian(m.mean, m.cov, N_REF, rng);
  return { ref, floor: energyDistance(ref, other, 2), gaussian: energyDistance(ref, g, 2) };
}

/** Fraction of samples nearest to each component mean, and of samples within 4 std of none. */
function componentMass(x: ArrayLike<number>): { mass: number[]; outliers: number } {
  const n = x.length / 2, mass = [0, 0, 0];
  let outliers = 0;
  for (let i = 0; i < n; i++) {
    const d = MIX.means.map((mu) => Math.hypot(x[2 * i] - mu[0], x[2 * i + 1] - mu[1]));
    const k = d.indexOf(Math.min(...d));
    mass[k] += 1 / n;
    if (d[k] > 4 * MIX.stds[k]) outliers += 1 / n;
  }
  return { mass, outliers };
}

function checkMass(x: ArrayLike<number>, label: string, tol: number): void {
  const { mass, outliers } = componentMass(x);
  mass.forEach((m, k) =>
    assert.ok(
      Math.abs(m - MIX.weights[k]) < tol,
      `${label}: mass of component ${k} is ${m.toFixed(3)}, want ${MIX.weights[k]} ± ${tol}`,
    )
  );
  assert.ok(outliers < 0.03, `${label}: ${(outliers * 100).toFixed(1)}% of samples off every mode`);
}

const ys = yardsticks();

Deno.test("yardsticks: two exact sample sets are far closer than the moment-matched Gaussian", () => {
  // Measured 0.0019 and 0.138: the test distances below sit between them with a wide margin.
  assert.ok(ys.floor < 0.03 && ys.gaussian > 0.1, `floor ${ys.floor}, gaussian ${ys.gaussian}`);
});

Deno.test("PC sampling with the exact mixture score reproduces the mixture", () => {
  const be = new ReferenceBackend();
  for (const [b0, b1] of [[0.1, 20], [1, 5]]) {
    const sde = new VpSde({ beta0: b0, beta1: b1 });
    const exact = new GaussianMixtureScore(be, sde, MIX);
    const z = pcSample(exact, sde, {
      backend: be,
      batch: N_REF,
      steps: 100,
      stream: new RandomStream(5),
    });
    const x = (z.buf as unknown as { data: Float64Array }).data.slice(0, z.size);
    z.dispose();
    exact.dispose();
    const ed = energyDistance(ys.ref, x, 2);
    // Two exact 800-sample sets differ by 0.002 here (≈ 0.01 for other seeds); allow 0.02.
    assert.ok(ed < 0.02, `β ${b0}→${b1}: energy distance ${ed}`);
    checkMass(x, `exact β ${b0}→${b1}`, 0.05);
    if (Deno.env.get("SDE_TEST_VERBOSE")) {
      console.log(
        `exact β ${b0}→${b1}: energy distance ${ed.toFixed(4)}, mass ${
          componentMass(x).mass.map((m) => m.toFixed(3))
        }`,
      );
    }
  }
});

/** Trains a small ScoreMlp by DSM on the mixture and samples it; returns the samples (N_REF, 2). */
async function learnedSamples(be: Backend): Promise<Float64Array> {
  const sde = new VpSde({ beta0: 0.1, beta1: 20 });
  const net = new ScoreMlp(new Init(be, 3), {
    dim: 2,
    width: 32,
    blocks: 2,
    timeEmbedDim: 16,
    sde,
  });
  const rng = new Rng(7);
  const batch = 128;
  await trainScoreModel(
    net,
    sde,
    () => Tensor.from(be, sampleMixture(MIX, batch, rng), [batch, 2]),
    {
      steps: 1500,
      lr: 3e-3,
      stream: new RandomStream(11),
      metricsEvery: 1500,
    },
  );
  const z = pcSample(net, sde, {
    backend: be,
    batch: N_REF,
    steps: 100,
    stream: new RandomStream(5),
  });
  const x = Float64Array.from(await z.data());
  z.dispose();
  net.dispose();
  return x;
}

Deno.test("DSM-trained ScoreMlp + PC sampling reproduces the mixture", async () => {
  const be = await createWasmCpuBackend({ threads: 1 });
  const t0 = performance.now();
  let x: Float64Array;
  try {
    x = await learnedSamples(be);
  } finally {
    be.destroy();
  }
  const ed = energyDistance(ys.ref, x, 2);
  // Bound: a quarter of the way from the exact-sample floor (0.002) to the moment-matched
  // Gaussian (0.138), i.e. 0.036. Measured 0.0055 here; 0.003–0.014 over three other seeds.
  const bound = ys.floor + (ys.gaussian - ys.floor) / 4;
  assert.ok(ed < bound, `energy distance ${ed.toFixed(4)} >= ${bound.toFixed(4)}`);
  checkMass(x, "learned", 0.06);
  if (Deno.env.get("SDE_TEST_VERBOSE")) {
    console.log(
      `learned: energy distance ${ed.toFixed(4)} (floor ${ys.floor.toFixed(4)}, gaussian ${
        ys.gaussian.toFixed(4)
      }), mass ${componentMass(x).mass.map((m) => m.toFixed(3))}, ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s`,
    );
  }
});
