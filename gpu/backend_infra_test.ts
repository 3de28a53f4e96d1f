/**
 * Tests of the WebGPU plumbing: buffer pool counters and reuse, the pipeline cache key, the
 * record-once/submit-once model (one submit per flush, writes ordered after recorded work, freed
 * buffers reused within one submission, more dispatches than one uniform chunk holds), device
 * loss and uncaptured errors surfacing as DeviceLostError, and GpuUnavailableError's hint.
 */

import assert from "node:assert/strict";
import {
  createWebGpuBackend,
  DeviceLostError,
  GpuUnavailableError,
  type WebGpuBackend,
} from "./backend.ts";
import { requestGpu } from "./device.ts";
import { FILL } from "./kernels/fill.ts";
import { MATMUL_KERNELS } from "./kernels/matmul.ts";
import { pipelineKey } from "./pipeline_cache.ts";
import { gpuTest, tryCreateGpu } from "./_test_utils.ts";

const gpu = await tryCreateGpu();

Deno.test("pipelineKey() is the kernel name plus the sorted override constants", () => {
  const k = MATMUL_KERNELS.blocked;
  assert.equal(pipelineKey(k, { TN: 4, BK: 16, TM: 8 }), "matmul_blocked|BK=16,TM=8,TN=4");
  assert.equal(pipelineKey(k, { b: 1, a: 2 }), pipelineKey(k, { a: 2, b: 1 }));
});

