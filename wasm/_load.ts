/**
 * The one place where polyscore reads its built WebAssembly artifacts (`wasm/lib/`), through the
 * asset resolver (engine/assets.ts).
 *
 * @module
 */

import { readAssetBytes } from "../engine/assets.ts";

/**
 * Reads the bytes of a built artifact from `wasm/lib/`.
 *
 * @param name File name inside `wasm/lib/`, for example `"linalg.wasm"`.
 * @returns The file's bytes.
 * @example
 * ```ts
 * import { loadWasmBytes } from "./_load.ts";
 * const bytes = await loadWasmBytes("linalg.wasm");
 * ```
 */
export async function loadWasmBytes(name: string): Promise<Uint8Array<ArrayBuffer>> {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new TypeError(
      `Cannot load wasm artifact: name must be a plain file name: current value is ${
        JSON.stringify(name)
      }`,
    );
  }
  // Through the one asset resolver, so a compiled binary finds the embedded copy.
  return await readAssetBytes(`wasm/lib/${name}`);
}
