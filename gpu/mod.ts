/**
 * The WebGPU compute backend: `createWebGpuBackend()` and the pieces it is built from (device
 * set-up, buffer pool, pipeline cache, uniform packer, recorder, kernel objects). Engine code uses
 * the `Backend` interface of engine/backend.ts and only needs `createWebGpuBackend`.
 *
 * @example
 * ```ts ignore
 * import { createWebGpuBackend } from "./mod.ts";
 * const gpu = await createWebGpuBackend();
 * console.log(gpu.adapterInfo.description, gpu.adapterInfo.isFallbackAdapter);
 * ```
 */

export {
  createWebGpuBackend,
  GpuBuffer,
  WebGpuBackend,
  type WebGpuBackendOptions,
} from "./backend.ts";
export {
  type AdapterInfo,
  DeviceLostError,
  GpuUnavailableError,
  requestGpu,
  type RequestGpuOptions,
} from "./device.ts";
export {
  diagnoseVulkan,
  type FileView,
  gatherVulkanFacts,
  type IcdManifest,
  REAL_FILES,
  type VulkanFacts,
} from "./vulkan_diagnosis.ts";
export { BufferPool } from "./buffer_pool.ts";
export { PipelineCache, pipelineKey } from "./pipeline_cache.ts";
export { Recorder } from "./recorder.ts";
export { KernelProfiler, type KernelTime } from "./profiler.ts";
export { defineKernel, type KernelDef } from "./kernel.ts";
export { packUniforms, uniformLayout, type UniformSchema } from "./uniforms.ts";
export { type MatmulVariant } from "./kernels/matmul.ts";
