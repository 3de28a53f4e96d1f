import assert from "node:assert/strict";
import { loadBackgrounds, proceduralBackground, TEXTURE_NAMES } from "./backgrounds.ts";
import { writeBackgroundPhotos } from "./_fixtures.ts";

function cropStats(data: Uint8Array, size: number, x0: number, y0: number) {
  const mean = [0, 0, 0], sq = [0, 0, 0];
  for (let y = y0; y < y0 + 28; y++) {
    for (let x = x0; x < x0 + 28; x++) {
      for (let c = 0; c < 3; c++) {
        const v = data[(y * size + x) * 3 + c];
        mean[c] += v / 784;
        sq[c] += (v * v) / 784;
      }
    }
  }
  return { mean, std: mean.map((m, c) => Math.sqrt(Math.max(0, sq[c] - m * m))) };
}

Deno.test("proceduralBackground() is deterministic, textured, colourful and distinct per modality", () => {
  const size = 96;
  const bgs = Array.from({ length: 12 }, (_, m) => proceduralBackground(m, size));
  assert.deepEqual(proceduralBackground(3, size).data, bgs[3].data);
  for (const [m, bg] of bgs.entries()) {
    const name = TEXTURE_NAMES[m % 10];
    // Textured: a typical 28×28 crop varies (mean std over 9 crops and channels > 12 levels).
    let std = 0, chroma = 0;
    for (
      const [x, y] of [[0, 0], [34, 0], [68, 0], [0, 34], [34, 34], [68, 34], [0, 68], [34, 68], [
        68,
        68,
      ]]
    ) {
      const s = cropStats(bg.data, size, x, y);
      std += s.std.reduce((a, b) => a + b) / 27;
      chroma += (Math.max(...s.mean) - Math.min(...s.mean)) / 9;
    }
    assert.ok(std > 12, `${name} (m${m}): crop std ${std.toFixed(1)}`);
    // Colourful: channel means differ by > 15 levels on average.
    assert.ok(chroma > 15, `${name} (m${m}): chroma ${chroma.toFixed(1)}`);
  }
  // Distinct: every pair differs by > 20 levels per value on average.
  for (let a = 0; a < bgs.length; a++) {
    for (let b = a + 1; b < bgs.length; b++) {
      let d = 0;
      for (let i = 0; i < bgs[a].data.length; i++) d += Math.abs(bgs[a].data[i] - bgs[b].data[i]);
      assert.ok(
        d / bgs[a].data.length > 20,
        `m${a} vs m${b}: ${(d / bgs[a].data.length).toFixed(1)}`,
      );
    }
  }
});

Deno.test("loadBackgrounds() takes JPEG/PNG files in sorted order and errors when too few", async () => {
  const dir = await Deno.makeTempDir();
  try {
    writeBackgroundPhotos(dir, 3);
    const bgs = await loadBackgrounds(dir, 3);
    assert.deepEqual(bgs.map((b) => [b.width, b.height, b.channels]), [[40, 40, 3], [53, 47, 3], [
      66,
      54,
      3,
    ]]);
    await assert.rejects(
      () => loadBackgrounds(dir, 4),
      /Cannot load backgrounds from .*: need 4 JPEG\/PNG images \(one per modality\): current value is 3/,
    );
    await assert.rejects(
      () => loadBackgrounds(`${dir}/nope`, 1),
      /Cannot read backgrounds folder .*nope/,
    );
    Deno.writeFileSync(`${dir}/photo_00.jpg`, new Uint8Array([0xff, 0xd8, 0xff, 0, 0]));
    await assert.rejects(
      () => loadBackgrounds(dir, 3),
      /Cannot decode JPEG .*photo_00\.jpg: truncated/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
