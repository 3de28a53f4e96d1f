/**
 * PolyMNIST on disk in the released layout `{train,test}/m0..m{M-1}/{i}.{label}.png` (MoPoE's
 * archive, as its loader reads it): a writer (PNG encoding and file creation on worker threads)
 * and a validating loader into uint8 arrays.
 */

import { assetUrl } from "../../engine/assets.ts";
import type { WriteJob } from "./_png_write_worker.ts";
import {
  ArraySplit,
  gatherBatchU8,
  type ModalitySpec,
  type MultimodalDataset,
  type Progress,
  sampleSize,
} from "./dataset.ts";
import { encodePng } from "./png.ts";
import { decodeImage, toRgb } from "./image.ts";
import { polyMnistModalities } from "./polymnist.ts";
import { InputError } from "../errors.ts";

/** Converts (C, H, W) to (H, W, C). */
function chwToHwc(src: Uint8Array, c: number, h: number, w: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < h * w; p++) out[p * c + ch] = src[ch * h * w + p];
  }
  return out;
}

/**
 * Writes a dataset of RGB image modalities in the released PolyMNIST layout
 * `dir/{train,test}/m{m}/{i}.{label}.png`, tuple i of split s named by its index and label.
 *
 * @throws {Error} when `dir/train` or `dir/test` already exists and `overwrite` is not "replace"
 */
export async function writePolyMnist(
  ds: MultimodalDataset,
  dir: string,
  options: {
    overwrite?: "error" | "replace";
    /** Worker threads that encode and write (default min(4, cores)); 0 writes on this thread. */
    workers?: number;
    onProgress?: Progress;
  } = {},
): Promise<void> {
  ds.modalities.forEach((s) => {
    if (s.kind !== "image" || s.shape.length !== 3 || s.shape[0] !== 3) {
      throw new TypeError(
        `Cannot write PolyMNIST layout: modality ${s.name} must be an RGB image: current value is ${s.kind} [${s.shape}]`,
      );
    }
  });
  for (const sub of ["train", "test"]) {
    const path = `${dir}/${sub}`;
    let there = false;
    try {
      there = Deno.statSync(path).isDirectory;
    } catch { /* absent */ }
    if (there) {
      if (options.overwrite !== "replace") {
        throw new Error(
          `Cannot write PolyMNIST to ${dir}: ${path} already exists: choose an empty folder, or pass --overwrite`,
        );
      }
      await Deno.remove(path, { recursive: true });
    }
  }
  const total = ds.modalities.length * (ds.train.count + ds.test.count);
  const jobs = function* (): Generator<WriteJob> {
    for (const [sub, split] of [["train", ds.train], ["test", ds.test]] as const) {
      for (let m = 0; m < ds.modalities.length; m++) {
        const folder = `${dir}/${sub}/${ds.modalities[m].name}`;
        Deno.mkdirSync(folder, { recursive: true });
        for (let i0 = 0; i0 < split.count; i0 += 1000) {
          const idx = Uint32Array.from(
            { length: Math.min(1000, split.count - i0) },
            (_, k) => i0 + k,
          );
          yield {
            folder,
            names: Array.from(idx, (i) => `${i}.${split.labels[i]}.png`),
            shape: ds.modalities[m].shape as [number, number, number],
            data: gatherBatchU8(split, m, idx),
          };
        }
      }
    }
  };
  let done = 0, reported = 0;
  const progress = (count: number) => {
    done += count;
    if (done - reported >= 5000 || done === total) {
      reported = done;
      options.onProgress?.(done, total);
    }
  };
  const workers = options.workers ?? Math.min(4, navigator.hardwareConcurrency);
  if (workers < 1) {
    for (const job of jobs()) {
      const [c, h, w] = job.shape, n = c * h * w;
      for (let k = 0; k < job.names.length; k++) {
        const data = chwToHwc(job.data.subarray(k * n, (k + 1) * n), c, h, w);
        await Deno.writeFile(
          `${job.folder}/${job.names[k]}`,
          encodePng({ width: w, height: h, channels: 3, data }, { level: 1 }),
        );
      }
      progress(job.names.length);
    }
    return;
  }
  await runWriteWorkers(jobs(), workers, progress);
}

