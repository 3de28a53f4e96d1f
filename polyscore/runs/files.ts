/**
 * File-system helpers of the run store: atomic writes (temp file + fsync + rename + directory
 * fsync) and path validation so nothing a caller names can leave its folder. No I/O policy beyond
 * that: callers decide what to write.
 */

import { isAbsolute, join, relative, resolve, sep } from "node:path";

/** A run id or file-name segment: letters, digits, `.`, `_`, `-`; not `.`/`..`; at most 128 chars. */
export const SEGMENT_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Throws a RangeError unless `segment` is one safe path segment (see {@link SEGMENT_PATTERN}).
 *
 * @param what what the segment names, for the message ("run id", "checkpoint name")
 */
export function validateSegment(segment: unknown, what: string): string {
  if (typeof segment !== "string") {
    throw new TypeError(
      `Cannot use ${what}: it must be a string: current value is ${typeof segment}`,
    );
  }
  if (!SEGMENT_PATTERN.test(segment) || segment === "." || segment === "..") {
    throw new RangeError(
      `Cannot use ${what}: it must match [A-Za-z0-9._-]{1,128} and not be "." or "..": current value is ${
        JSON.stringify(segment.slice(0, 200))
      }`,
    );
  }
  return segment;
}

/**
 * Resolves `relPath` (slash-separated, every segment valid per {@link SEGMENT_PATTERN}, at most 8
 * segments) inside `dir`, and checks the result stays inside `dir`.
 *
 * @returns the absolute path
 */
export function resolveInside(dir: string, relPath: unknown, what = "relative path"): string {
  if (typeof relPath !== "string" || relPath.length === 0 || relPath.length > 512) {
    throw new RangeError(
      `Cannot use ${what}: it must be a non-empty string of at most 512 characters: current value is ${
        JSON.stringify(typeof relPath === "string" ? relPath.slice(0, 200) : relPath)
      }`,
    );
  }
  if (relPath.startsWith("/") || relPath.includes("\\") || isAbsolute(relPath)) {
    throw new RangeError(
      `Cannot use ${what}: it must be relative and use "/": current value is ${
        JSON.stringify(relPath)
      }`,
    );
  }
  const parts = relPath.split("/");
  if (parts.length > 8) {
    throw new RangeError(
      `Cannot use ${what}: it has more than 8 segments: current value is ${relPath}`,
    );
  }
  for (const p of parts) validateSegment(p, `${what} segment of ${JSON.stringify(relPath)}`);
  const root = resolve(dir);
  const full = resolve(root, ...parts);
  const rel = relative(root, full);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel) || rel.split(sep).includes("..")) {
    throw new RangeError(`Cannot use ${what}: it leaves its folder: current value is ${relPath}`);
  }
  return full;
}

/**
 * The real path of `full` (symbolic links resolved) when it is inside the real path of `dir`;
 * a RangeError when a link leads outside (a run folder unpacked from someone else's archive may
 * hold a link to /etc/passwd). NotFound propagates.
 */
export function realPathInside(dir: string, full: string, what = "file"): string {
  const root = Deno.realPathSync(dir);
  const real = Deno.realPathSync(full);
  const rel = relative(root, real);
  if (rel === "" || rel.split(sep)[0] === ".." || isAbsolute(rel)) {
    throw new RangeError(`Cannot use ${what}: it is a link to a place outside its folder`);
  }
  return real;
}

function fsyncDir(dir: string): void {
  // Make the rename durable. Opening a directory read-only works on Linux; elsewhere skip quietly.
  try {
    const f = Deno.openSync(dir, { read: true });
    try {
      f.syncSync();
    } finally {
      f.close();
    }
  } catch {
    // Not supported on this platform (e.g. Windows): the rename itself is still atomic.
  }
}

/**
 * Writes `data` to `path` atomically: a temp file in the same folder, fsync, rename over `path`,
 * fsync of the folder. Readers see the old file or the new one, never a partial one. Creates the
 * parent folder if needed.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const dir = resolve(path, "..");
  Deno.mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${Math.random().toString(36).slice(2, 10)}.${Deno.pid}.tmp`);
  const f = Deno.openSync(tmp, { write: true, create: true, truncate: true });
  try {
    let off = 0;
    while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
    f.syncSync();
  } catch (e) {
    f.close();
    try {
      Deno.removeSync(tmp);
    } catch { /* already gone */ }
    throw e;
  }
  f.close();
  Deno.renameSync(tmp, path);
  fsyncDir(dir);
}

/** Reads a file, or returns null when it does not exist. Other errors propagate. */
export function readFileOrNull(path: string): Uint8Array | null {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}
