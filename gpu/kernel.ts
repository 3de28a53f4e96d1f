/**
 * The kernel object every WGSL kernel is described by (after tfjs `WebGPUProgram`): a name, the
 * source file and entry point, its storage bindings, its uniform schema and its default overrides.
 * Binding i of the list is `@binding(i)` in group 0; the uniform `params` is the binding after them.
 */

import { type UniformLayout, uniformLayout, type UniformSchema } from "./uniforms.ts";

/** One storage binding: its role (for labels and docs) and access mode. */
export interface KernelBinding {
  readonly name: string;
  readonly access: "read" | "read_write";
}

/** Static description of one compute entry point. */
export interface KernelDef {
  /** Label and cache key, e.g. "matmul_blocked". */
  readonly name: string;
  /** File under gpu/kernels, without ".wgsl". */
  readonly file: string;
  readonly entryPoint: string;
  readonly bindings: readonly KernelBinding[];
  readonly uniforms: UniformSchema;
  /** Default values of the `override` constants (workgroup and tile sizes). */
  readonly overrides: Readonly<Record<string, number>>;
  /** Byte layout of `uniforms`, computed once. */
  readonly layout: UniformLayout;
}

/** Builds a `KernelDef`, computing its uniform layout. */
export function defineKernel(def: Omit<KernelDef, "layout">): KernelDef {
  return { ...def, layout: uniformLayout(def.uniforms) };
}

/** Largest workgroup count used in one dimension; larger grids spill into y. */
export const MAX_GROUPS_X = 32768;

/**
 * Splits `groups` workgroups into an (x, y) grid within the per-dimension limit. Shaders recover
 * the linear index as `wid.y * nwg.x + wid.x` and guard against overshoot.
 */
export function grid(groups: number): [number, number] {
  const g = Math.max(1, Math.ceil(groups));
  if (g <= MAX_GROUPS_X) return [g, 1];
  return [MAX_GROUPS_X, Math.ceil(g / MAX_GROUPS_X)];
}

/** Ceil-divide. */
export function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/** Default workgroup size of the one-invocation-per-element kernels. */
export const ELEMENTWISE_WG = 64;

/** Grid for `n` elements at `wg` invocations per workgroup. */
export function elementGrid(n: number, wg = ELEMENTWISE_WG): [number, number] {
  return grid(Math.ceil(n / wg));
}

/** Left-pads a per-dim list to 6 entries with `fill` (shapes 1, strides 0). */
export function pad6(v: readonly number[], fill: number): number[] {
  if (v.length > 6) {
    throw new RangeError(
      `Cannot index the tensor: at most 6 dims are supported: current rank is ${v.length}`,
    );
  }
  return [...new Array(6 - v.length).fill(fill), ...v];
}

/** Splits 6 entries into the (lo, hi) vec4 pair used by the uniforms. */
export function splitVec(v: readonly number[]): [number[], number[]] {
  return [v.slice(0, 4), v.slice(4, 6)];
}
