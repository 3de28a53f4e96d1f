/**
 * Per-device cache of compute pipelines and bind group layouts, keyed by kernel name plus the
 * sorted override constants (explicit, like tfjs `makeShaderKey`). Pipelines use explicit labelled
 * layouts built from the kernel's binding list; the uniform binding has a dynamic offset, so one
 * bind group serves every uniform slice of a chunk. `warm()` compiles asynchronously and reports WGSL
 * compilation messages with line numbers; `get()` creates synchronously on a miss.
 */

import { loadWgsl } from "./_wgsl.ts";
import type { KernelDef } from "./kernel.ts";

/** Entry for one cached pipeline. */
export interface CachedPipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/** The cache key of a kernel specialised with `overrides`. */
export function pipelineKey(def: KernelDef, overrides: Readonly<Record<string, number>>): string {
  const parts = Object.keys(overrides).sort().map((k) => `${k}=${overrides[k]}`);
  return `${def.name}|${parts.join(",")}`;
}

const caches = new WeakMap<GPUDevice, PipelineCache>();

/** Compute pipelines for one device. */
export class PipelineCache {
  readonly #device: GPUDevice;
  readonly #modules = new Map<string, GPUShaderModule>();
  readonly #layouts = new Map<string, GPUBindGroupLayout>();
  readonly #pipelines = new Map<string, CachedPipeline>();
  /** Fast path: the pipeline of each kernel with its default constants. */
  #defaults = new WeakMap<KernelDef, CachedPipeline>();
  /**
   * Called (asynchronously) when a pipeline created by `get()` fails validation, with a message
   * naming the kernel and its constants; the backend marks the device unusable.
   */
  onError: ((message: string) => void) | null = null;
  /** When set, WGSL and constants of kernels whose name matches are printed (WEBGPU_PRINT_SHADER). */
  printShader: RegExp | null = null;

  private constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** The cache of `device`, created on first use. */
  static for(device: GPUDevice): PipelineCache {
    let c = caches.get(device);
    if (c === undefined) {
      c = new PipelineCache(device);
      caches.set(device, c);
    }
    return c;
  }

  /** Number of pipelines created so far. */
  get size(): number {
    return this.#pipelines.size;
  }

  #module(file: string): GPUShaderModule {
    let m = this.#modules.get(file);
    if (m === undefined) {
      m = this.#device.createShaderModule({ code: loadWgsl(file), label: `${file}.module` });
      this.#modules.set(file, m);
    }
    return m;
  }

  /** The explicit bind group layout of `def`: storage bindings, then the uniform. */
  bindGroupLayout(def: KernelDef): GPUBindGroupLayout {
    let l = this.#layouts.get(def.name);
    if (l === undefined) {
      const entries: GPUBindGroupLayoutEntry[] = def.bindings.map((b, i) => ({
        binding: i,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.access === "read" ? "read-only-storage" : "storage" },
      }));
      entries.push({
        binding: def.bindings.length,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: "uniform", hasDynamicOffset: true }, // slice chosen per dispatch
      });
      l = this.#device.createBindGroupLayout({ entries, label: `${def.name}.bindGroupLayout` });
      this.#layouts.set(def.name, l);
    }
    return l;
  }

  #descriptor(def: KernelDef, constants: Record<string, number>): GPUComputePipelineDescriptor {
    const layout = this.bindGroupLayout(def);
    if (this.printShader?.test(def.name)) {
      console.log(`// ${def.name} constants ${JSON.stringify(constants)}\n${loadWgsl(def.file)}`);
    }
    return {
      label: `${def.name}.pipeline`,
      layout: this.#device.createPipelineLayout({
        bindGroupLayouts: [layout],
        label: `${def.name}.pipelineLayout`,
      }),
      compute: { module: this.#module(def.file), entryPoint: def.entryPoint, constants },
    };
  }

  /** Returns the pipeline of `def` with `overrides` applied over its defaults (sync on a miss). */
  get(def: KernelDef, overrides?: Readonly<Record<string, number>>): CachedPipeline {
    if (overrides === undefined) {
      const hit = this.#defaults.get(def);
      if (hit !== undefined) return hit;
      const p = this.get(def, {});
      this.#defaults.set(def, p);
      return p;
    }
    const constants = { ...def.overrides, ...overrides };
    const key = pipelineKey(def, constants);
    let p = this.#pipelines.get(key);
    if (p === undefined) {
      this.#device.pushErrorScope("validation");
      const pipeline = this.#device.createComputePipeline(this.#descriptor(def, constants));
      this.#device.popErrorScope().then((err) => {
        if (err !== null) this.onError?.(`Cannot create pipeline ${key}: ${err.message}`);
      });
      p = { pipeline, layout: this.bindGroupLayout(def) };
      this.#pipelines.set(key, p);
    }
    return p;
  }

  /**
   * Compiles `def` asynchronously and caches it. Rejects with the WGSL compilation messages (with
   * line numbers) when the shader or pipeline is invalid.
   */
  async warm(def: KernelDef, overrides?: Readonly<Record<string, number>>): Promise<void> {
    const constants = { ...def.overrides, ...overrides };
    const key = pipelineKey(def, constants);
    if (this.#pipelines.has(key)) return;
    const module = this.#module(def.file);
    try {
      const pipeline = await this.#device.createComputePipelineAsync(
        this.#descriptor(def, constants),
      );
      this.#pipelines.set(key, { pipeline, layout: this.bindGroupLayout(def) });
    } catch (e) {
      const info = await module.getCompilationInfo();
      const msgs = info.messages.map((m) =>
        `${def.file}.wgsl:${m.lineNum}:${m.linePos} ${m.message}`
      );
      throw new Error(
        `Cannot compile kernel ${def.name}: ${(e as Error).message}${
          msgs.length > 0 ? "\n" + msgs.join("\n") : ""
        }`,
      );
    }
  }

  /** Drops everything (after device loss). */
  clear(): void {
    this.#defaults = new WeakMap();
    this.#modules.clear();
    this.#layouts.clear();
    this.#pipelines.clear();
  }
}
