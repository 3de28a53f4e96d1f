/**
 * GET /api/runs/:id/files/<path> — a file of a run folder: PNG, JSON, Markdown, text or CSV only
 * (never the database or checkpoints); the path is validated to stay inside the run folder, and so
 * is its real path: a symbolic link to anywhere outside is refused (403).
 */

import { realPathInside, resolveInside } from "../../../../../polyscore/runs/files.ts";
import { define } from "../../../../../server/define.ts";
import { HttpError } from "../../../../../server/http.ts";
import { runDir } from "../../../../../server/runs.ts";

const TYPES: Record<string, string> = {
  png: "image/png",
  json: "application/json; charset=utf-8",
  md: "text/plain; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  csv: "text/plain; charset=utf-8",
};

export const handler = define.handlers({
  GET(ctx) {
    const dir = runDir(ctx.state, ctx.params.id);
    const rel = ctx.params.path ?? "";
    let full: string;
    try {
      full = resolveInside(dir, rel, "file path");
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    const ext = /\.([a-z]+)$/.exec(rel)?.[1] ?? "";
    const type = TYPES[ext];
    if (!type) {
      throw new HttpError(
        400,
        `Cannot serve ${rel.slice(0, 100)}: only ${Object.keys(TYPES).join(", ")} files are served`,
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(realPathInside(dir, full, `file ${rel}`));
    } catch (e) {
      if (e instanceof RangeError) throw new HttpError(403, `Cannot serve ${e.message.slice(11)}`);
      throw new HttpError(404, `Cannot find file ${rel} in run ${ctx.params.id}`);
    }
    return new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": type, "cache-control": "no-cache" },
    });
  },
});
