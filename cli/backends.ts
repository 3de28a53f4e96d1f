/**
 * Chooses and creates a compute backend. `auto` picks WebGPU on a real GPU and the Wasm CPU
 * backend when the only adapter is a fallback (Mesa's llvmpipe) or there is none; `--backend` or
 * POLYSCORE_BACKEND overrides. The choice and the reason are returned for printing.
 */
import type { Backend, BackendName } from "../engine/backend.ts";
import { createWebGpuBackend, diagnoseVulkan, gatherVulkanFacts, REAL_FILES } from "../gpu/mod.ts";
import { createWasmCpuBackend } from "../wasm/cpu/mod.ts";
import { ReferenceBackend } from "../engine/reference/backend.ts";

/** What the user may ask for. */
export type BackendChoice = "auto" | BackendName;

/** Every accepted backend name. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "webgpu", "wasm", "reference"];

/** A created backend with a one-line description of why it was chosen. */
export interface SelectedBackend {
  backend: Backend;
  reason: string;
}

/** What a WebGPU adapter request found (the facts `auto` decides on). */
export interface AdapterProbe {
  found: boolean;
  fallback: boolean;
  description: string;
}

/**
 * Asks for the high-performance adapter. Without one, `description` says why: the causes found by
 * the Vulkan diagnosis (gpu/vulkan_diagnosis.ts), so a fallback to the CPU never goes unexplained.
 */
export async function probeAdapter(): Promise<AdapterProbe> {
  if (typeof navigator === "undefined" || !("gpu" in navigator) || !navigator.gpu) {
    return { found: false, fallback: false, description: "navigator.gpu is unavailable" };
  }
  try {
    const a = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!a) {
      const causes = Deno.build.os === "linux"
        ? diagnoseVulkan(gatherVulkanFacts(REAL_FILES)).map((l) => l.split(":")[0])
        : [];
      const why = causes.length ? causes.join(", ") : "the driver offered no device";
      return {
        found: false,
        fallback: false,
        description: `no WebGPU adapter (${why}; 'polyscore doctor' explains)`,
      };
    }
    const info = a.info;
    const desc = [info.vendor, info.architecture, info.description].filter(Boolean).join(" ");
    return {
      found: true,
      fallback: info.isFallbackAdapter,
      description: desc || "unnamed adapter",
    };
  } catch (e) {
    return {
      found: false,
      fallback: false,
      description: `adapter request failed: ${(e as Error).message}`,
    };
  }
}

/** What `auto` picks for a probe, and why (one line, without the thread count). */
export function autoChoice(probe: AdapterProbe): { name: "webgpu" | "wasm"; why: string } {
  if (probe.found && !probe.fallback) {
    return { name: "webgpu", why: `real GPU found: ${probe.description}` };
  }
  return {
    name: "wasm",
    why: probe.found ? `only a fallback adapter (${probe.description})` : probe.description,
  };
}

/**
 * Creates the backend for `choice` ("auto" unless POLYSCORE_BACKEND says otherwise).
 * @throws {RangeError} for an unknown name, naming the allowed values
 */
export async function selectBackend(
  choice?: string,
  opts: { threads?: number } = {},
): Promise<SelectedBackend> {
  const name = (choice ?? Deno.env.get("POLYSCORE_BACKEND") ?? "auto") as BackendChoice;
  if (!BACKEND_CHOICES.includes(name)) {
    throw new RangeError(
      `Cannot select backend "${name}": allowed values are ${BACKEND_CHOICES.join(", ")}`,
    );
  }
  if (name === "reference") {
    return {
      backend: new ReferenceBackend(),
      reason: "reference (f64 TypeScript, for tests; very slow)",
    };
  }
  if (name === "wasm") {
    const be = await createWasmCpuBackend({ threads: opts.threads });
    return {
      backend: be,
      reason: `wasm (Rust→Wasm SIMD on ${
        opts.threads ?? navigator.hardwareConcurrency
      } threads, as requested)`,
    };
  }
  const probe = await probeAdapter();
  if (name === "webgpu") {
    const be = await createWebGpuBackend();
    return {
      backend: be,
      reason: `webgpu (${probe.description}${
        probe.fallback ? ", a software fallback adapter: expect it to be slow" : ""
      }, as requested)`,
    };
  }
  const auto = autoChoice(probe);
  if (auto.name === "webgpu") {
    return { backend: await createWebGpuBackend(), reason: `webgpu (auto: ${auto.why})` };
  }
  const be = await createWasmCpuBackend({ threads: opts.threads });
  return {
    backend: be,
    reason: `wasm (auto: ${auto.why}; Rust→Wasm SIMD on ${
      opts.threads ?? navigator.hardwareConcurrency
    } threads)`,
  };
}

/**
 * Modalities the Wasm backend trains at once (`polyscore train --workers`): all of them, each in a
 * worker on one thread, on a machine with two or more cores. On the 2-core machine, five quick
 * autoencoders at once (time-sliced) took 190 s, two at a time 212 s (the fifth on two threads),
 * one at a time on two threads 270 s (README, "Modality workers"); one core: one at a time.
 */
export function defaultModalityWorkers(): number {
  return (navigator.hardwareConcurrency ?? 1) >= 2 ? Infinity : 1;
}
