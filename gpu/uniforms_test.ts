/**
 * GPU-free tests of the uniform layout/packer and of the one-source-of-truth rule: the
 * `struct Params` of every .wgsl file has exactly the fields and types of its TS schema.
 */

import assert from "node:assert/strict";
import { loadWgsl } from "./_wgsl.ts";
import { ALL_KERNELS } from "./kernels/mod.ts";
import { packUniforms, parseWgslStruct, uniformLayout } from "./uniforms.ts";

Deno.test("uniformLayout() follows WGSL alignment: vec4 at 16, size rounded to 16", () => {
  const l = uniformLayout([
    { name: "n", type: "u32" },
    { name: "op", type: "u32" },
    { name: "a", type: "f32" },
    { name: "v", type: "vec4<u32>" },
    { name: "s", type: "f32" },
  ]);
  assert.deepEqual([...l.offsets.entries()], [["n", 0], ["op", 4], ["a", 8], ["v", 16], ["s", 32]]);
  assert.equal(l.size, 48);
  assert.equal(uniformLayout([{ name: "x", type: "f32" }]).size, 4);
});

Deno.test("packUniforms() writes u32, i32, f32 and vec4 fields at their offsets", () => {
  const l = uniformLayout([
    { name: "n", type: "u32" },
    { name: "d", type: "i32" },
    { name: "x", type: "f32" },
    { name: "v", type: "vec4<u32>" },
  ]);
  const buf = new ArrayBuffer(512);
  packUniforms(l, { n: 4294967295, d: -3, x: 0.5, v: [1, 2, 3] }, buf, 256);
  const u = new Uint32Array(buf, 256), i = new Int32Array(buf, 256), f = new Float32Array(buf, 256);
  assert.equal(u[0], 4294967295);
  assert.equal(i[1], -3);
  assert.equal(f[2], 0.5);
  assert.deepEqual([...u.subarray(4, 8)], [1, 2, 3, 0]);
  assert.throws(() => packUniforms(l, { n: 1, d: 1, x: 1 }, buf, 0), TypeError);
  assert.throws(() => packUniforms(l, { n: 1, d: 1, x: 1, v: [1], extra: 2 }, buf, 0), TypeError);
});

Deno.test("every kernel's WGSL struct Params matches its TS uniform schema", () => {
  assert.ok(ALL_KERNELS.length >= 25);
  for (const k of ALL_KERNELS) {
    const fields = parseWgslStruct(loadWgsl(k.file));
    assert.deepEqual(
      fields.map((f) => `${f.name}: ${f.type}`),
      k.uniforms.map((f) => `${f.name}: ${f.type}`),
      `${k.file}.wgsl struct Params differs from the schema of ${k.name}`,
    );
    assert.ok(k.layout.size <= 256, `${k.name} uniforms exceed one 256-byte slice`);
  }
});

Deno.test("every kernel's WGSL declares its bindings in order, with matching access", () => {
  for (const k of ALL_KERNELS) {
    const src = loadWgsl(k.file);
    const decls = [...src.matchAll(
      /@group\(0\) @binding\((\d+)\) var<(storage, read_write|storage, read|uniform)> (\w+)/g,
    )].map((m) => ({ binding: Number(m[1]), kind: m[2], name: m[3] }));
    const expected = [
      ...k.bindings.map((b, i) => ({
        binding: i,
        kind: b.access === "read" ? "storage, read" : "storage, read_write",
        name: b.name,
      })),
      { binding: k.bindings.length, kind: "uniform", name: "params" },
    ];
    assert.deepEqual(decls, expected, `${k.file}.wgsl bindings differ from ${k.name}`);
    assert.match(src, /override \w+: u32/, `${k.file}.wgsl has no override constants`);
  }
});
