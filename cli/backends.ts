/**
 * Chooses and creates a compute backend. `auto` picks WebGPU on a real GPU and the Wasm CPU
 * backend when the only adapter is a fallback (Mesa's llvmpipe) or there is none; `--backend` or
 * POLYSCORE_BACKEND overrides. The choice and the reason are returned for printing.
 */
import type { Backend, BackendName } from "../engine/backend.ts";
import { createWebGpuBackend } from "../gpu/mod.ts";
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

async function probeAdapter(): Promise<{ found: boolean; fallback: boolean; description: string }> {
  if (typeof navigator === "undefined" || !("gpu" in navigator) || !navigator.gpu) {
    return { found: false, fallback: false, description: "navigator.gpu is unavailable" };
  }
  try {
    const a = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!a) return { found: false, fallback: false, description: "no WebGPU adapter" };
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
  if (probe.found && !probe.fallback) {
    return {
      backend: await createWebGpuBackend(),
      reason: `webgpu (auto: real GPU found: ${probe.description})`,
    };
  }
  const be = await createWasmCpuBackend({ threads: opts.threads });
  const why = probe.found ? `only a fallback adapter (${probe.description})` : probe.description;
  return {
    backend: be,
    reason: `wasm (auto: ${why}; Rust→Wasm SIMD on ${
      opts.threads ?? navigator.hardwareConcurrency
    } threads)`,
  };
}
