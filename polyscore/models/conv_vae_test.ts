/**
 * The conv autoencoder's options: residual blocks and group norm. The default build keeps the
 * parameter names (and so the checkpoints) of the plain network; with the options, the loss's
 * gradient w.r.t. parameters of every new kind of layer matches central finite differences in f64
 * on the reference backend (the blocks and norms are built from ops each with their own gradient
 * check in engine/ops/gradcheck_test.ts; this checks how the model wires them, and that each new
 * layer gets a gradient). (Checked to fail with the encoder's norm built but not applied, whose
 * parameters then get no gradient; the name list fails on any renamed or reordered parameter.)
 */
import assert from "node:assert/strict";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { Init } from "../../engine/nn/module.ts";
import { RandomStream } from "../../engine/ops/random.ts";
import { grad, noGrad, Tensor, tidy } from "../../engine/tensor.ts";
import { randomArray } from "../../engine/testing.ts";
import { type AutoencoderConfig, ConvAutoencoder, normGroups } from "./conv_vae.ts";

const BASE_CFG: AutoencoderConfig = {
  variant: "ae",
  latent: 3,
  likelihood: "gaussian",
  beta: 0,
  aeNoise: 0, // deterministic loss: z = μ
  aeZWeight: 0.1,
};

Deno.test("ConvAutoencoder: without options the parameter names are the plain network's", () => {
  const be = new ReferenceBackend();
  const ae = new ConvAutoencoder(new Init(be, 1), [2, 8, 8], [4, 6], BASE_CFG);
  assert.deepEqual(ae.namedParameters().map(([n]) => n), [
    "enc0.weight",
    "enc0.bias",
    "enc1.weight",
    "enc1.bias",
    "mu.weight",
    "mu.bias",
    "dec_in.weight",
    "dec_in.bias",
    "dec0.weight",
    "dec0.bias",
    "dec1.weight",
    "dec1.bias",
  ]);
  ae.dispose();
});

Deno.test("ConvAutoencoder: residual blocks and group norm reach every stage and size", () => {
  const be = new ReferenceBackend();
  const ae = new ConvAutoencoder(new Init(be, 1), [2, 8, 8], [4, 6], {
    ...BASE_CFG,
    resBlocks: [1, 2],
    norm: "group",
  });
  const names = ae.namedParameters().map(([n]) => n);
  for (
    const n of [
      "enc0_norm.weight",
      "enc0_res0.conv1.weight",
      "enc1_res1.norm2.bias",
      "dec0_res1.conv2.weight",
      "dec1_res0.conv1.weight",
      "dec0_norm.weight",
    ]
  ) assert.ok(names.includes(n), `${n} in ${names}`);
  // The last up-conv gives the logits: no norm after it.
  assert.ok(!names.includes("dec1_norm.weight"));
  const x = Tensor.from(be, randomArray(2 * 2 * 8 * 8, 3, 0, 1), [2, 2, 8, 8]);
  const y = tidy(() => noGrad(() => ae.decode(ae.encode(x).mu)));
  assert.deepEqual(y.shape, [2, 2, 8, 8]);
  assert.throws(
    () => new ConvAutoencoder(new Init(be, 1), [2, 8, 8], [4, 6], { ...BASE_CFG, resBlocks: [1] }),
    /resBlocks must list one count per conv stage \(2\) or none: current value is \[1\]/,
  );
  assert.deepEqual([4, 6, 16, 12, 7].map(normGroups), [4, 6, 8, 6, 7]);
});

Deno.test("ConvAutoencoder: with residual blocks and group norm the loss gradient matches finite differences", async () => {
  const be = new ReferenceBackend();
  const ae = new ConvAutoencoder(new Init(be, 4), [2, 8, 8], [4, 6], {
    ...BASE_CFG,
    resBlocks: [1, 1],
    norm: "group",
  });
  const x = Tensor.from(be, randomArray(3 * 2 * 8 * 8, 5, 0, 1), [3, 2, 8, 8]);
  const lossValue = async () => {
    const l = tidy(() => noGrad(() => ae.loss(x, new RandomStream(1)).loss));
    const v = (await l.data())[0];
    l.dispose();
    return v;
  };
  const named = new Map(ae.namedParameters());
  const checked = [
    "enc0_res0.conv1.weight",
    "enc1_norm.weight",
    "enc1_res0.norm2.bias",
    "dec0_res0.conv2.bias",
    "dec0_norm.weight",
    "dec1_res0.conv1.weight",
  ];
  const params = checked.map((n) => named.get(n)!);
  const gs = tidy(() => grad(ae.loss(x, new RandomStream(1)).loss, params));
  const h = 1e-6;
  for (const [k, p] of params.entries()) {
    const g = await gs[k]!.data();
    const data = (p.buf as unknown as { data: Float64Array }).data;
    for (const j of [0, Math.floor(p.size / 2), p.size - 1]) {
      const v0 = data[j];
      data[j] = v0 + h;
      const up = await lossValue();
      data[j] = v0 - h;
      const down = await lossValue();
      data[j] = v0;
      const fd = (up - down) / (2 * h);
      assert.ok(
        Math.abs(fd - g[j]) <= 1e-5 * Math.max(1, Math.abs(fd)),
        `${checked[k]}[${j}]: backward ${g[j]}, finite difference ${fd}`,
      );
    }
    assert.ok(g.some((v) => v !== 0), `${checked[k]} gets a gradient`);
  }
});
