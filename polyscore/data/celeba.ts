/**
 * CelebAMask-HQ (Lee et al., CVPR 2020; switchablenorms/CelebAMask-HQ) as the SBM code uses it
 * (rooshenasgroup/sbmae: `create_celeba_mask.py`, `celeba_hq_mask_dataset.py`, `configs.py`):
 * image resized to S×S, one binary mask (the union of all annotated parts except skin) and the 18
 * visible attributes. Loads the published layout from a local copy; nothing is downloaded.
 * The train/test split is a seeded random split (SBM's split procedure is not published).
 */

import { Rng } from "../../engine/random.ts";
import { ArraySplit, type ModalitySpec, type MultimodalDataset } from "./dataset.ts";
import { firstChannel, type RawImage, readImageFile, resizeImage, toRgb } from "./image.ts";
import type { Progress } from "./dataset.ts";
import { InputError } from "../errors.ts";

/** The 18 attributes SBM uses (`attr_visible`), with their indices among CelebA's 40. */
export const CELEBA_ATTRIBUTES: readonly { index: number; name: string }[] = [
  [4, "Bald"],
  [5, "Bangs"],
  [8, "Black_Hair"],
  [9, "Blond_Hair"],
  [11, "Brown_Hair"],
  [12, "Bushy_Eyebrows"],
  [15, "Eyeglasses"],
  [17, "Gray_Hair"],
  [18, "Heavy_Makeup"],
  [20, "Male"],
  [21, "Mouth_Slightly_Open"],
  [22, "Mustache"],
  [26, "Pale_Skin"],
  [28, "Receding_Hairline"],
  [31, "Smiling"],
  [32, "Straight_Hair"],
  [33, "Wavy_Hair"],
  [35, "Wearing_Hat"],
].map(([index, name]) => ({ index: index as number, name: name as string }));

/** Mask parts of CelebAMask-HQ; all but "skin" form the SBM mask. */
export const CELEBA_PARTS = [
  "skin",
  "nose",
  "eye_g",
  "l_eye",
  "r_eye",
  "l_brow",
  "r_brow",
  "l_ear",
  "r_ear",
  "mouth",
  "u_lip",
  "l_lip",
  "hair",
  "hat",
  "ear_r",
  "neck_l",
  "neck",
  "cloth",
] as const;

/** Options for {@link loadCelebaMaskHq}. */
export interface CelebaOptions {
  /** Side S of the resized image and mask (SBM: 128). Default 64. */
  size?: number;
  /** Fraction of tuples in the test split. Default 0.1. */
  testFraction?: number;
  /** Seed of the train/test split. Default 0. */
  seed?: number;
  /** Use only the first `limit` images (by number). */
  limit?: number;
  /** "binary" (default): the resized mask thresholded at 128 to {0, 255}; "soft": left interpolated, as SBM's loader does. */
  mask?: "binary" | "soft";
  /**
   * A cache file for the processed tuples: read when it was made for the same size, mask mode and
   * image list, else written after loading (decoding 30k photos takes a while). Delete it after
   * changing the files.
   */
  cache?: string;
  onProgress?: Progress;
}

/** The three modalities: image (3, S, S), mask (1, S, S), attributes (18). */
export function celebaModalities(size: number): ModalitySpec[] {
  return [
    { name: "image", kind: "image", shape: [3, size, size] },
    { name: "mask", kind: "mask", shape: [1, size, size] },
    { name: "attributes", kind: "attributes", shape: [CELEBA_ATTRIBUTES.length] },
  ];
}

/**
 * Parses `CelebAMask-HQ-attribute-anno.txt`: a count line, a header of 40 names, then
 * `{i}.jpg v1 … v40` with values −1/1 (0/1 accepted). Selects the 18 SBM attributes by name and
 * checks each sits at its published index.
 *
 * @returns image number → 18 values in {0, 1}
 */
export function parseCelebaAttributes(
  text: string,
  name = "<attributes>",
): Map<number, Uint8Array> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length < 2) {
    throw new TypeError(`Cannot parse ${name}: need a count line and a header line`);
  }
  const header = lines[1].trim().split(/\s+/);
  const cols = CELEBA_ATTRIBUTES.map(({ index, name: attr }) => {
    const at = header.indexOf(attr);
    if (at < 0) throw new TypeError(`Cannot parse ${name}: header lacks attribute ${attr}`);
    if (at !== index) {
      throw new TypeError(
        `Cannot parse ${name}: attribute ${attr} must be column ${index}: current value is ${at}`,
      );
    }
    return at;
  });
  const out = new Map<number, Uint8Array>();
  for (let l = 2; l < lines.length; l++) {
    const f = lines[l].trim().split(/\s+/);
    const m = /^(\d+)\.jpg$/i.exec(f[0]);
    if (!m || f.length !== header.length + 1) {
      throw new TypeError(
        `Cannot parse ${name}: line ${
          l + 1
        } must be "{i}.jpg" and ${header.length} values: current value is "${
          lines[l].slice(0, 60)
        }"`,
      );
    }
    for (let c = 1; c < f.length; c++) {
      if (f[c] !== "1" && f[c] !== "-1" && f[c] !== "0") {
        throw new TypeError(
          `Cannot parse ${name}: line ${l + 1}, ${
            header[c - 1]
          } must be -1, 0 or 1: current value is ${f[c]}`,
        );
      }
    }
    const row = Uint8Array.from(cols, (c) => (f[c + 1] === "1" ? 1 : 0));
    out.set(Number(m[1]), row);
  }
  return out;
}