Deno.test(gpuTest(gpu, {
  name: "BufferPool counts bytes and reuses freed buffers of the same size",
  fn: () => {
    const g: WebGpuBackend = gpu!;
    const inUse = g.pool.bytesInUse;
    const a = g.alloc(1000);
    assert.equal(g.pool.bytesInUse, inUse + 4000); // 1000 floats, a whole number of vec4s
    const created = g.pool.created;
    g.free(a);
    assert.equal(g.pool.bytesInUse, inUse);
    const b = g.alloc(1000);
    assert.equal(g.pool.created, created, "a freed buffer of the same size is reused");
    assert.ok(g.pool.bytesAllocated >= g.pool.bytesInUse);
    g.free(b);
    assert.throws(() => g.free(b), TypeError);
    const tooBig = g.device.limits.maxStorageBufferBindingSize / 4 + 1;
    assert.throws(() => g.alloc(tooBig), /Cannot allocate buffer: .* exceed the device's storage/);
    assert.throws(() => g.alloc(-1), RangeError);
    assert.throws(() => g.alloc(1.5), RangeError);
  },
}));

Deno.test(gpuTest(gpu, {
  name: "PipelineCache returns one pipeline per (kernel, constants)",
  fn: () => {
    const g = gpu!;
    const p1 = g.pipelines.get(FILL);
    assert.equal(g.pipelines.get(FILL, { WG: 64 }), p1);
    assert.notEqual(g.pipelines.get(FILL, { WG: 32 }).pipeline, p1.pipeline);
  },
}));

Deno.test(gpuTest(gpu, {
  name: "a recorded step is submitted once; writes and frees keep queue order",
  fn: async () => {
    const g = gpu!;
    g.flush();
    const submits = g.recorder.submits;
    const out1 = g.alloc(3), out2 = g.alloc(3);
    const a = g.alloc(3);
    g.write(a, [1, 2, 3]);
    g.affine(a, out1, { n: 3, scale: 10, shift: 0 }); // out1 = 10·a, recorded
    g.free(a); // a goes back to the pool at once
    const b = g.alloc(3); // same size: the pool hands out a's buffer
    g.write(b, [5, 5, 5]); // must land after the recorded affine
    g.affine(b, out2, { n: 3, scale: 1, shift: 1 });
    g.flush();
    assert.equal(g.recorder.submits, submits + 1, "one submit for the whole step");
    assert.deepEqual([...await g.read(out1)], [10, 20, 30]);
    assert.deepEqual([...await g.read(out2)], [6, 6, 6]);
    for (const x of [out1, out2, b]) g.free(x);
  },
}));

Deno.test(gpuTest(gpu, {
  name: "600 dispatches in one submission each see their own uniforms",
  fn: async () => {
    const g = gpu!;
    const x = g.alloc(5);
    g.fill(x, 0);
    for (let i = 1; i <= 600; i++) g.affine(x, x, { n: 5, scale: 1, shift: i });
    const submits = g.recorder.submits;
    const got = await g.read(x);
    assert.equal(g.recorder.submits, submits + 1);
    assert.deepEqual([...got], new Array(5).fill((600 * 601) / 2));
    g.free(x);
  },
}));

Deno.test(gpuTest(gpu, {
  name: "a destroyed device makes the next call throw DeviceLostError",
  fn: async () => {
    const g = await createWebGpuBackend({ warmup: false });
    const x = g.alloc(4);
    g.device.destroy();
    await g.device.lost;
    assert.throws(() => g.fill(x, 1), DeviceLostError);
    assert.throws(() => g.alloc(1), /Cannot use the WebGPU device: device was destroyed/);
  },
}));

Deno.test(gpuTest(gpu, {
  name: "an uncaptured validation error makes the next call throw DeviceLostError naming it",
  fn: async () => {
    const g = await createWebGpuBackend({ warmup: false });
    g.device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    for (let i = 0; i < 500 && !failed(g); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.throws(() => g.alloc(1), (e: unknown) => {
      assert.ok(e instanceof DeviceLostError);
      assert.match(e.reason, /uncaptured/);
      return true;
    });
    g.destroy();
  },
}));

function failed(g: WebGpuBackend): boolean {
  try {
    g.flush();
    return false;
  } catch {
    return true;
  }
}

Deno.test(gpuTest(gpu, {
  name: "adapterInfo reports isFallbackAdapter",
  fn: () => {
    assert.equal(typeof gpu!.adapterInfo.isFallbackAdapter, "boolean");
    assert.ok(gpu!.adapterInfo.description.length >= 0);
  },
}));

Deno.test("requestGpu() throws GpuUnavailableError with a hint when no adapter exists", async () => {
  const nav = globalThis.navigator as unknown as Record<string, unknown>;
  const fake = { requestAdapter: () => Promise.resolve(null) };
  Object.defineProperty(nav, "gpu", { value: fake, configurable: true });
  try {
    await assert.rejects(() => requestGpu(), (e: unknown) => {
      assert.ok(e instanceof GpuUnavailableError);
      assert.match(e.message, /Cannot find a WebGPU adapter: .*polyscore doctor/);
      return true;
    });
  } finally {
    delete nav.gpu; // the prototype's getter shows through again
  }
});

Deno.test(gpuTest(gpu, {
  name: "kernels spill into a 2-D grid beyond 32768 workgroups and still cover every element",
  fn: async () => {
    const g = gpu!;
    const n = 32768 * 64 + 1001; // one more than 32768 workgroups of 64 invocations
    const x = g.alloc(n);
    g.fill(x, 1);
    g.affine(x, x, { n, scale: 2, shift: 0.5 });
    const got = await g.read(x);
    let bad = -1;
    for (let i = 0; i < n; i++) {
      if (got[i] !== 2.5) {
        bad = i;
        break;
      }
    }
    assert.equal(bad, -1, `element ${bad} was not written`);
    // Row kernels: one workgroup per row, 33001 rows.
    const rows = 33001;
    const y = g.alloc(rows * 2);
    g.logSoftmax(x, y, { rows, cols: 2 });
    const ys = await g.read(y);
    assert.ok(ys.every((v) => Math.abs(v - Math.log(0.5)) < 1e-6));
    g.free(x);
    g.free(y);
  },
}));

Deno.test(gpuTest(gpu, {
  name: "an invalid pipeline constant makes the next call throw DeviceLostError naming the kernel",
  fn: async () => {
    const g = await createWebGpuBackend({ warmup: false });
    g.pipelines.get(MATMUL_KERNELS.rowblock, { NOT_A_CONSTANT: 1 });
    for (let i = 0; i < 500 && !failed(g); i++) await new Promise((r) => setTimeout(r, 10));
    assert.throws(() => g.alloc(1), /Cannot create pipeline matmul_rowblock\|.*NOT_A_CONSTANT=1/);
    g.destroy();
  },
}));

Deno.test(gpuTest(gpu, {
  name: "profile: true times every kernel by name without waiting inside a step",
  fn: async () => {
    const g = await createWebGpuBackend({ profile: true, warmup: false });
    const x = g.alloc(1000), y = g.alloc(1000);
    g.random(x, { n: 1000, dist: "normal", seed: 1, offset: 0 });
    for (let i = 0; i < 3; i++) g.unary(x, y, { op: "tanh", n: 1000 });
    g.flush();
    const report = await g.recorder.profiler!.report();
    const names = Object.fromEntries(report.map(([name, t]) => [name, t.count]));
    assert.deepEqual(names, { random: 1, unary_forward: 3 });
    assert.ok(report.every(([, t]) => t.ns >= 0));
    g.destroy();
  },
}));

Deno.test(gpuTest(gpu, {
  name: "bind groups are reused across repeated dispatches and dropped when the pool trims",
  fn: async () => {
    const g = gpu!;
    g.flush();
    const x = g.alloc(33), y = g.alloc(33);
    g.fill(x, 0.5);
    g.unary(x, y, { op: "exp", n: 33 });
    const created = g.recorder.bindGroupsCreated;
    for (let i = 0; i < 10; i++) g.unary(x, y, { op: "exp", n: 33 });
    assert.equal(g.recorder.bindGroupsCreated, created, "same kernel, buffers and chunk: cached");
    await g.read(y);
    g.free(x);
    g.free(y);
    g.pool.trim(); // destroys the pooled buffers the cached bind groups point to
    const x2 = g.alloc(33), y2 = g.alloc(33);
    g.fill(x2, 0);
    g.unary(x2, y2, { op: "exp", n: 33 });
    assert.deepEqual([...await g.read(y2)], new Array(33).fill(1));
    g.free(x2);
    g.free(y2);
  },
}));
