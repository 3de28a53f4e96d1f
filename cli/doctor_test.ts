/**
 * `polyscore doctor`: the report of this machine holds the facts the issue asks for, and the text
 * of a machine without an adapter gives every cause of the Vulkan diagnosis and auto's choice.
 */
import assert from "node:assert/strict";
import { collectDoctorReport, type DoctorReport, formatDoctorReport } from "./doctor.ts";

Deno.test("collectDoctorReport() reports Deno, the artifacts, CPU, memory and auto's choice", async () => {
  const r = await collectDoctorReport();
  assert.equal(r.deno.version, Deno.version.deno);
  assert.equal(r.cpu.threads, navigator.hardwareConcurrency);
  assert.equal(r.cpu.simd, true, "the SIMD probe module validates in Deno 2.9");
  assert.deepEqual(r.paths.wasm.map((w) => [w.file, w.validates]), [
    ["cpu.wasm", true],
    ["cpu_fma.wasm", true],
    ["linalg.wasm", true],
  ]);
  assert.ok(r.memory && r.memory.totalBytes > 0);
  // an adapter list or a reason, never neither
  assert.ok(r.webgpu.adapters.length > 0 || r.webgpu.whyNone.length > 0 || !r.webgpu.navigatorGpu);
  assert.ok(["webgpu", "wasm"].includes(r.auto.name) && r.auto.why.length > 0);
  const text = formatDoctorReport(r);
  assert.match(text, new RegExp(`^Deno ${Deno.version.deno.replaceAll(".", "\\.")} `, "m"));
  assert.match(text, /^Backend auto: (webgpu|wasm) \(/m);
});

Deno.test("formatDoctorReport() without an adapter lists each cause, the paths searched and auto's reason", () => {
  const r: DoctorReport = {
    polyscore: "0.0.0",
    deno: { version: "2.9.6", v8: "v8", typescript: "ts", execPath: "/x/deno", target: "t" },
    webgpu: {
      navigatorGpu: true,
      adapters: [],
      whyNone: ["no Vulkan loader: libvulkan.so.1 is in none of /a, /b: fix", "second cause"],
      vulkan: {
        loaderDirs: ["/a", "/b"],
        loader: null,
        icdSearched: ["/etc/vulkan/icd.d"],
        icdOverride: null,
        manifests: [],
        nvidiaDevices: ["/dev/nvidia0"],
        renderNodes: [],
      },
      denoWebgpuBackend: null,
      xdgRuntimeDir: null,
    },
    auto: { name: "wasm", why: "no WebGPU adapter (no Vulkan loader)" },
    cpu: { threads: 3, model: null, simd: true, relaxedSimd: false },
    memory: null,
    paths: {
      runs: { path: "/r", exists: false, count: 0 },
      mnist: { path: null, error: "Cannot find MNIST: x" },
      wasm: [{ file: "cpu.wasm", path: "/w/cpu.wasm", bytes: null, validates: false }],
    },
  };
  const text = formatDoctorReport(r);
  for (
    const want of [
      "  no adapter found. Why:",
      "  - no Vulkan loader: libvulkan.so.1 is in none of /a, /b: fix",
      "  - second cause",
      "  Vulkan loader: not found (looked in /a, /b)",
      "  Vulkan driver manifests: none (looked in /etc/vulkan/icd.d)",
      "  GPU device nodes: /dev/nvidia0",
      "  XDG_RUNTIME_DIR is not set",
      "Backend auto: wasm (no WebGPU adapter (no Vulkan loader))",
      "  threads: 3",
      "  Wasm relaxed SIMD (FMA GEMM kernel, wasm/lib/cpu_fma.wasm validates): no",
      "  memory: unknown",
      "  runs: /r (not created yet)",
      "  MNIST: Cannot find MNIST: x",
      "  cpu.wasm: /w/cpu.wasm (missing: run 'deno task wasm')",
    ]
  ) assert.ok(text.includes(want), `missing line: ${want}\n${text}`);
});