function listNames(path: string, what: string): string[] {
  try {
    return [...Deno.readDirSync(path)].filter((e) => e.isFile).map((e) => e.name);
  } catch (e) {
    throw new InputError(
      `Cannot load CelebAMask-HQ: missing ${what} ${path} (${(e as Error).message})`,
    );
  }
}

/** The part files of every image in the mask folders, image number → [part, path][]. */
function maskIndex(root: string, ids: number[]): Map<number, [string, string][]> {
  const index = new Map<number, [string, string][]>();
  const folders = [...new Set(ids.map((i) => Math.floor(i / 2000)))];
  for (const f of folders) {
    const dir = `${root}/CelebAMask-HQ-mask-anno/${f}`;
    for (const name of listNames(dir, "mask folder")) {
      const m = /^(\d+)_([a-z_]+)\.png$/i.exec(name);
      if (!m) continue;
      if (!(CELEBA_PARTS as readonly string[]).includes(m[2])) {
        throw new Error(`Cannot load CelebAMask-HQ: unknown mask part "${m[2]}" in ${dir}/${name}`);
      }
      const id = Number(m[1]);
      if (!index.has(id)) index.set(id, []);
      index.get(id)!.push([m[2], `${dir}/${name}`]);
    }
  }
  return index;
}

/** The union of all non-skin parts (channel 0 non-zero → 255) at the annotation's resolution. */
async function buildMask(id: number, parts: [string, string][] | undefined): Promise<RawImage> {
  if (!parts || parts.length === 0) {
    throw new Error(
      `Cannot load CelebAMask-HQ: image ${id} has no mask annotation files (${
        String(id).padStart(5, "0")
      }_*.png)`,
    );
  }
  let mask: RawImage | null = null;
  for (const [part, path] of parts) {
    const img = firstChannel(await readImageFile(path));
    if (!mask) {
      mask = {
        width: img.width,
        height: img.height,
        channels: 1,
        data: new Uint8Array(img.width * img.height),
      };
    }
    if (img.width !== mask.width || img.height !== mask.height) {
      throw new TypeError(
        `Cannot load CelebAMask-HQ: ${path} is ${img.width}x${img.height}, other parts are ${mask.width}x${mask.height}`,
      );
    }
    if (part === "skin") continue;
    for (let p = 0; p < img.data.length; p++) if (img.data[p] !== 0) mask.data[p] = 255;
  }
  return mask!;
}

/** Decodes, resizes and converts every tuple (in id order). */
async function readTuples(
  root: string,
  ids: number[],
  attrs: Map<number, Uint8Array>,
  attrPath: string,
  S: number,
  options: CelebaOptions,
): Promise<{ image: Uint8Array; mask: Uint8Array; attr: Uint8Array }> {
  const imgDir = `${root}/CelebA-HQ-img`;
  const masks = maskIndex(root, ids);
  const n = ids.length, SS = S * S, A = CELEBA_ATTRIBUTES.length;
  const image = new Uint8Array(n * 3 * SS),
    mask = new Uint8Array(n * SS),
    attr = new Uint8Array(n * A);
  for (let k = 0; k < n; k++) {
    const id = ids[k];
    const row = attrs.get(id);
    if (!row) {
      throw new Error(`Cannot load CelebAMask-HQ: ${imgDir}/${id}.jpg has no row in ${attrPath}`);
    }
    attr.set(row, k * A);
    const img = resizeImage(toRgb(await readImageFile(`${imgDir}/${id}.jpg`)), S, S);
    for (let p = 0; p < SS; p++) {
      for (let c = 0; c < 3; c++) image[k * 3 * SS + c * SS + p] = img.data[p * 3 + c];
    }
    const mk = resizeImage(await buildMask(id, masks.get(id)), S, S);
    for (let p = 0; p < SS; p++) {
      mask[k * SS + p] = options.mask === "soft" ? mk.data[p] : mk.data[p] >= 128 ? 255 : 0;
    }
    if ((k + 1) % 500 === 0 || k + 1 === n) options.onProgress?.(k + 1, n);
  }
  return { image, mask, attr };
}

const CACHE_MAGIC = "polyscore-celeba-cache\n";

