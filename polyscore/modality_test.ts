import assert from "node:assert/strict";
import { Init } from "../engine/nn/module.ts";
import { ReferenceBackend } from "../engine/reference/backend.ts";
import { noGrad, Tensor } from "../engine/tensor.ts";
import {
  buildAutoencoder,
  MODALITIES,
  MODALITY_KINDS,
  modalityOf,
  type ModalitySpec,
} from "./modality.ts";
import { resolveConfig } from "./pipeline/config/mod.ts";

const SPECS: Record<string, ModalitySpec> = {
  image: { name: "i", kind: "image", shape: [3, 12, 12] },
  mask: { name: "m", kind: "mask", shape: [1, 12, 12] },
  attributes: { name: "a", kind: "attributes", shape: [7] },
};

Deno.test("every modality kind has one registry entry whose autoencoder reconstructs its shape", () => {
  const be = new ReferenceBackend();
  const cfg = resolveConfig("tiny").ae;
  assert.deepEqual(Object.keys(MODALITIES).sort(), [...MODALITY_KINDS].sort());
  for (const kind of MODALITY_KINDS) {
    const spec = SPECS[kind];
    const entry = modalityOf(spec);
    // The largest stored byte maps into [0, 1], and the threshold is inside it.
    assert.ok(entry.scale * (kind === "attributes" ? 1 : 255) <= 1 + 1e-12, kind);
    assert.ok(entry.threshold > 0 && entry.threshold < 1, kind);
    const ae = buildAutoencoder(new Init(be, 1), spec, cfg);
    const x = Tensor.from(be, new Float32Array(2 * spec.shape.reduce((a, b) => a * b, 1)), [
      2,
      ...spec.shape,
    ]);
    const y = noGrad(() => ae.decode(ae.encode(x).mu));
    assert.equal(y.size, x.size, `${kind}: decoder output has the data's size`);
    assert.equal(ae.config.likelihood, entry.likelihood);
    ae.dispose();
  }
});

Deno.test("modalityOf() names the kinds for an unknown one", () => {
  // deno-lint-ignore no-explicit-any
  assert.throws(() => modalityOf({ kind: "audio" as any }), /kinds are image, mask, attributes/);
});
