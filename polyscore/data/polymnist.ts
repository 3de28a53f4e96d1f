/**
 * PolyMNIST (Sutter, Daunhawer & Vogt, ICLR 2021; MoPoE `mmnist/MMNISTDataset.py`) with any number
 * of modalities, generated from MNIST in memory (seeded, byte-reproducible). Writing and loading the
 * released file layout live in polymnist_io.ts.
 * Generated splits are computed on demand from (MNIST index, crop offset) per sample, so 70k × M
 * tuples cost a few MB; loaded splits are uint8 arrays.
 */

import { hash32, Rng } from "../../engine/random.ts";
import { proceduralBackgrounds } from "./backgrounds.ts";
import type { ModalitySpec, MultimodalDataset, Split } from "./dataset.ts";
import { type RawImage, toRgb } from "./image.ts";
import { loadMnist, type MnistSplit } from "./mnist.ts";

/** Options for {@link generatePolyMnist}. */
export interface PolyMnistOptions {
  /** Number of modalities M (5 = PolyMNIST, 10 = Extended PolyMNIST). */
  modalities: number;
  /** Seed of the tuple permutations and crops. */
  seed: number;
  /** One RGB background per modality (default: the procedural ones). */
  backgrounds?: RawImage[];
  /** Keep only the first `limit` tuples of each split (a prefix of the full data). */
  limit?: number;
}

/** The modality specs of PolyMNIST with M modalities: m0..m{M-1}, images (3, 28, 28). */
export function polyMnistModalities(m: number): ModalitySpec[] {
  return Array.from(
    { length: m },
    (_, i) => ({ name: `m${i}`, kind: "image" as const, shape: [3, 28, 28] }),
  );
}

/** A PolyMNIST split computed on demand from MNIST and the backgrounds. */
export class PolyMnistSplit implements Split {
  readonly modalities: readonly ModalitySpec[];
  readonly count: number;
  readonly labels: Uint8Array; // (N)
  /** (M, N) MNIST index of modality m's digit in tuple i. */
  readonly source: Uint32Array;
  /** (M, N, 2) crop offset (x, y) of modality m in tuple i. */
  readonly crops: Uint16Array;
  readonly #mnist: MnistSplit;
  readonly #backgrounds: RawImage[];

  constructor(
    modalities: readonly ModalitySpec[],
    mnist: MnistSplit,
    backgrounds: RawImage[],
    labels: Uint8Array,
    source: Uint32Array,
    crops: Uint16Array,
  ) {
    this.modalities = modalities;
    this.count = labels.length;
    this.labels = labels;
    this.source = source;
    this.crops = crops;
    this.#mnist = mnist;
    this.#backgrounds = backgrounds;
  }

  /** Writes sample i of modality m as (3, 28, 28) uint8: the background crop, inverted where the digit is > 128. */
  read(m: number, i: number, out: Uint8Array, offset: number): void {
    const bg = this.#backgrounds[m], n = this.count;
    const digit = this.source[m * n + i] * 784;
    const cx = this.crops[(m * n + i) * 2], cy = this.crops[(m * n + i) * 2 + 1];
    const img = this.#mnist.images, bd = bg.data, bw = bg.width;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const on = img[digit + y * 28 + x] > 128;
        const s = ((cy + y) * bw + cx + x) * 3, p = y * 28 + x;
        for (let c = 0; c < 3; c++) {
          const v = bd[s + c];
          out[offset + c * 784 + p] = on ? 255 - v : v;
        }
      }
    }
  }
}

function subSeed(seed: number, tag: number): number {
  return hash32((hash32(seed >>> 0) + Math.imul(tag + 1, 0x9e3779b1)) >>> 0);
}

