import assert from "node:assert/strict";
import { type ComparedReport, comparePlot, reportSeries } from "./compare_plot.ts";
import { PANEL_TITLE_CHARS } from "./plot.ts";

const report: ComparedReport = {
  methods: {
    "sbm-ae": {
      coherence_by_given: { "2": 0.5, "1": 0.4, "10": 0.7 },
      coherence_ci_by_given: { "1": [0.35, 0.45], "2": [0.45, 0.55], "10": [0.65, 0.75] },
    },
    independent: { coherence_by_given: { "1": 0.1, "2": 0.1 } },
  },
  ceiling_by_given: { "1": 0.8, "2": 0.81 },
};

Deno.test("reportSeries: one line per method in given order (10 after 2), CI bars, the ceiling on request", () => {
  const r = report;
  const s = reportSeries({ label: "new", report: r }, true);
  assert.deepEqual(s.map((x) => x.label), ["new sbm-ae", "new independent", "new ceiling"]);
  assert.deepEqual(s[0].x, [1, 2, 10]);
  assert.deepEqual(s[0].y, [0.4, 0.5, 0.7]);
  assert.deepEqual(s[0].lo, [0.35, 0.45, 0.65]);
  assert.deepEqual(s[1].lo, [null, null]); // a report without CIs draws no bars
  assert.deepEqual(s[2].y, [0.8, 0.81]);
  // One method picked: the line carries the label alone.
  const one = reportSeries({ label: "old", report: r, methods: ["sbm-ae"] }, false);
  assert.deepEqual(one.map((x) => x.label), ["old"]);
});

// Files that are not reports are refused by `parseReport`, named by `polyscore plot` (cli/plot_test.ts).
Deno.test("compare plot: an unknown method names the report's methods; a PNG otherwise", () => {
  assert.throws(
    () =>
      reportSeries(
        { label: "a", report, methods: ["mopoe"] },
        false,
      ),
    /a: it has no method "mopoe": its methods are sbm-ae, independent/,
  );
  assert.throws(() => comparePlot([]), /no reports/);
  const png = comparePlot([{ label: "a", report }], {
    ceilings: true,
  });
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

Deno.test("compare plot: a title longer than the panel holds is refused with its length and the limit", () => {
  const fits = "X".repeat(PANEL_TITLE_CHARS);
  assert.ok(comparePlot([{ label: "a", report }], { title: fits }).length > 0);
  assert.throws(
    () => comparePlot([{ label: "a", report }], { title: `${fits}Y` }),
    new RegExp(`has ${PANEL_TITLE_CHARS + 1} characters and at most ${PANEL_TITLE_CHARS} fit`),
  );
});
