import assert from "node:assert/strict";
import { decodePng } from "../data/png.ts";
import { niceTicks, PALETTE, plotPanels } from "./plot.ts";

Deno.test("niceTicks: round steps covering the range", () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.13, 0.52), [0.2, 0.3, 0.4, 0.5]); // step 0.1: the first round step ≥ 0.39 / 5
  assert.deepEqual(niceTicks(3, 3), [3]);
  // Accumulating 0.1 from −0.4 lands on −2.8e−17, not 0: the tick must be an exact 0.
  assert.deepEqual(niceTicks(-0.41, 0.02), [-0.4, -0.3, -0.2, -0.1, 0]);
});

Deno.test("plotPanels draws each series in its colour, the same label alike in every panel", () => {
  const series = (label: string, y: number[]) => ({
    label,
    x: y.map((_, i) => i + 1),
    y,
    lo: y.map((v) => v - 0.05),
    hi: y.map((v) => v + 0.05),
  });
  const png = plotPanels([
    { title: "M=5", xLabel: "GIVEN", yLabel: "COHERENCE", series: [series("a", [0.2, 0.4, 0.5])] },
    {
      title: "M=10",
      xLabel: "GIVEN",
      yLabel: "COHERENCE",
      series: [series("a", [0.1, 0.2]), series("b", [0.3, 0.1])],
    },
    {
      title: "M=20",
      xLabel: "GIVEN",
      yLabel: "COHERENCE",
      series: [series("b", [0.3, null as unknown as number])],
    },
  ]);
  const img = decodePng(png);
  assert.deepEqual([img.width, img.height > 2 * 260], [720, true]);
  const count = (c: readonly number[], x0: number, x1: number, y0: number, y1: number) => {
    let n = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const j = (y * img.width + x) * 3;
        if (img.data[j] === c[0] && img.data[j + 1] === c[1] && img.data[j + 2] === c[2]) n++;
      }
    }
    return n;
  };
  // Panel 1 (top left) has "a" only; panel 2 (top right) both; panel 3 (bottom left) "b" only.
  assert.deepEqual(count(PALETTE[0], 0, 360, 0, 260) > 50, true);
  assert.deepEqual(count(PALETTE[1], 0, 360, 0, 260), 0);
  assert.deepEqual(count(PALETTE[0], 360, 720, 0, 260) > 50, true);
  assert.deepEqual(count(PALETTE[1], 360, 720, 0, 260) > 50, true);
  assert.deepEqual(count(PALETTE[0], 0, 360, 260, 520), 0);
  assert.deepEqual(count(PALETTE[1], 0, 360, 260, 520) > 10, true);
  assert.throws(() => plotPanels([]), /no panels/);
  // colorOrder gives "b" the first colour even where it is the only series.
  const only = decodePng(
    plotPanels([{ title: "T", xLabel: "X", yLabel: "Y", series: [series("b", [0.1, 0.2])] }], {
      colorOrder: ["b", "a"],
    }),
  );
  let first = 0;
  for (let i = 0; i < only.width * only.height; i++) {
    const j = i * 3;
    if (
      only.data[j] === PALETTE[0][0] && only.data[j + 1] === PALETTE[0][1] &&
      only.data[j + 2] === PALETTE[0][2]
    ) first++;
  }
  assert.ok(first > 50, `"b" drawn in the first colour: ${first} pixels`);
});
