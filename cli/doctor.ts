/**
 * `polyscore doctor`: what this machine offers polyscore and what `--backend auto` would pick.
 * Deno's version; every WebGPU adapter found (name, fallback or not, limits, features) or exactly
 * why none was (the Vulkan diagnosis: loader, driver manifests, NVIDIA device nodes); CPU threads,
 * Wasm SIMD and relaxed SIMD (by validating the shipped artifacts); memory; where runs, MNIST and
 * the Wasm artifacts are found. It creates no backend and starts no worker.
 */
import { parseArgs } from "node:util";
import { assetPath } from "../engine/assets.ts";
import { autoChoice, probeAdapter } from "./backends.ts";
import { mnistDir } from "../polyscore/data/mnist.ts";
import { VERSION } from "../engine/version.ts";
import { diagnoseVulkan, gatherVulkanFacts, REAL_FILES, type VulkanFacts } from "../gpu/mod.ts";

/** One adapter as reported by `navigator.gpu.requestAdapter`. */
export interface AdapterReport {
  /** The request options that returned it (several may return the same adapter). */
  requestedAs: string[];
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  limits: Record<string, number>;
  features: string[];
}

/** Everything `doctor` prints, as data (`--json`). */
export interface DoctorReport {
  polyscore: string;
  deno: { version: string; v8: string; typescript: string; execPath: string; target: string };
  webgpu: {
    navigatorGpu: boolean;
    adapters: AdapterReport[];
    /** Causes found when no adapter was (empty otherwise). */
    whyNone: string[];
    vulkan: VulkanFacts | null;
    /** DENO_WEBGPU_BACKEND, which limits the graphics APIs Deno tries. */
    denoWebgpuBackend: string | null;
    xdgRuntimeDir: string | null;
  };
  auto: { name: "webgpu" | "wasm"; why: string };
  cpu: { threads: number; model: string | null; simd: boolean; relaxedSimd: boolean };
  memory: { totalBytes: number; availableBytes: number } | null;
  paths: {
    runs: { path: string; exists: boolean; count: number };
    mnist: { path: string | null; error: string | null };
    wasm: { file: string; path: string; bytes: number | null; validates: boolean }[];
  };
}

const REQUESTS: { label: string; options: GPURequestAdapterOptions }[] = [
  { label: "high-performance", options: { powerPreference: "high-performance" } },
  { label: "low-power", options: { powerPreference: "low-power" } },
  { label: "fallback", options: { forceFallbackAdapter: true } },
];

async function listAdapters(): Promise<AdapterReport[]> {
  const out: AdapterReport[] = [];
  for (const { label, options } of REQUESTS) {
    let a: GPUAdapter | null = null;
    try {
      a = await navigator.gpu.requestAdapter(options);
    } catch {
      continue; // reported through the diagnosis when no request succeeds
    }
    if (!a) continue;
    const info = a.info;
    const same = out.find((r) =>
      r.description === info.description && r.vendor === info.vendor &&
      r.device === info.device && r.isFallbackAdapter === info.isFallbackAdapter
    );
    if (same) {
      same.requestedAs.push(label);
      continue;
    }
    const limits: Record<string, number> = {};
    const l = a.limits as unknown as Record<string, unknown>;
    for (const k of Object.getOwnPropertyNames(Object.getPrototypeOf(l)).sort()) {
      if (typeof l[k] === "number") limits[k] = l[k] as number;
    }
    out.push({
      requestedAs: [label],
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: info.isFallbackAdapter,
      limits,
      features: [...a.features].sort(),
    });
  }
  return out;
}

/** The smallest module using a 128-bit SIMD value (`v128.const` returned). */
const SIMD_PROBE = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  22,
  1,
  20,
  0,
  253,
  12,
  ...new Array(16).fill(0),
  11,
]);

function fileSize(path: string): number | null {
  try {
    return Deno.statSync(path).size;
  } catch {
    return null;
  }
}

function cpuModel(): string | null {
  const text = REAL_FILES.read("/proc/cpuinfo");
  return text?.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? null;
}

