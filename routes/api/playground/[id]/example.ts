/** GET /api/playground/:id/example?modality=&index= — a test example of one modality as PNG. */

import { encodePng } from "../../../../polyscore/data/png.ts";
import { arrayToImage } from "../../../../polyscore/runs/images.ts";
import { define } from "../../../../server/define.ts";
import { intParam } from "../../../../server/http.ts";
import { runDir } from "../../../../server/runs.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const dir = runDir(ctx.state, ctx.params.id);
    const q = ctx.url.searchParams;
    const png = await ctx.state.playground.peek(dir, async (s) => {
      const modality = intParam("modality", q.get("modality"), 0, s.modalities.length - 1);
      const index = intParam("index", q.get("index"), 0, s.testCount - 1);
      const m = s.modalities[modality];
      const x = await s.testExample(modality, index);
      return encodePng(arrayToImage(x, m.shape, m.kind), { level: 1 });
    });
    return new Response(png as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": "image/png", "cache-control": "no-store" },
    });
  },
});
