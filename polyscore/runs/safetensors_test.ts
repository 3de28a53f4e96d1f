import assert from "node:assert/strict";
import { needing, pythonModuleRequirement } from "../../engine/testing_tools.ts";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";

function sample() {
  return {
    "w.weight": { shape: [3, 5], data: Float32Array.from({ length: 15 }, (_, i) => i * 0.5 - 3) },
    "b": { shape: [7], data: new Float64Array([1e-300, -2, 3.25, Math.PI, 0, -0, 1e300]) },
    "idx": { shape: [2, 2], data: new Int32Array([-1, 2, 2147483647, -2147483648]) },
    "mask": { shape: [3], data: new Uint8Array([0, 1, 255]) },
    "empty": { shape: [0, 4], data: new Float32Array(0) },
  };
}

Deno.test("encodeSafetensors() round-trips F32/F64/I32/U8 tensors and metadata", () => {
  const bytes = encodeSafetensors(sample(), { step: "12", format: "pt" });
  const header = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + header) % 8, 0, "data section starts 8-byte aligned");
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(metadata, { step: "12", format: "pt" });
  for (const [k, t] of Object.entries(sample())) {
    assert.deepEqual(tensors[k].shape, t.shape, k);
    assert.equal(tensors[k].data.constructor, t.data.constructor, k);
    assert.deepEqual(Array.from(tensors[k].data), Array.from(t.data), k);
  }
  assert.ok(Object.is(tensors.b.data[5], -0));
});

Deno.test("encodeSafetensors() is deterministic and rejects bad shapes", () => {
  assert.deepEqual(encodeSafetensors(sample()), encodeSafetensors(sample()));
  assert.throws(
    () => encodeSafetensors({ x: { shape: [2, 2], data: new Float32Array(3) } }),
    /tensor "x" has shape \[2,2\] \(4 elements\) but 3 values/,
  );
  assert.throws(
    () => encodeSafetensors({ x: { shape: [-1], data: new Float32Array(0) } }),
    TypeError,
  );
});

Deno.test("decodeSafetensors() names the file for a corrupt header", () => {
  const good = encodeSafetensors({ x: { shape: [2], data: new Float32Array([1, 2]) } });
  const bad = good.slice();
  bad[8] = "[".charCodeAt(0);
  assert.throws(() => decodeSafetensors(bad, "ckpt/a.safetensors"), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /ckpt\/a\.safetensors: header is not valid UTF-8 JSON/);
    return true;
  });
  const huge = good.slice();
  new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
  assert.throws(() => decodeSafetensors(huge, "h"), /header length 1099511627776 exceeds/);
  assert.throws(() => decodeSafetensors(new Uint8Array(5), "t5"), /t5: file is truncated/);
});

Deno.test("decodeSafetensors() rejects truncated data, gaps, overlaps and trailing bytes", () => {
  const good = encodeSafetensors({
    a: { shape: [2], data: new Float32Array([1, 2]) },
    b: { shape: [1], data: new Float32Array([3]) },
  });
  assert.throws(
    () => decodeSafetensors(good.subarray(0, good.length - 1), "t.safetensors"),
    /t\.safetensors: file is truncated: tensors need 12 data bytes but only 11 are present/,
  );
  const trailing = new Uint8Array(good.length + 4);
  trailing.set(good);
  assert.throws(() => decodeSafetensors(trailing, "x"), /4 trailing bytes/);

  const make = (header: unknown, dataBytes: number) => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    return out;
  };
  const gap = make({
    a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
    b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
  }, 12);
  assert.throws(
    () => decodeSafetensors(gap, "g"),
    /"b" starts at byte 8 but the previous tensor ends at 4/,
  );
  const wrongSize = make({ a: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, 4);
  assert.throws(() => decodeSafetensors(wrongSize, "w"), /needs 8 bytes/);
  const badDtype = make({ a: { dtype: "BF16", shape: [1], data_offsets: [0, 2] } }, 2);
  assert.throws(
    () => decodeSafetensors(badDtype, "d"),
    /unsupported dtype: current value is "BF16"/,
  );
  const badMeta = make({ __metadata__: { k: 1 } }, 0);
  assert.throws(() => decodeSafetensors(badMeta, "m"), /__metadata__ value of "k" is not a string/);
});

// Interoperability with the reference implementation; runs where the PATH's python3 has
// `safetensors` (and numpy) installed, or PYTHONPATH names a folder holding it.
const SAFETENSORS = pythonModuleRequirement(
  "safetensors",
  "apt-get install python3-numpy python3-pip && python3 -m pip install --break-system-packages safetensors",
);

Deno.test(needing([SAFETENSORS], {
  name: "safetensors files round-trip through Python's safetensors",
  fn() {
    const dir = Deno.makeTempDirSync();
    try {
      Deno.writeFileSync(`${dir}/deno.safetensors`, encodeSafetensors(sample(), { who: "deno" }));
      const script = `
import json, sys
from safetensors.numpy import load_file, save_file
from safetensors import safe_open
import numpy as np
d = load_file(sys.argv[1] + "/deno.safetensors")
with safe_open(sys.argv[1] + "/deno.safetensors", "np") as f:
    meta = f.metadata()
print(json.dumps({k: [str(v.dtype), list(v.shape), float(v.astype(np.float64).sum())] for k, v in d.items()} | {"meta": meta}))
save_file({"z": np.arange(6, dtype=np.float32).reshape(2, 3), "u": np.array([7, 8], dtype=np.uint8)},
          sys.argv[1] + "/py.safetensors", metadata={"who": "python"})
`;
      const out = new Deno.Command(SAFETENSORS.python!, { args: ["-c", script, dir] }).outputSync();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const seen = JSON.parse(new TextDecoder().decode(out.stdout));
      assert.deepEqual(seen["w.weight"], ["float32", [3, 5], 15 * 0.5 * 7 - 45]);
      assert.deepEqual(seen.idx.slice(0, 2), ["int32", [2, 2]]);
      assert.deepEqual(seen.mask, ["uint8", [3], 256]);
      assert.deepEqual(seen.meta, { who: "deno" });
      const back = decodeSafetensors(Deno.readFileSync(`${dir}/py.safetensors`), "py");
      assert.deepEqual(Array.from(back.tensors.z.data), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(back.tensors.z.shape, [2, 3]);
      assert.ok(back.tensors.u.data instanceof Uint8Array);
      assert.deepEqual(back.metadata, { who: "python" });
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
}));