/** Runs the jobs on `n` workers (each pulls the next job when done); rejects on the first error. */
async function runWriteWorkers(
  jobs: Generator<WriteJob>,
  n: number,
  progress: (count: number) => void,
) {
  const url = assetUrl("polyscore/data/_png_write_worker.ts").href;
  const pool = Array.from({ length: n }, () => new Worker(url, { type: "module" }));
  const run = (w: Worker, job: WriteJob) =>
    new Promise<number>((resolve, reject) => {
      w.onmessage = (e) =>
        e.data.ok
          ? resolve(e.data.count)
          : reject(new Error(`Cannot write PolyMNIST: ${e.data.error}`));
      w.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`Cannot write PolyMNIST: worker failed: ${e.message}`));
      };
      w.postMessage(job, [job.data.buffer as ArrayBuffer]);
    });
  try {
    await Promise.all(pool.map(async (w) => {
      for (let job = jobs.next(); !job.done; job = jobs.next()) progress(await run(w, job.value));
    }));
  } finally {
    pool.forEach((w) => w.terminate());
  }
}

function listDir(path: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(path)];
  } catch (e) {
    throw new InputError(`Cannot read folder ${path}: ${(e as Error).message}`);
  }
}

/** Options for {@link loadPolyMnist}. */
export interface LoadPolyMnistOptions {
  /** Keep the first `limit` tuples (by file index) of each split. */
  limit?: number;
  /** Require exactly this many modalities (m0..m{M-1}); default: as many as the folders have. */
  modalities?: number;
  onProgress?: Progress;
}

/** The m{k} folder names of a split folder, checked to be m0..m{K-1} with none missing. */
function modalityFolders(splitDir: string, want?: number): number {
  const ks = listDir(splitDir).filter((e) => e.isDirectory && /^m\d+$/.test(e.name)).map((e) =>
    Number(e.name.slice(1))
  );
  const k = want ?? (ks.length ? Math.max(...ks) + 1 : 0);
  if (k === 0) {
    throw new InputError(`Cannot load PolyMNIST: missing modality folder ${splitDir}/m0`);
  }
  for (let m = 0; m < k; m++) {
    if (!ks.includes(m)) {
      throw new InputError(`Cannot load PolyMNIST: missing modality folder ${splitDir}/m${m}`);
    }
  }
  return k;
}

