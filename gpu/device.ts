/**
 * WebGPU adapter and device set-up: requests the adapter, raises the limits the kernels need up to
 * what the adapter offers, and watches `device.lost` and `uncapturederror`. After either, the next
 * backend call throws `DeviceLostError` naming the reason (no silent garbage results).
 */

import { diagnoseVulkan, gatherVulkanFacts, REAL_FILES } from "./vulkan_diagnosis.ts";

/** No WebGPU adapter could be found; the message carries a hint. Callers may fall back to Wasm. */
export class GpuUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GpuUnavailableError";
  }
}

/** The device was lost or raised an uncaptured error; the backend is unusable afterwards. */
export class DeviceLostError extends Error {
  /** What happened, as reported by the device. */
  readonly reason: string;
  constructor(reason: string) {
    super(`Cannot use the WebGPU device: ${reason}`);
    this.name = "DeviceLostError";
    this.reason = reason;
  }
}

/** Adapter facts exposed by the backend. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

/** Options of `requestGpu`. */
export interface RequestGpuOptions {
  powerPreference?: GPUPowerPreference;
  /** Refuse a fallback (software) adapter with GpuUnavailableError. Default false. */
  rejectFallback?: boolean;
  /** Optional features to enable when the adapter offers them (e.g. "timestamp-query"). */
  features?: GPUFeatureName[];
}

/** A device with its adapter facts and health state. */
export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapterInfo: AdapterInfo;
  readonly health: DeviceHealth;
}

/** Limits raised to the adapter's maximum when it offers more than the default. */
const WANTED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxStorageBuffersPerShaderStage",
] as const;

/** Tracks device loss and uncaptured errors; `check()` throws once either happened. */
export class DeviceHealth {
  #reason: string | null = null;
  /** Called once when the device becomes unusable. */
  onFailure: ((reason: string) => void) | null = null;

  /** Records a failure (the first one wins). */
  fail(reason: string): void {
    if (this.#reason !== null) return;
    this.#reason = reason;
    this.onFailure?.(reason);
  }

  /** The failure reason, or null while healthy. */
  get reason(): string | null {
    return this.#reason;
  }

  /** Throws `DeviceLostError` if the device failed. */
  check(): void {
    if (this.#reason !== null) throw new DeviceLostError(this.#reason);
  }

  /** Subscribes to `device.lost` and `uncapturederror`. */
  watch(device: GPUDevice): void {
    device.lost.then((info) => {
      if (info.reason !== "destroyed") {
        this.fail(`device lost (${info.reason}): ${info.message}`);
      } else if (this.#reason === null) {
        this.#reason = "device was destroyed";
      }
    });
    device.addEventListener("uncapturederror", (ev) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.fail(`uncaptured ${err.constructor.name}: ${err.message}`);
    });
  }
}

/**
 * Requests an adapter and a device with raised limits.
 *
 * @throws {GpuUnavailableError} when no adapter exists (or only a fallback one and
 *   `rejectFallback` is set).
 * @example
 * ```ts ignore
 * const { device, adapterInfo } = await requestGpu();
 * ```
 */
export async function requestGpu(opts: RequestGpuOptions = {}): Promise<GpuContext> {
  // Typed structurally: this also runs in workers, whose lib has WorkerNavigator, not Navigator.
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (gpu === undefined) {
    throw new GpuUnavailableError(
      "Cannot find WebGPU: navigator.gpu is undefined: pass --unstable-webgpu if this Deno needs it",
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference });
  if (adapter === null) {
    const why = Deno.build.os === "linux" ? diagnoseVulkan(gatherVulkanFacts(REAL_FILES)) : [];
    throw new GpuUnavailableError(
      `Cannot find a WebGPU adapter: ${
        why.length ? why.join("; ") : "the Vulkan loader and a driver manifest are in place, " +
          "but the driver offered no device (VK_LOADER_DEBUG=all shows the loader's log)"
      }; or use the wasm backend (polyscore doctor explains more)`,
    );
  }
  const info = adapter.info;
  if (opts.rejectFallback && info.isFallbackAdapter) {
    throw new GpuUnavailableError(
      `Cannot use the WebGPU adapter: it is a fallback adapter: current adapter is ${info.description}`,
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const v = adapter.limits[name];
    if (typeof v === "number") requiredLimits[name] = v;
  }
  const requiredFeatures = (opts.features ?? []).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    requiredLimits,
    requiredFeatures,
    label: "polyscore.device",
  });
  const health = new DeviceHealth();
  health.watch(device);
  return {
    device,
    health,
    adapterInfo: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: info.isFallbackAdapter,
    },
  };
}