function runsInfo(): DoctorReport["paths"]["runs"] {
  const dir = Deno.env.get("POLYSCORE_RUNS") ?? "runs";
  const path = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
  const names = REAL_FILES.list(path);
  const count = (names ?? []).filter((n) => REAL_FILES.exists(`${path}/${n}/config.json`)).length;
  return { path, exists: names !== null, count };
}

/** Looks at this machine; creates no backend. */
export async function collectDoctorReport(): Promise<DoctorReport> {
  const navigatorGpu = typeof navigator !== "undefined" && !!navigator.gpu;
  const adapters = navigatorGpu ? await listAdapters() : [];
  const linux = Deno.build.os === "linux";
  const vulkan = linux ? gatherVulkanFacts(REAL_FILES) : null;
  const whyNone = adapters.length > 0
    ? []
    : !navigatorGpu
    ? ["navigator.gpu is undefined in this Deno"]
    : vulkan
    ? diagnoseVulkan(vulkan)
    : [];
  const wasm = ["cpu.wasm", "cpu_fma.wasm", "linalg.wasm"].map((file) => {
    const path = assetPath(`wasm/lib/${file}`);
    let validates = false;
    try {
      validates = WebAssembly.validate(Deno.readFileSync(path));
    } catch {
      // missing: bytes is null
    }
    return { file, path, bytes: fileSize(path), validates };
  });
  let mnist: DoctorReport["paths"]["mnist"];
  try {
    mnist = { path: mnistDir(), error: null };
  } catch (e) {
    mnist = { path: null, error: (e as Error).message };
  }
  let memory: DoctorReport["memory"] = null;
  try {
    const m = Deno.systemMemoryInfo();
    memory = { totalBytes: m.total, availableBytes: m.available };
  } catch {
    // not permitted or not supported: printed as unknown
  }
  return {
    polyscore: VERSION,
    deno: {
      version: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
      execPath: Deno.execPath(),
      target: Deno.build.target,
    },
    webgpu: {
      navigatorGpu,
      adapters,
      whyNone,
      vulkan,
      denoWebgpuBackend: Deno.env.get("DENO_WEBGPU_BACKEND") ?? null,
      xdgRuntimeDir: Deno.env.get("XDG_RUNTIME_DIR") ?? null,
    },
    auto: autoChoice(await probeAdapter()),
    cpu: {
      threads: navigator.hardwareConcurrency,
      model: cpuModel(),
      simd: WebAssembly.validate(SIMD_PROBE),
      relaxedSimd: wasm.find((w) => w.file === "cpu_fma.wasm")!.validates,
    },
    memory,
    paths: { runs: runsInfo(), mnist, wasm },
  };
}

const GIB = 1024 ** 3;

/** `items` joined by ", " on lines of about 100 characters, the first starting with `head`. */
function wrap(head: string, items: string[]): string[] {
  const lines: string[] = [];
  let line = head;
  for (const it of items) {
    if (line.length + it.length > 100 && line.trim() !== head.trim()) {
      lines.push(line.trimEnd());
      line = " ".repeat(head.length);
    }
    line += `${it}, `;
  }
  lines.push(line.replace(/, $/, ""));
  return lines;
}
const yesNo = (b: boolean) => (b ? "yes" : "no");