function makeSplit(
  mnist: MnistSplit,
  specs: ModalitySpec[],
  backgrounds: RawImage[],
  seed: number,
  splitTag: number,
  limit: number,
): PolyMnistSplit {
  const M = specs.length, full = mnist.count, n = Math.min(limit, full);
  if (mnist.rows !== 28 || mnist.cols !== 28) {
    throw new TypeError(
      `Cannot generate PolyMNIST: MNIST images must be 28x28: current value is ${mnist.rows}x${mnist.cols}`,
    );
  }
  // Tuple slot i carries the label of MNIST image i; k = its rank within its class.
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  const rank = new Uint32Array(full);
  for (let i = 0; i < full; i++) {
    const d = mnist.labels[i];
    rank[i] = byClass[d].length;
    byClass[d].push(i);
  }
  // For each digit d and modality m an independent permutation of class d (always over the full
  // class, so a limited split is a prefix of the full one).
  const permRng = new Rng(subSeed(seed, splitTag * 1000));
  const perms: Uint32Array[][] = byClass.map(() => []);
  for (let d = 0; d < 10; d++) {
    for (let m = 0; m < M; m++) perms[d][m] = permRng.permutation(byClass[d].length);
  }
  const labels = mnist.labels.slice(0, n);
  const source = new Uint32Array(M * n);
  const crops = new Uint16Array(M * n * 2);
  for (let m = 0; m < M; m++) {
    const bg = backgrounds[m];
    const cropRng = new Rng(subSeed(seed, splitTag * 1000 + 1 + m));
    for (let i = 0; i < n; i++) {
      const d = labels[i];
      source[m * n + i] = byClass[d][perms[d][m][rank[i]]];
      crops[(m * n + i) * 2] = cropRng.int(bg.width - 28 + 1);
      crops[(m * n + i) * 2 + 1] = cropRng.int(bg.height - 28 + 1);
    }
  }
  return new PolyMnistSplit(specs, mnist, backgrounds, labels, source, crops);
}

/**
 * Generates PolyMNIST from MNIST, per MoPoE: for each digit class and modality an independent
 * permutation of that class's images forms the tuples (shared label, different instances, each
 * MNIST image used once per modality); each sample is a uniform random 28×28 crop of the
 * modality's background (offsets in [0, W−28] × [0, H−28]) with all three channels inverted
 * (v → 255 − v) where the MNIST pixel is > 128. Tuple i has the label of MNIST image i.
 * Same (MNIST, options) → byte-identical samples.
 *
 * @example
 * ```ts
 * import { loadMnist } from "./mnist.ts";
 * const ds = generatePolyMnist(await loadMnist(), { modalities: 5, seed: 1, limit: 100 });
 * ```
 */
export function generatePolyMnist(
  mnist: { train: MnistSplit; test: MnistSplit },
  options: PolyMnistOptions,
): MultimodalDataset {
  const M = options.modalities;
  if (!Number.isInteger(M) || M < 1) {
    throw new RangeError(
      `Cannot generate PolyMNIST: modalities must be a positive integer: current value is ${M}`,
    );
  }
  const limit = options.limit ?? Infinity;
  if (!(limit >= 0)) {
    throw new RangeError(
      `Cannot generate PolyMNIST: limit must be >= 0: current value is ${limit}`,
    );
  }
  const backgrounds = (options.backgrounds ?? proceduralBackgrounds(M)).map(toRgb);
  if (backgrounds.length < M) {
    throw new RangeError(
      `Cannot generate PolyMNIST: need one background per modality (${M}): current value is ${backgrounds.length}`,
    );
  }
  backgrounds.forEach((bg, m) => {
    if (bg.width < 28 || bg.height < 28) {
      throw new RangeError(
        `Cannot generate PolyMNIST: background ${m} must be at least 28x28: current value is ${bg.width}x${bg.height}`,
      );
    }
  });
  const specs = polyMnistModalities(M);
  const bgs = backgrounds.slice(0, M);
  return {
    name: `polymnist-${M}`,
    modalities: specs,
    train: makeSplit(mnist.train, specs, bgs, options.seed, 0, limit),
    test: makeSplit(mnist.test, specs, bgs, options.seed, 1, limit),
    numClasses: 10,
  };
}

/** Loads MNIST (see `mnistDir`) and generates PolyMNIST from it. */
export async function polyMnistDataset(options: PolyMnistOptions): Promise<MultimodalDataset> {
  return generatePolyMnist(await loadMnist(), options);
}
