import assert from "node:assert/strict";
import { dataCommand } from "./data.ts";
import { decodePng } from "../polyscore/data/png.ts";
import { loadBackgrounds } from "../polyscore/data/backgrounds.ts";
import { loadMnist } from "../polyscore/data/mnist.ts";
import { generatePolyMnist } from "../polyscore/data/polymnist.ts";
import { loadPolyMnist } from "../polyscore/data/polymnist_io.ts";
import { materialize } from "../polyscore/data/dataset.ts";
import {
  readTree,
  writeBackgroundPhotos,
  writeCelebaFixture,
} from "../polyscore/data/_fixtures.ts";

/** Runs the command with console output captured. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    return { code: await dataCommand(args), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("data polymnist writes the released layout, identically twice, loadable as generated", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const args = ["polymnist", "--modalities", "5", "--seed", "1", "--limit", "60"];
    assert.equal((await run([...args, "--out", `${tmp}/a`])).code, 0);
    assert.equal((await run([...args, "--out", `${tmp}/b`])).code, 0);
    const a = readTree(`${tmp}/a`), b = readTree(`${tmp}/b`);
    assert.equal(a.size, 5 * 120);
    assert.deepEqual([...a.keys()], [...b.keys()]);
    for (const [k, v] of a) assert.deepEqual(b.get(k), v, k);
    // Labels agree across modalities: the same {i}.{label}.png names in every m folder.
    for (const split of ["train", "test"]) {
      const names = (m: number) =>
        [...a.keys()].filter((k) => k.startsWith(`${split}/m${m}/`)).map((k) => k.split("/")[2]);
      for (let m = 1; m < 5; m++) assert.deepEqual(names(m), names(0));
    }
    const loaded = loadPolyMnist(`${tmp}/a`);
    const mem = generatePolyMnist(await loadMnist(), { modalities: 5, seed: 1, limit: 60 });
    for (const k of ["train", "test"] as const) {
      assert.deepEqual(loaded[k].labels, mem[k].labels);
      for (let m = 0; m < 5; m++) {
        assert.deepEqual(materialize(loaded[k], m), materialize(mem[k], m));
      }
    }
    const again = await run([...args, "--out", `${tmp}/a`]);
    assert.equal(again.code, 1);
    assert.match(again.err, /already exists: choose an empty folder, or pass --overwrite/);

    const inspect = await run(["inspect", `${tmp}/a`]);
    assert.equal(inspect.code, 0);
    assert.match(inspect.out, /5 modalities, 10 classes/);
    assert.match(inspect.out, /m4: image \[3, 28, 28\] uint8/);
    assert.match(inspect.out, /train: 60 tuples\n\s+labels: 0:\d+ 1:\d+/);

    const grid = await run(["grid", `${tmp}/a`, "--out", `${tmp}/g.png`, "--n", "6"]);
    assert.equal(grid.code, 0, grid.err);
    const img = decodePng(Deno.readFileSync(`${tmp}/g.png`));
    assert.deepEqual([img.width, img.height], [6 * 30 + 2, 5 * 30 + 2]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("data polymnist --backgrounds uses the folder's photos in sorted order", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${tmp}/photos`);
    writeBackgroundPhotos(`${tmp}/photos`, 6);
    const args = [
      "polymnist",
      "--modalities",
      "5",
      "--seed",
      "1",
      "--limit",
      "40",
      "--backgrounds",
      `${tmp}/photos`,
    ];
    const r = await run([...args, "--out", `${tmp}/a`]);
    assert.equal(r.code, 0, r.err);
    assert.equal((await run([...args, "--out", `${tmp}/b`])).code, 0);
    const a = readTree(`${tmp}/a`), b = readTree(`${tmp}/b`);
    assert.deepEqual([...a.keys()], [...b.keys()]);
    for (const [k, v] of a) assert.deepEqual(b.get(k), v, k);
    const loaded = loadPolyMnist(`${tmp}/a`);
    const bgs = await loadBackgrounds(`${tmp}/photos`, 5);
    const mem = generatePolyMnist(await loadMnist(), {
      modalities: 5,
      seed: 1,
      limit: 40,
      backgrounds: bgs,
    });
    const procedural = generatePolyMnist(await loadMnist(), { modalities: 5, seed: 1, limit: 40 });
    for (let m = 0; m < 5; m++) {
      assert.deepEqual(materialize(loaded.train, m), materialize(mem.train, m));
      assert.notDeepEqual(materialize(loaded.train, m), materialize(procedural.train, m));
    }
    const few = await run([
      "polymnist",
      "--modalities",
      "7",
      "--limit",
      "5",
      "--backgrounds",
      `${tmp}/photos`,
      "--out",
      `${tmp}/c`,
    ]);
    assert.equal(few.code, 1);
    assert.match(few.err, /need 7 JPEG\/PNG images \(one per modality\): current value is 6/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("data rejects unknown commands and flags with usage, and --help prints it", async () => {
  assert.equal((await run(["frobnicate"])).code, 2);
  assert.equal((await run(["polymnist", "--bogus"])).code, 2);
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /polymnist --out DIR/);
  const bad = await run(["polymnist", "--out", "/tmp/x", "--limit=-3"]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /Cannot parse --limit: must be an integer >= 0: current value is -3/);
  const nowhere = await run(["inspect", "/nonexistent/folder"]);
  assert.equal(nowhere.code, 1);
  assert.match(nowhere.err, /Cannot open dataset \/nonexistent\/folder: not a preset/);
});

Deno.test("data inspect and grid read a CelebAMask-HQ folder", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    writeCelebaFixture(tmp, [0, 1, 2, 3, 4], 40, 32);
    const r = await run(["inspect", tmp, "--size", "16", "--cache", `${tmp}/c.bin`]);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /image: image \[3, 16, 16\] uint8\n\s+mask: mask \[1, 16, 16\] uint8\n\s+attributes: attributes \[18\] uint8/,
    );
    assert.match(r.out, /train: 4 tuples\n\s+test: 1 tuples/);
    assert.ok(Deno.statSync(`${tmp}/c.bin`).size > 0);
    const g = await run([
      "grid",
      tmp,
      "--size",
      "16",
      "--split",
      "train",
      "--n",
      "4",
      "--out",
      `${tmp}/g.png`,
    ]);
    assert.equal(g.code, 0, g.err);
    const img = decodePng(Deno.readFileSync(`${tmp}/g.png`));
    assert.deepEqual([img.width, img.height], [4 * 18 + 2, 3 * 18 + 2]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