/** The report as text, one fact a line, causes and fixes spelled out. */
export function formatDoctorReport(r: DoctorReport): string {
  const L: string[] = [];
  L.push(`polyscore ${r.polyscore}`);
  L.push(
    `Deno ${r.deno.version} (V8 ${r.deno.v8}, TypeScript ${r.deno.typescript}, ${r.deno.target})`,
  );
  L.push(`  executable: ${r.deno.execPath}`);
  L.push("", "WebGPU");
  if (!r.webgpu.navigatorGpu) L.push("  navigator.gpu: missing");
  for (const a of r.webgpu.adapters) {
    const name = [
      a.vendor && `vendor ${a.vendor}`,
      a.architecture,
      a.device && `device ${a.device}`,
    ]
      .filter(Boolean).join(", ");
    L.push(`  adapter: ${a.description || "(no description)"} (${name})`);
    L.push(
      `    fallback (software) adapter: ${yesNo(a.isFallbackAdapter)}; returned for: ${
        a.requestedAs.join(", ")
      }`,
    );
    L.push(...wrap("    limits: ", Object.entries(a.limits).map(([k, v]) => `${k}=${v}`)));
    L.push(`    features: ${a.features.join(", ") || "none"}`);
  }
  if (r.webgpu.adapters.length === 0) {
    L.push("  no adapter found. Why:");
    if (r.webgpu.whyNone.length === 0) {
      L.push(
        "  - the loader and a driver manifest are in place but the driver offered no device " +
          "(VK_LOADER_DEBUG=all polyscore doctor prints the Vulkan loader's log)",
      );
    }
    for (const w of r.webgpu.whyNone) L.push(`  - ${w}`);
  }
  const v = r.webgpu.vulkan;
  if (v) {
    L.push(`  Vulkan loader: ${v.loader ?? `not found (looked in ${v.loaderDirs.join(", ")})`}`);
    L.push(
      `  Vulkan driver manifests${v.icdOverride ? ` (from ${v.icdOverride})` : ""}: ${
        v.manifests.map((m) => `${m.path} → ${m.libraryFound ?? `${m.library} (missing)`}`)
          .join("; ") || `none (looked in ${v.icdSearched.join(", ")})`
      }`,
    );
    L.push(
      `  GPU device nodes: ${[...v.nvidiaDevices, ...v.renderNodes].join(", ") || "none"}`,
    );
  }
  if (r.webgpu.denoWebgpuBackend) {
    L.push(`  DENO_WEBGPU_BACKEND=${r.webgpu.denoWebgpuBackend} (limits the APIs Deno tries)`);
  }
  if (!r.webgpu.xdgRuntimeDir) {
    L.push("  XDG_RUNTIME_DIR is not set: Mesa prints an error; set it to a private folder");
  }
  L.push("", `Backend auto: ${r.auto.name} (${r.auto.why})`);
  L.push("", "CPU");
  L.push(`  threads: ${r.cpu.threads}${r.cpu.model ? ` (${r.cpu.model})` : ""}`);
  L.push(`  Wasm SIMD (128-bit): ${yesNo(r.cpu.simd)}`);
  L.push(
    `  Wasm relaxed SIMD (FMA GEMM kernel, wasm/lib/cpu_fma.wasm validates): ${
      yesNo(r.cpu.relaxedSimd)
    }`,
  );
  L.push(
    `  memory: ${
      r.memory
        ? `${(r.memory.totalBytes / GIB).toFixed(1)} GiB total, ${
          (r.memory.availableBytes / GIB).toFixed(1)
        } GiB available`
        : "unknown"
    }`,
  );
  const runs = r.paths.runs;
  L.push("", "Files");
  L.push(
    `  runs: ${runs.path} (${runs.exists ? `${runs.count} run(s)` : "not created yet"})`,
  );
  L.push(`  MNIST: ${r.paths.mnist.path ?? r.paths.mnist.error}`);
  for (const w of r.paths.wasm) {
    L.push(
      `  ${w.file}: ${w.path} ${
        w.bytes === null
          ? "(missing: run 'deno task wasm')"
          : `(${w.bytes} bytes, ${w.validates ? "validates" : "does not validate here"})`
      }`,
    );
  }
  return L.join("\n");
}

/** `polyscore doctor [--json]`; returns the exit code. */
export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(
      "Usage: polyscore doctor [--json]\n\nWhat this machine offers polyscore: Deno, WebGPU " +
        "adapters (or why none), the backend auto picks, CPU, memory, where files are found.",
    );
    return 0;
  }
  const r = await collectDoctorReport();
  console.log(values.json ? JSON.stringify(r, null, 2) : formatDoctorReport(r));
  return 0;
}
