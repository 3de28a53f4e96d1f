/**
 * Serving one file of a run or experiment folder: only the listed types, and the path (and its real
 * path: a symbolic link to anywhere outside is refused, 403) must stay inside the folder. Shared by
 * the runs and experiments file routes, so both refuse the same things with the same statuses.
 */

import { realPathInside, resolveInside } from "../polyscore/runs/files.ts";
import { HttpError } from "./http.ts";

/** File extension → content type of what may be served. */
export type ServedTypes = Readonly<Record<string, string>>;

/**
 * The response for `rel` inside `dir`; `what` names the folder in a 404 ("run r1").
 * Throws HttpError 400 (a path outside or a type not served), 403 (a link outside), 404 (missing).
 */
export function serveFolderFile(dir: string, rel: string, types: ServedTypes, what: string) {
  let full: string;
  try {
    full = resolveInside(dir, rel, "file path");
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
  const type = types[/\.([a-z]+)$/.exec(rel)?.[1] ?? ""];
  if (!type) {
    throw new HttpError(
      400,
      `Cannot serve ${rel.slice(0, 100)}: only ${Object.keys(types).join(", ")} files are served`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(realPathInside(dir, full, `file ${rel}`));
  } catch (e) {
    if (e instanceof RangeError) throw new HttpError(403, `Cannot serve ${e.message.slice(11)}`);
    throw new HttpError(404, `Cannot find file ${rel} in ${what}`);
  }
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: { "content-type": type, "cache-control": "no-cache" },
  });
}
