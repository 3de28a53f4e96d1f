/** GET /static/<path> — the files under static/ (CSS, bundled islands), nothing else. */

import { assetPath } from "../../engine/assets.ts";
import { resolveInside } from "../../polyscore/runs/files.ts";
import { define } from "../../server/define.ts";
import { HttpError } from "../../server/http.ts";

const ROOT = assetPath("static");
const TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  png: "image/png",
  svg: "image/svg+xml",
  map: "application/json",
};

export const handler = define.handlers({
  GET(ctx) {
    const rel = ctx.params.path ?? "";
    let full: string;
    try {
      full = resolveInside(ROOT, rel, "static path");
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    const type = TYPES[/\.([a-z]+)$/.exec(rel)?.[1] ?? ""];
    if (!type) throw new HttpError(404, `Cannot find /static/${rel.slice(0, 100)}`);
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(full);
    } catch {
      throw new HttpError(404, `Cannot find /static/${rel.slice(0, 100)}`);
    }
    return new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": type, "cache-control": "no-cache" },
    });
  },
});
