/**
 * GET /api/experiments/:id/files/<path> — a file of an experiment folder: PNG, JSON or Markdown
 * only; the path (and its real path) must stay inside the experiment's folder.
 */

import { define } from "../../../../../server/define.ts";
import { experimentDir } from "../../../../../server/experiments.ts";
import { serveFolderFile } from "../../../../../server/folder_file.ts";

const TYPES = {
  png: "image/png",
  json: "application/json; charset=utf-8",
  md: "text/plain; charset=utf-8",
};

export const handler = define.handlers({
  GET(ctx) {
    const dir = experimentDir(ctx.state, ctx.params.id);
    return serveFolderFile(dir, ctx.params.path ?? "", TYPES, `experiment ${ctx.params.id}`);
  },
});
