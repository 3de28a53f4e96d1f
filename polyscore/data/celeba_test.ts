import assert from "node:assert/strict";
import { CELEBA_ATTRIBUTES, loadCelebaMaskHq, parseCelebaAttributes } from "./celeba.ts";
import { materialize } from "./dataset.ts";
import { resizeImage } from "./image.ts";
import { CELEBA_HEADER, writeCelebaFixture } from "./_fixtures.ts";
import { openDataset } from "./mod.ts";

const IDS = [0, 1, 2, 5, 1999, 2000, 2001, 4003];

Deno.test("CELEBA_ATTRIBUTES are the 18 SBM attributes at their published CelebA indices", () => {
  assert.equal(CELEBA_ATTRIBUTES.length, 18);
  for (const { index, name } of CELEBA_ATTRIBUTES) assert.equal(CELEBA_HEADER[index], name);
  assert.deepEqual(CELEBA_ATTRIBUTES.map((a) => a.index), [
    4,
    5,
    8,
    9,
    11,
    12,
    15,
    17,
    18,
    20,
    21,
    22,
    26,
    28,
    31,
    32,
    33,
    35,
  ]);
});

Deno.test("loadCelebaMaskHq() loads image, non-skin mask and 18 attributes from the published layout", async () => {
  const root = await Deno.makeTempDir();
  try {
    const fx = writeCelebaFixture(root, IDS, 48, 32);
    const ds = await loadCelebaMaskHq(root, { size: 16, testFraction: 0.25, seed: 3 });
    assert.deepEqual(ds.modalities.map((m) => [m.name, m.kind, m.shape]), [
      ["image", "image", [3, 16, 16]],
      ["mask", "mask", [1, 16, 16]],
      ["attributes", "attributes", [18]],
    ]);
    assert.deepEqual([ds.train.count, ds.test.count], [6, 2]);
    assert.equal(ds.numClasses, 0);
    // Recover which ids went where through the attribute vectors (random, so unique here).
    const attrKey = (v: ArrayLike<number>) => Array.from(v).join("");
    const byKey = new Map(
      IDS.map((
        id,
      ) => [
        attrKey(CELEBA_ATTRIBUTES.map((a) => (fx.attributes.get(id)![a.index] > 0 ? 1 : 0))),
        id,
      ]),
    );
    assert.equal(byKey.size, IDS.length);
    const seen: number[] = [];
    for (const split of [ds.train, ds.test]) {
      const img = materialize(split, 0), mask = materialize(split, 1), attr = materialize(split, 2);
      for (let k = 0; k < split.count; k++) {
        const id = byKey.get(attrKey(attr.subarray(k * 18, (k + 1) * 18)));
        assert.ok(id !== undefined);
        seen.push(id);
        // Mask: the union of hair and nose (skin excluded), resized 32 → 16 and thresholded.
        const want =
          resizeImage({ width: 32, height: 32, channels: 1, data: fx.masks.get(id)! }, 16, 16).data;
        assert.deepEqual(
          Array.from(mask.subarray(k * 256, (k + 1) * 256)),
          Array.from(want, (v) => (v >= 128 ? 255 : 0)),
        );
        assert.ok(
          mask.subarray(k * 256, (k + 1) * 256).some((v) => v === 0),
          "skin must not fill the mask",
        );
        // Image: close to the source resized (JPEG at quality 95).
        const src =
          resizeImage({ width: 48, height: 48, channels: 3, data: fx.images.get(id)! }, 16, 16)
            .data;
        let err = 0;
        for (let p = 0; p < 256; p++) {
          for (let c = 0; c < 3; c++) {
            err += Math.abs(img[k * 768 + c * 256 + p] - src[p * 3 + c]);
          }
        }
        assert.ok(err / 768 < 6, `id ${id}: mean abs error ${err / 768}`);
      }
    }
    assert.deepEqual(seen.sort((a, b) => a - b), IDS);
    // Same seed → same split; another seed → (here) another split.
    const again = await loadCelebaMaskHq(root, { size: 16, testFraction: 0.25, seed: 3 });
    assert.deepEqual(materialize(again.test, 2), materialize(ds.test, 2));
    const other = await loadCelebaMaskHq(root, { size: 16, testFraction: 0.25, seed: 4 });
    assert.notDeepEqual(materialize(other.test, 2), materialize(ds.test, 2));
    // Soft masks keep the interpolated values; limit takes the first images by number.
    const soft = await loadCelebaMaskHq(root, {
      size: 12,
      mask: "soft",
      limit: 3,
      testFraction: 0,
    });
    assert.equal(soft.train.count, 3);
    assert.ok(materialize(soft.train, 1).some((v) => v > 0 && v < 255));
    assert.equal((await openDataset(root, { size: 8, limit: 4 })).modalities[0].shape[1], 8);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadCelebaMaskHq() names the file for missing rows, masks and corrupt JPEGs", async () => {
  const root = await Deno.makeTempDir();
  try {
    writeCelebaFixture(root, [0, 1, 2], 24, 16);
    const attrPath = `${root}/CelebAMask-HQ-attribute-anno.txt`;
    const text = Deno.readTextFileSync(attrPath);
    Deno.writeTextFileSync(
      attrPath,
      text.split("\n").filter((l) => !l.startsWith("1.jpg")).join("\n"),
    );
    await assert.rejects(
      () => loadCelebaMaskHq(root, { size: 8 }),
      /CelebA-HQ-img\/1\.jpg has no row in .*CelebAMask-HQ-attribute-anno\.txt/,
    );
    Deno.writeTextFileSync(attrPath, text.replace("Smiling", "Grinning"));
    await assert.rejects(
      () => loadCelebaMaskHq(root, { size: 8 }),
      /attribute-anno\.txt: header lacks attribute Smiling/,
    );
    Deno.writeTextFileSync(attrPath, text.replace(/\n0\.jpg {2}-?1/, "\n0.jpg  2"));
    await assert.rejects(
      () => loadCelebaMaskHq(root, { size: 8 }),
      /line 3, 5_o_Clock_Shadow must be -1, 0 or 1: current value is 2/,
    );
    Deno.writeTextFileSync(attrPath, text);

    for (const part of ["skin", "hair", "nose"]) {
      Deno.removeSync(`${root}/CelebAMask-HQ-mask-anno/0/00002_${part}.png`);
    }
    await assert.rejects(
      () => loadCelebaMaskHq(root, { size: 8 }),
      /image 2 has no mask annotation files \(00002_\*\.png\)/,
    );
    writeCelebaFixture(root, [0, 1, 2], 24, 16);

    Deno.writeFileSync(`${root}/CelebAMask-HQ-mask-anno/0/00001_beard.png`, new Uint8Array(4));
    await assert.rejects(
      () => loadCelebaMaskHq(root, { size: 8 }),
      /unknown mask part "beard" in .*00001_beard\.png/,
    );
    Deno.removeSync(`${root}/CelebAMask-HQ-mask-anno/0/00001_beard.png`);

    const jpg = Deno.readFileSync(`${root}/CelebA-HQ-img/1.jpg`);
    Deno.writeFileSync(`${root}/CelebA-HQ-img/1.jpg`, jpg.subarray(0, jpg.length >> 1));
    await assert.rejects(
      () => loadCelebaMaskHq(root, { size: 8 }),
      /Cannot decode JPEG .*CelebA-HQ-img\/1\.jpg: truncated/,
    );
    Deno.writeFileSync(`${root}/CelebA-HQ-img/1.jpg`, jpg);

    Deno.removeSync(`${root}/CelebAMask-HQ-mask-anno`, { recursive: true });
    await assert.rejects(
      () => loadCelebaMaskHq(root, { size: 8 }),
      /missing mask folder .*CelebAMask-HQ-mask-anno\/0/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("parseCelebaAttributes() reads ±1 rows and selects the 18 columns", () => {
  const row = CELEBA_HEADER.map((_, i) => (i % 3 === 0 ? 1 : -1));
  const m = parseCelebaAttributes(`1\n${CELEBA_HEADER.join(" ")}\n7.jpg ${row.join(" ")}\n`);
  assert.deepEqual(
    Array.from(m.get(7)!),
    CELEBA_ATTRIBUTES.map((a) => (a.index % 3 === 0 ? 1 : 0)),
  );
});

Deno.test("loadCelebaMaskHq({ cache }) writes the processed tuples once and reads them back", async () => {
  const root = await Deno.makeTempDir();
  try {
    writeCelebaFixture(root, [0, 1, 2, 3], 24, 16);
    const cache = `${root}/celeba.cache`;
    const first = await loadCelebaMaskHq(root, { size: 8, cache, testFraction: 0.25 });
    const size = Deno.statSync(cache).size;
    // A cache hit does not touch the JPEGs: corrupt one and load again.
    Deno.writeFileSync(`${root}/CelebA-HQ-img/2.jpg`, new Uint8Array([0xff, 0xd8, 0xff]));
    const second = await loadCelebaMaskHq(root, { size: 8, cache, testFraction: 0.25 });
    for (let m = 0; m < 3; m++) {
      assert.deepEqual(materialize(second.train, m), materialize(first.train, m));
      assert.deepEqual(materialize(second.test, m), materialize(first.test, m));
    }
    // Another size is a miss: the loader decodes again (and meets the corrupt file).
    await assert.rejects(
      () => loadCelebaMaskHq(root, { size: 4, cache }),
      /Cannot decode JPEG .*2\.jpg/,
    );
    assert.equal(Deno.statSync(cache).size, size);
    Deno.truncateSync(cache, size - 5);
    await assert.rejects(
      () => loadCelebaMaskHq(root, { size: 8, cache }),
      /cache .*celeba\.cache: truncated .*delete it to rebuild/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
