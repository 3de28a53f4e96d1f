/**
 * GET /api/experiments/:id/files/<path> — a file of an experiment folder: PNG, JSON or Markdown
 * only; the path (and its real path) must stay inside the experiment's folder.
 */

import { realPathInside, resolveInside } from "../../../../../polyscore/runs/files.ts";
import { define } from "../../../../../server/define.ts";
import { experimentDir } from "../../../../../server/experiments.ts";
import { HttpError } from "../../../../../server/http.ts";

const TYPES: Record<string, string> = {
  png: "image/png",
  json: "application/json; charset=utf-8",
  md: "text/plain; charset=utf-8",
};

export const handler = define.handlers({
  GET(ctx) {
    const dir = experimentDir(ctx.state, ctx.params.id);
    const rel = ctx.params.path ?? "";
    let full: string;
    try {
      full = resolveInside(dir, rel, "file path");
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    const type = TYPES[/\.([a-z]+)$/.exec(rel)?.[1] ?? ""];
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
      throw new HttpError(404, `Cannot find file ${rel} in experiment ${ctx.params.id}`);
    }
    return new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": type, "cache-control": "no-cache" },
    });
  },
});