function loadSplit(
  dir: string,
  sub: string,
  M: number,
  options: LoadPolyMnistOptions,
  specs: ModalitySpec[],
): ArraySplit {
  const splitDir = `${dir}/${sub}`;
  // Per modality: file name → (index, label). Tuples are files with the same name in every
  // folder. MoPoE numbers files within each digit ({i}.{digit}.png, so "3.1" and "3.7" are
  // different tuples); polyscore numbers them globally. Both sort by (index, label).
  const files: Map<string, { index: number; label: number }>[] = [];
  for (let m = 0; m < M; m++) {
    const folder = `${splitDir}/m${m}`;
    const map = new Map<string, { index: number; label: number }>();
    for (const e of listDir(folder)) {
      if (!e.isFile || !/\.png$/i.test(e.name)) continue;
      const match = /^(\d+)\.(\d+)\.png$/i.exec(e.name);
      if (!match) {
        throw new Error(
          `Cannot load PolyMNIST: file name ${folder}/${e.name} must be {index}.{label}.png`,
        );
      }
      map.set(e.name, { index: Number(match[1]), label: Number(match[2]) });
    }
    if (m > 0 && map.size !== files[0].size) {
      throw new Error(
        `Cannot load PolyMNIST: unequal counts across modalities: ${splitDir}/m0 has ${
          files[0].size
        } PNGs, ${folder} has ${map.size}`,
      );
    }
    files.push(map);
  }
  const names = [...files[0].entries()].sort(([, a], [, b]) =>
    a.index - b.index || a.label - b.label
  )
    .map(([name]) => name).slice(0, options.limit ?? Infinity);
  // With globally unique indices, a file whose index matches but label differs is a disagreement.
  const indexCount = new Map<number, number>();
  for (const { index } of files[0].values()) {
    indexCount.set(index, (indexCount.get(index) ?? 0) + 1);
  }
  const unique = [...indexCount.values()].every((c) => c === 1);
  const byIndex = files.map((f) => new Map([...f.entries()].map(([name, v]) => [v.index, name])));
  const n = names.length;
  const labels = new Uint8Array(n);
  names.forEach((name, k) => {
    const ref = files[0].get(name)!;
    if (ref.label > 255) {
      throw new RangeError(`Cannot load PolyMNIST: label in ${splitDir}/m0/${name} must be <= 255`);
    }
    labels[k] = ref.label;
    for (let m = 1; m < M; m++) {
      if (files[m].has(name)) continue;
      const other = unique ? byIndex[m].get(ref.index) : undefined;
      if (other !== undefined) {
        throw new Error(
          `Cannot load PolyMNIST: label disagrees across modalities: ${splitDir}/m0/${name} says ${ref.label}, ${splitDir}/m${m}/${other} says ${
            files[m].get(other)!.label
          }`,
        );
      }
      throw new Error(
        `Cannot load PolyMNIST: ${splitDir}/m0/${name} has no file of the same name in ${splitDir}/m${m}`,
      );
    }
  });
  const size = sampleSize(specs[0]);
  const [, H, W] = specs[0].shape;
  const data = specs.map(() => new Uint8Array(n * size));
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < n; k++) {
      const path = `${splitDir}/m${m}/${names[k]}`;
      const img = toRgb(decodeImage(Deno.readFileSync(path), path));
      if (img.width !== W || img.height !== H) {
        throw new TypeError(
          `Cannot load PolyMNIST: ${path} is ${img.width}x${img.height}, expected ${W}x${H} like the other images`,
        );
      }
      const o = k * size;
      for (let p = 0; p < H * W; p++) {
        for (let c = 0; c < 3; c++) data[m][o + c * H * W + p] = img.data[p * 3 + c];
      }
    }
    options.onProgress?.((m + 1) * n, M * n);
  }
  return new ArraySplit(specs, labels, data);
}

/** The size (W, H) of the first PNG of `dir/train/m0` (in index order). */
function firstImageSize(folder: string): [number, number] {
  const names = listDir(folder).filter((e) => e.isFile && /^\d+\.\d+\.png$/i.test(e.name)).map((
    e,
  ) => e.name);
  if (names.length === 0) {
    throw new InputError(`Cannot load PolyMNIST: no {index}.{label}.png files in ${folder}`);
  }
  names.sort((a, b) => parseInt(a) - parseInt(b));
  const path = `${folder}/${names[0]}`;
  const img = decodeImage(Deno.readFileSync(path), path);
  return [img.width, img.height];
}

/**
 * Loads PolyMNIST from the released layout `dir/{train,test}/m0..m{K-1}/{i}.{label}.png` (label
 * in the name; tuples are files with the same index across modality folders; images become RGB
 * (3, H, W)). Checks: every modality folder present, equal counts, matching indices and labels,
 * equal image sizes; each error names the folder or file.
 */
export function loadPolyMnist(dir: string, options: LoadPolyMnistOptions = {}): MultimodalDataset {
  const M = modalityFolders(`${dir}/train`, options.modalities);
  const Mt = modalityFolders(`${dir}/test`, options.modalities ?? M);
  if (Mt !== M) {
    throw new Error(
      `Cannot load PolyMNIST: ${dir}/train has ${M} modality folders, ${dir}/test has ${Mt}`,
    );
  }
  const [W, H] = firstImageSize(`${dir}/train/m0`);
  const specs = polyMnistModalities(M).map((s) => ({ ...s, shape: [3, H, W] }));
  const train = loadSplit(dir, "train", M, options, specs);
  const test = loadSplit(dir, "test", M, options, specs);
  let maxLabel = 0;
  for (const s of [train, test]) for (const l of s.labels) maxLabel = Math.max(maxLabel, l);
  return {
    name: `polymnist-${M}`,
    modalities: specs,
    train,
    test,
    numClasses: Math.max(10, maxLabel + 1),
  };
}
