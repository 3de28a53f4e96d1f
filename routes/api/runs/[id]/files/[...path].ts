/**
 * GET /api/runs/:id/files/<path> — a file of a run folder: PNG, JSON, Markdown, text or CSV only
 * (never the database or checkpoints); the path is validated to stay inside the run folder, and so
 * is its real path: a symbolic link to anywhere outside is refused (403).
 */

import { define } from "../../../../../server/define.ts";
import { serveFolderFile } from "../../../../../server/folder_file.ts";
import { runDir } from "../../../../../server/runs.ts";

const TYPES = {
  png: "image/png",
  json: "application/json; charset=utf-8",
  md: "text/plain; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  csv: "text/plain; charset=utf-8",
};

export const handler = define.handlers({
  GET(ctx) {
    const dir = runDir(ctx.state, ctx.params.id);
    return serveFolderFile(dir, ctx.params.path ?? "", TYPES, `run ${ctx.params.id}`);
  },
});
