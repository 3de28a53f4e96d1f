import assert from "node:assert/strict";
import { fixtureReport } from "../../tests/_fixtures.ts";
import { reportMarkdown } from "./markdown.ts";

Deno.test("report.md gives ± std only when there are several seeds", () => {
  const one = fixtureReport(3, true);
  const md1 = reportMarkdown(one);
  assert.match(md1, /## Conditional coherence by number of given modalities \(one seed\)/);
  assert.doesNotMatch(md1, /± 0\.000/);
  assert.match(md1, /\| sbm-ae \| 0\.200 \| 0\.280 \| 0\.100 \|/);
  const three = { ...one, seeds: 3 };
  const md3 = reportMarkdown(three);
  assert.match(md3, /mean ± std over 3 seeds/);
  assert.match(md3, /\| sbm-ae \| 0\.200 ± 0\.0\d\d \| 0\.280 ± 0\.0\d\d \|/);
});

Deno.test("report.md puts the linear probe beside the reconstruction ceiling, and omits it when absent", () => {
  const r = fixtureReport(3, true);
  const ceil = r.reconstruction_ceiling.map((c) => c!.toFixed(3));
  const withProbe = reportMarkdown({ ...r, linear_probe: [0.91, 0.875, 0.5] });
  assert.match(
    withProbe,
    /\| reconstruction ceiling \| linear probe \(label ← z_m\) \| reconstruction MSE \|/,
  );
  assert.match(
    withProbe,
    new RegExp(`\\| m1 \\| [0-9.]+ \\| ${ceil[1]} \\| 0\\.875 \\| [0-9.]+ \\|`),
  );
  const without = reportMarkdown({ ...r, linear_probe: undefined });
  assert.doesNotMatch(without, /linear probe/);
  assert.match(without, new RegExp(`\\| m1 \\| [0-9.]+ \\| ${ceil[1]} \\| [0-9.]+ \\|$`, "m"));
});