/** The cached arrays when `path` exists and was made for `key`; null otherwise. */
function readCache(
  path: string,
  key: string,
  n: number,
  S: number,
): { image: Uint8Array; mask: Uint8Array; attr: Uint8Array } | null {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch {
    return null;
  }
  const head = new TextDecoder().decode(
    bytes.subarray(0, Math.min(bytes.length, CACHE_MAGIC.length + key.length + 1)),
  );
  if (head !== CACHE_MAGIC + key + "\n") return null;
  const o = new TextEncoder().encode(head).length, SS = S * S, A = CELEBA_ATTRIBUTES.length;
  if (bytes.length !== o + n * (4 * SS + A)) {
    throw new Error(
      `Cannot read CelebAMask-HQ cache ${path}: truncated (${bytes.length} bytes): delete it to rebuild`,
    );
  }
  return {
    image: bytes.subarray(o, o + n * 3 * SS),
    mask: bytes.subarray(o + n * 3 * SS, o + n * 4 * SS),
    attr: bytes.subarray(o + n * 4 * SS),
  };
}

function writeCache(path: string, key: string, arrays: Uint8Array[]): void {
  const head = new TextEncoder().encode(CACHE_MAGIC + key + "\n");
  const out = new Uint8Array(head.length + arrays.reduce((s, a) => s + a.length, 0));
  out.set(head);
  let o = head.length;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  const tmp = `${path}.tmp-${Deno.pid}`;
  Deno.writeFileSync(tmp, out);
  Deno.renameSync(tmp, path);
}

/**
 * Loads CelebAMask-HQ from `root` in its published layout: `CelebA-HQ-img/{i}.jpg`,
 * `CelebAMask-HQ-mask-anno/{⌊i/2000⌋}/{i:05}_{part}.png`, `CelebAMask-HQ-attribute-anno.txt`.
 * Every image needs an attribute row and at least one mask file; errors name the file.
 *
 * @example
 * ```ts ignore
 * const ds = await loadCelebaMaskHq("/data/CelebAMask-HQ", { size: 128, limit: 1000 });
 * ```
 */
export async function loadCelebaMaskHq(
  root: string,
  options: CelebaOptions = {},
): Promise<MultimodalDataset> {
  const size = options.size ?? 64, testFraction = options.testFraction ?? 0.1;
  if (!Number.isInteger(size) || size < 4) {
    throw new RangeError(
      `Cannot load CelebAMask-HQ: size must be an integer >= 4: current value is ${size}`,
    );
  }
  if (!(testFraction >= 0 && testFraction < 1)) {
    throw new RangeError(
      `Cannot load CelebAMask-HQ: testFraction must be in [0, 1): current value is ${testFraction}`,
    );
  }
  const attrPath = `${root}/CelebAMask-HQ-attribute-anno.txt`;
  let attrText: string;
  try {
    attrText = await Deno.readTextFile(attrPath);
  } catch (e) {
    throw new Error(
      `Cannot load CelebAMask-HQ: missing attribute file ${attrPath} (${(e as Error).message})`,
    );
  }
  const attrs = parseCelebaAttributes(attrText, attrPath);
  const imgDir = `${root}/CelebA-HQ-img`;
  const ids = listNames(imgDir, "image folder").map((n) => /^(\d+)\.jpg$/i.exec(n)).filter((m) =>
    m !== null
  )
    .map((m) => Number(m![1])).sort((a, b) => a - b).slice(0, options.limit ?? Infinity);
  if (ids.length === 0) {
    throw new Error(`Cannot load CelebAMask-HQ: no {i}.jpg images in ${imgDir}`);
  }
  const S = size, SS = S * S, A = CELEBA_ATTRIBUTES.length;
  const key = JSON.stringify({ version: 1, size: S, mask: options.mask ?? "binary", ids });
  const cached = options.cache ? readCache(options.cache, key, ids.length, S) : null;
  const { image, mask, attr } = cached ??
    await readTuples(root, ids, attrs, attrPath, S, options);
  if (options.cache && !cached) writeCache(options.cache, key, [image, mask, attr]);
  const n = ids.length;
  // Seeded split: a permutation's first ⌊n·f⌉ tuples are the test set; both keep file order.
  const perm = new Rng(options.seed ?? 0).permutation(n);
  const nTest = Math.round(n * testFraction);
  const testIdx = perm.slice(0, nTest).sort(), trainIdx = perm.slice(nTest).sort();
  const specs = celebaModalities(S);
  const pick = (idx: Uint32Array) => {
    const take = (src: Uint8Array, per: number) => {
      const out = new Uint8Array(idx.length * per);
      idx.forEach((i, k) => out.set(src.subarray(i * per, (i + 1) * per), k * per));
      return out;
    };
    return new ArraySplit(specs, new Uint8Array(idx.length), [
      take(image, 3 * SS),
      take(mask, SS),
      take(attr, A),
    ]);
  };
  return {
    name: `celebamask-hq-${S}`,
    modalities: specs,
    train: pick(trainIdx),
    test: pick(testIdx),
    numClasses: 0,
  };
}
