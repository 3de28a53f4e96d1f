/**
 * The one place where polyscore reads its built WebAssembly artifacts (`wasm/lib/`). Keep all
 * loading here so that an asset resolver can take it over later.
 *
 * @module
 */

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
  const url = new URL("./lib/" + name, import.meta.url);
  if (url.protocol === "file:") {
    try {
      return await Deno.readFile(url);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Error(
          `Cannot load wasm artifact: ${url.pathname} does not exist: run 'deno task wasm' to build it`,
        );
      }
      throw error;
    }
  }
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(
      `Cannot load wasm artifact: fetching ${url} failed: status is ${response.status}`,
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}
