import assert from "node:assert/strict";
import { loadMnist } from "./mnist.ts";
import { generatePolyMnist, PolyMnistSplit } from "./polymnist.ts";
import { loadPolyMnist, writePolyMnist } from "./polymnist_io.ts";
import { materialize } from "./dataset.ts";
import { proceduralBackgrounds } from "./backgrounds.ts";
import { encodePng } from "./png.ts";
import { readTree } from "./_fixtures.ts";

const mnist = await loadMnist();

Deno.test("generatePolyMnist() is byte-identical for a seed, differs across seeds, and a limit gives a prefix", () => {
  const a = generatePolyMnist(mnist, { modalities: 3, seed: 5, limit: 120 });
  const b = generatePolyMnist(mnist, { modalities: 3, seed: 5, limit: 120 });
  const c = generatePolyMnist(mnist, { modalities: 3, seed: 6, limit: 120 });
  const short = generatePolyMnist(mnist, { modalities: 3, seed: 5, limit: 40 });
  for (const k of ["train", "test"] as const) {
    for (let m = 0; m < 3; m++) {
      const x = materialize(a[k], m);
      assert.deepEqual(materialize(b[k], m), x);
      assert.notDeepEqual(materialize(c[k], m), x);
      assert.deepEqual(materialize(short[k], m), x.subarray(0, 40 * 2352));
    }
  }
});

Deno.test("generatePolyMnist() forms tuples per MoPoE: shared label, each MNIST image once per modality", () => {
  const ds = generatePolyMnist(mnist, { modalities: 5, seed: 1 });
  for (const [k, src] of [["train", mnist.train], ["test", mnist.test]] as const) {
    const split = ds[k] as PolyMnistSplit, n = split.count;
    assert.equal(n, src.count);
    assert.deepEqual(split.labels, src.labels, "tuple i has the label of MNIST image i");
    let same = 0;
    for (let m = 0; m < 5; m++) {
      const used = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const j = split.source[m * n + i];
        assert.equal(src.labels[j], split.labels[i], `${k} m${m} tuple ${i}: digit label differs`);
        used[j]++;
        if (m > 0 && j === split.source[i]) same++;
      }
      assert.ok(used.every((u) => u === 1), `${k} m${m}: every MNIST image used exactly once`);
    }
    // Independent permutations: instances coincide across modalities only by chance (~1/1000).
    assert.ok(same < n * 4 * 0.01, `${k}: ${same} coincidences`);
  }
});

Deno.test("PolyMnistSplit.read() is the background crop inverted where the digit is > 128", () => {
  const bgs = proceduralBackgrounds(2, 64);
  const ds = generatePolyMnist(mnist, { modalities: 2, seed: 9, limit: 30, backgrounds: bgs });
  const split = ds.test as PolyMnistSplit, n = split.count;
  const out = new Uint8Array(2352);
  let inverted = 0;
  for (let m = 0; m < 2; m++) {
    for (let i = 0; i < n; i++) {
      split.read(m, i, out, 0);
      const j = split.source[m * n + i],
        cx = split.crops[(m * n + i) * 2],
        cy = split.crops[(m * n + i) * 2 + 1];
      assert.ok(cx <= 64 - 28 && cy <= 64 - 28);
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const on = mnist.test.images[j * 784 + y * 28 + x] > 128;
          inverted += on ? 1 : 0;
          for (let c = 0; c < 3; c++) {
            const bg = bgs[m].data[((cy + y) * 64 + cx + x) * 3 + c];
            assert.equal(out[c * 784 + y * 28 + x], on ? 255 - bg : bg);
          }
        }
      }
    }
  }
  assert.ok(
    inverted > 0.1 * 2 * n * 784 && inverted < 0.3 * 2 * n * 784,
    `digit fraction ${inverted / (2 * n * 784)}`,
  );
});

