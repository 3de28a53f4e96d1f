/**
 * Matmul kernels: out[M,N] (+)= op(a)·op(b) in five variants. General (any layout, any size):
 * "naive" (one output per invocation, the baseline), "tiled" (16×16 shared-memory tiles) and
 * "blocked" (shared memory + TM×TN register blocking). Untransposed with K and N multiples of 4:
 * "vec4" (shared-memory tiles of vec4s, the GPU default) and "rowblock" (no shared memory, a
 * workgroup-uniform a; the CPU-rasterizer default). The math is `ReferenceBackend.matmul`; the
 * shaders are matmul_*.wgsl; `WebGpuBackend.matmul` chooses and transposes operands as needed.
 */

import type { BinaryBuffers, MatmulSpec } from "../../engine/backend.ts";
import { ceilDiv, defineKernel, type KernelDef } from "../kernel.ts";
import type { Recorder } from "../recorder.ts";
import type { UniformSchema } from "../uniforms.ts";

/** Selectable matmul implementations. */
export type MatmulVariant = "naive" | "tiled" | "blocked" | "vec4" | "rowblock";

const UNIFORMS: UniformSchema = [
  { name: "m", type: "u32" },
  { name: "k", type: "u32" },
  { name: "n", type: "u32" },
  { name: "a_sm", type: "u32" },
  { name: "a_sk", type: "u32" },
  { name: "b_sk", type: "u32" },
  { name: "b_sn", type: "u32" },
  { name: "accumulate", type: "u32" },
];

const BINDINGS = [
  { name: "a", access: "read" },
  { name: "b", access: "read" },
  { name: "out", access: "read_write" },
] as const;

/** Kernel objects of the three variants. */
export const MATMUL_KERNELS: Record<MatmulVariant, KernelDef> = {
  naive: defineKernel({
    name: "matmul_naive",
    file: "matmul_naive",
    entryPoint: "main",
    bindings: BINDINGS,
    uniforms: UNIFORMS,
    overrides: { WG_X: 16, WG_Y: 8 },
  }),
  tiled: defineKernel({
    name: "matmul_tiled",
    file: "matmul_tiled",
    entryPoint: "main",
    bindings: BINDINGS,
    uniforms: UNIFORMS,
    overrides: { TILE: 16 },
  }),
  blocked: defineKernel({
    name: "matmul_blocked",
    file: "matmul_blocked",
    entryPoint: "main",
    bindings: BINDINGS,
    uniforms: UNIFORMS,
    overrides: { WG_X: 16, WG_Y: 16, TM: 4, TN: 4, BK: 16 },
  }),
  vec4: defineKernel({
    name: "matmul_vec4",
    file: "matmul_vec4",
    entryPoint: "main",
    bindings: BINDINGS,
    uniforms: UNIFORMS,
    overrides: { WG_X: 8, WG_Y: 8, TM: 4, TN4: 1, BK: 32 },
  }),
  rowblock: defineKernel({
    name: "matmul_rowblock",
    file: "matmul_rowblock",
    entryPoint: "main",
    bindings: BINDINGS,
    uniforms: UNIFORMS,
    overrides: { WG: 16, TM: 32 },
  }),
};

/** True when `variant` can run `spec` directly (vec4 kernels need K, N multiples of 4, no transposes). */
export function matmulSupports(variant: MatmulVariant, spec: MatmulSpec): boolean {
  if (variant !== "vec4" && variant !== "rowblock") return true;
  return !spec.transA && !spec.transB && spec.k % 4 === 0 && spec.n % 4 === 0;
}

/**
 * Records one matmul. `overrides` replaces the variant's default tile constants. The caller
 * ensures `matmulSupports(variant, spec)`.
 */
export function encodeMatmul(
  rec: Recorder,
  bufs: BinaryBuffers<GPUBuffer>,
  spec: MatmulSpec,
  variant: MatmulVariant = "blocked",
  overrides?: Readonly<Record<string, number>>,
): void {
  const { m, k, n } = spec;
  if (m === 0 || n === 0) return;
  const def = MATMUL_KERNELS[variant];
  const o = { ...def.overrides, ...overrides };
  const values = {
    m,
    k,
    n,
    a_sm: spec.transA ? 1 : k,
    a_sk: spec.transA ? m : 1,
    b_sk: spec.transB ? 1 : n,
    b_sn: spec.transB ? k : 1,
    accumulate: spec.accumulate ? 1 : 0,
  };
  let groups: [number, number];
  if (variant === "naive") groups = [ceilDiv(n, o.WG_X), ceilDiv(m, o.WG_Y)];
  else if (variant === "tiled") groups = [ceilDiv(n, o.TILE), ceilDiv(m, o.TILE)];
  else if (variant === "rowblock") groups = [ceilDiv(m, o.TM), ceilDiv(n, o.WG * 4)];
  else if (variant === "vec4") groups = [ceilDiv(n, o.WG_X * 4 * o.TN4), ceilDiv(m, o.WG_Y * o.TM)];
  else groups = [ceilDiv(n, o.WG_X * o.TN), ceilDiv(m, o.WG_Y * o.TM)];
  rec.dispatch(def, [bufs.a, bufs.b, bufs.out], values, groups, overrides);
}
