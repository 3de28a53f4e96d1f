/**
 * Datasets for polyscore: the {@link MultimodalDataset} interface, MNIST, PolyMNIST (generated or
 * loaded), CelebAMask-HQ, and {@link openDataset}, which picks a loader from a preset name or a
 * folder's layout.
 */

import { ArraySplit, type MultimodalDataset, type Progress, subsetSplit } from "./dataset.ts";
import { mnistDataset } from "./mnist.ts";
import { polyMnistDataset } from "./polymnist.ts";
import { loadPolyMnist } from "./polymnist_io.ts";
import { loadCelebaMaskHq } from "./celeba.ts";
import { loadBackgrounds } from "./backgrounds.ts";
import { InputError } from "../errors.ts";

export * from "./dataset.ts";
export { loadMnist, mnistDataset, mnistDir, parseIdx } from "./mnist.ts";
export {
  generatePolyMnist,
  polyMnistDataset,
  polyMnistModalities,
  type PolyMnistOptions,
  PolyMnistSplit,
} from "./polymnist.ts";
export { loadPolyMnist, type LoadPolyMnistOptions, writePolyMnist } from "./polymnist_io.ts";
export { CELEBA_ATTRIBUTES, celebaModalities, loadCelebaMaskHq } from "./celeba.ts";
export { loadBackgrounds, proceduralBackground, proceduralBackgrounds } from "./backgrounds.ts";
export { decodeImage, readImageFile, resizeImage } from "./image.ts";
export { decodePng, encodePng } from "./png.ts";
export { imageMosaic, sampleGrid } from "./grid.ts";

/** Preset names {@link openDataset} accepts, with what they are. */
export const PRESETS: Record<string, string> = {
  mnist: "MNIST, one modality (1, 28, 28)",
  polymnist: "PolyMNIST generated in memory, 5 modalities (3, 28, 28)",
  polymnist10: "Extended PolyMNIST generated in memory, 10 modalities (3, 28, 28)",
};

/** Options for {@link openDataset}. */
export interface OpenOptions {
  /** Seed for generated data and random splits. Default 1. */
  seed?: number;
  /** Cap on the tuples of each split (generated/loaded data). */
  limit?: number;
  /** A folder of background images for generated PolyMNIST. */
  backgrounds?: string;
  /** CelebAMask-HQ image/mask side. Default 64. */
  size?: number;
  /** CelebAMask-HQ: a cache file for the processed tuples (see `CelebaOptions.cache`). */
  cache?: string;
  onProgress?: Progress;
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Opens a dataset by preset name ({@link PRESETS}) or folder: a folder with `train/m0` is loaded as
 * released PolyMNIST, one with `CelebA-HQ-img` as CelebAMask-HQ.
 *
 * @throws {Error} naming the source when it is neither a preset nor a recognised folder
 */
export async function openDataset(
  source: string,
  options: OpenOptions = {},
): Promise<MultimodalDataset> {
  const seed = options.seed ?? 1;
  if (source === "mnist") {
    const ds = await mnistDataset();
    if (options.limit === undefined) return ds;
    const cut = (s: ArraySplit) =>
      subsetSplit(s, Uint32Array.from({ length: Math.min(options.limit!, s.count) }, (_, i) => i));
    return { ...ds, train: cut(ds.train as ArraySplit), test: cut(ds.test as ArraySplit) };
  }
  if (source === "polymnist" || source === "polymnist10") {
    const modalities = source === "polymnist" ? 5 : 10;
    const backgrounds = options.backgrounds
      ? await loadBackgrounds(options.backgrounds, modalities)
      : undefined;
    return await polyMnistDataset({ modalities, seed, limit: options.limit, backgrounds });
  }
  if (isDir(`${source}/train/m0`) || isDir(`${source}/train`)) {
    return loadPolyMnist(source, { limit: options.limit, onProgress: options.onProgress });
  }
  if (isDir(`${source}/CelebA-HQ-img`)) {
    return await loadCelebaMaskHq(source, {
      size: options.size,
      seed,
      limit: options.limit,
      cache: options.cache,
      onProgress: options.onProgress,
    });
  }
  throw new InputError(
    `Cannot open dataset ${source}: not a preset (${
      Object.keys(PRESETS).join(", ")
    }) nor a folder with train/m0 (PolyMNIST) or CelebA-HQ-img (CelebAMask-HQ)`,
  );
}