Deno.test("writePolyMnist() then loadPolyMnist() gives back the in-memory tensors and labels", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ds = generatePolyMnist(mnist, { modalities: 3, seed: 2, limit: 45 });
    await writePolyMnist(ds, dir, { workers: 2 });
    const tree = readTree(dir);
    assert.equal(tree.size, 3 * 90);
    assert.ok(tree.has(`train/m2/44.${ds.train.labels[44]}.png`));
    const back = loadPolyMnist(dir);
    assert.deepEqual(back.modalities, ds.modalities);
    for (const k of ["train", "test"] as const) {
      assert.deepEqual(back[k].labels, ds[k].labels);
      for (let m = 0; m < 3; m++) assert.deepEqual(materialize(back[k], m), materialize(ds[k], m));
    }
    assert.equal(loadPolyMnist(dir, { limit: 10 }).train.count, 10);
    await assert.rejects(
      () => writePolyMnist(ds, dir),
      /train already exists: choose an empty folder, or pass --overwrite/,
    );
    await writePolyMnist(ds, dir, { overwrite: "replace", workers: 0 });
    assert.deepEqual(readTree(dir), tree, "worker threads and this thread write the same bytes");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadPolyMnist() names the folder or file for each kind of bad input", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ds = generatePolyMnist(mnist, { modalities: 3, seed: 3, limit: 12 });
    const fresh = async () => {
      await writePolyMnist(ds, dir, { overwrite: "replace", workers: 0 });
    };
    const name = (m: number, i: number) => `${dir}/test/m${m}/${i}.${ds.test.labels[i]}.png`;

    await fresh();
    await Deno.remove(`${dir}/test/m1`, { recursive: true });
    assert.throws(() => loadPolyMnist(dir), /missing modality folder .*\/test\/m1/);
    await fresh();
    assert.throws(
      () => loadPolyMnist(dir, { modalities: 4 }),
      /missing modality folder .*\/train\/m3/,
    );

    await fresh();
    await Deno.remove(name(2, 7));
    assert.throws(
      () => loadPolyMnist(dir),
      /unequal counts across modalities: .*test\/m0 has 12 PNGs, .*test\/m2 has 11/,
    );

    await fresh();
    const wrong = (ds.test.labels[5] + 1) % 10;
    await Deno.rename(name(1, 5), `${dir}/test/m1/5.${wrong}.png`);
    assert.throws(
      () => loadPolyMnist(dir),
      new RegExp(
        `label disagrees across modalities: .*test/m0/5\\.${ds.test.labels[5]}\\.png says ${
          ds.test.labels[5]
        }, .*test/m1/5\\.${wrong}\\.png says ${wrong}`,
      ),
    );

    await fresh();
    await Deno.rename(name(2, 3), `${dir}/test/m2/99.${ds.test.labels[3]}.png`);
    assert.throws(
      () => loadPolyMnist(dir),
      /test\/m0\/3\.\d\.png has no file of the same name in .*test\/m2/,
    );

    await fresh();
    const bytes = Deno.readFileSync(name(0, 4));
    Deno.writeFileSync(name(0, 4), bytes.subarray(0, bytes.length - 30));
    assert.throws(() => loadPolyMnist(dir), /Cannot decode PNG .*test\/m0\/4\.\d\.png: truncated/);
    bytes[50] ^= 0x55;
    Deno.writeFileSync(name(0, 4), bytes);
    assert.throws(
      () => loadPolyMnist(dir),
      /Cannot decode PNG .*test\/m0\/4\.\d\.png: CRC mismatch/,
    );

    await fresh();
    Deno.writeFileSync(
      name(0, 6),
      encodePng({ width: 30, height: 28, channels: 3, data: new Uint8Array(30 * 28 * 3) }),
    );
    assert.throws(() => loadPolyMnist(dir), /test\/m0\/6\.\d\.png is 30x28, expected 28x28/);

    await fresh();
    Deno.writeFileSync(`${dir}/train/m0/oops.png`, new Uint8Array(1));
    assert.throws(
      () => loadPolyMnist(dir),
      /file name .*train\/m0\/oops\.png must be \{index\}\.\{label\}\.png/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadPolyMnist() reads MoPoE's per-digit file numbering ({i}.{digit}.png, i restarting per digit)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Tuples (0,0), (0,1), (1,0), (0,7): index 0 occurs with three labels.
    const tuples = [[0, 0], [0, 1], [1, 0], [0, 7]];
    for (const sub of ["train", "test"]) {
      for (let m = 0; m < 2; m++) {
        await Deno.mkdir(`${dir}/${sub}/m${m}`, { recursive: true });
        for (const [i, d] of tuples) {
          const data = new Uint8Array(28 * 28 * 3).fill(10 * m + 3 * i + d + 1);
          Deno.writeFileSync(
            `${dir}/${sub}/m${m}/${i}.${d}.png`,
            encodePng({ width: 28, height: 28, channels: 3, data }),
          );
        }
      }
    }
    const ds = loadPolyMnist(dir);
    assert.equal(ds.train.count, 4);
    assert.deepEqual(Array.from(ds.train.labels), [0, 1, 7, 0], "sorted by (index, label)");
    const m1 = materialize(ds.test, 1);
    assert.deepEqual([0, 1, 2, 3].map((k) => m1[k * 2352]), [11, 12, 18, 14]);
    // Indices are not unique here, so a missing name is reported as missing (not as a disagreement).
    await Deno.rename(`${dir}/test/m1/0.7.png`, `${dir}/test/m1/5.7.png`);
    assert.throws(
      () => loadPolyMnist(dir),
      /test\/m0\/0\.7\.png has no file of the same name in .*test\/m1/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
