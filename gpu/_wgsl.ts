/**
 * The one place WGSL source is loaded from disk. Every kernel goes through `loadWgsl(name)`, so an
 * asset resolver (for `deno compile` or a browser bundle) can take this over later.
 * Not a template engine: files are returned verbatim.
 */

import { readAssetTextSync } from "../engine/assets.ts";

const cache = new Map<string, string>();

/**
 * Returns the text of `gpu/kernels/<name>.wgsl`, cached after the first read.
 *
 * @example
 * ```ts
 * import { loadWgsl } from "./_wgsl.ts";
 * const src = loadWgsl("fill");
 * ```
 */
export function loadWgsl(name: string): string {
  let src = cache.get(name);
  if (src === undefined) {
    src = readAssetTextSync(`gpu/kernels/${name}.wgsl`);
    cache.set(name, src);
  }
  return src;
}
