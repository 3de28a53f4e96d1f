/**
 * Test fixtures for polyscore/data: tiny datasets written to temporary folders in the real layouts
 * (background photos, CelebAMask-HQ, IDX files). Test-only; nothing here is exported by mod.ts.
 */

import jpeg from "jpeg-js";
import { Rng } from "../../engine/random.ts";
import { encodePng } from "./png.ts";
import { CELEBA_PARTS } from "./celeba.ts";

/** The 40 CelebA attribute names in file order. */
export const CELEBA_HEADER = [
  "5_o_Clock_Shadow",
  "Arched_Eyebrows",
  "Attractive",
  "Bags_Under_Eyes",
  "Bald",
  "Bangs",
  "Big_Lips",
  "Big_Nose",
  "Black_Hair",
  "Blond_Hair",
  "Blurry",
  "Brown_Hair",
  "Bushy_Eyebrows",
  "Chubby",
  "Double_Chin",
  "Eyeglasses",
  "Goatee",
  "Gray_Hair",
  "Heavy_Makeup",
  "High_Cheekbones",
  "Male",
  "Mouth_Slightly_Open",
  "Mustache",
  "Narrow_Eyes",
  "No_Beard",
  "Oval_Face",
  "Pale_Skin",
  "Pointy_Nose",
  "Receding_Hairline",
  "Rosy_Cheeks",
  "Sideburns",
  "Smiling",
  "Straight_Hair",
  "Wavy_Hair",
  "Wearing_Earrings",
  "Wearing_Hat",
  "Wearing_Lipstick",
  "Wearing_Necklace",
  "Wearing_Necktie",
  "Young",
];

/** A smooth random RGB image (H, W, 3), deterministic in `seed`. */
export function smoothImage(width: number, height: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const f = [rng.uniform() * 0.3 + 0.05, rng.uniform() * 0.3 + 0.05, rng.uniform() * 6];
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        data[(y * width + x) * 3 + c] = Math.round(
          127.5 + 127 * Math.sin(f[0] * x * (c + 1) + f[1] * y + f[2] + c),
        );
      }
    }
  }
  return data;
}

/** JPEG bytes (quality 95) of an RGB (H, W, 3) image, via jpeg-js. */
export function encodeJpeg(
  rgb: Uint8Array,
  width: number,
  height: number,
  quality = 95,
): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ data: rgba, width, height }, quality).data);
}

/**
 * Writes `count` background "photos" to `dir`, alternating JPEG and PNG, sizes 40–79 px, named so
 * that sorted order is photo_00, photo_01, …; plus a non-image file that must be ignored.
 */
export function writeBackgroundPhotos(dir: string, count: number): void {
  for (let k = 0; k < count; k++) {
    const w = 40 + ((k * 13) % 40), h = 40 + ((k * 7) % 40);
    const rgb = smoothImage(w, h, 100 + k);
    const name = `${dir}/photo_${String(k).padStart(2, "0")}`;
    if (k % 2 === 0) Deno.writeFileSync(`${name}.jpg`, encodeJpeg(rgb, w, h));
    else {Deno.writeFileSync(
        `${name}.PNG`,
        encodePng({ width: w, height: h, channels: 3, data: rgb }),
      );}
  }
  Deno.writeTextFileSync(`${dir}/notes.txt`, "not an image");
}

/** What {@link writeCelebaFixture} wrote, for the tests to check against. */
export interface CelebaFixture {
  ids: number[];
  /** Per id: the 40 attribute values (−1/1) in file order. */
  attributes: Map<number, number[]>;
  /** Per id: the expected binary mask (maskSize², 0/255) at annotation resolution. */
  masks: Map<number, Uint8Array>;
  /** Per id: the RGB image (imageSize², 3) before JPEG compression. */
  images: Map<number, Uint8Array>;
}

/**
 * Writes a CelebAMask-HQ fixture in the published layout under `root`: images `ids` as
 * `imageSize`² JPEGs, per image a few part masks (`maskSize`², gray 0/255, including a skin part
 * that must be left out), and the attribute file with random ±1 values.
 */
export function writeCelebaFixture(
  root: string,
  ids: number[],
  imageSize = 48,
  maskSize = 32,
): CelebaFixture {
  Deno.mkdirSync(`${root}/CelebA-HQ-img`, { recursive: true });
  const rng = new Rng(7);
  const fx: CelebaFixture = { ids, attributes: new Map(), masks: new Map(), images: new Map() };
  const rows: string[] = [String(ids.length), CELEBA_HEADER.join(" ")];
  for (const id of ids) {
    const rgb = smoothImage(imageSize, imageSize, id);
    fx.images.set(id, rgb);
    Deno.writeFileSync(`${root}/CelebA-HQ-img/${id}.jpg`, encodeJpeg(rgb, imageSize, imageSize));
    const folder = `${root}/CelebAMask-HQ-mask-anno/${Math.floor(id / 2000)}`;
    Deno.mkdirSync(folder, { recursive: true });
    const expected = new Uint8Array(maskSize * maskSize);
    // skin: everything; hair: top rows (id-dependent height); nose: a square; skin must not count.
    const parts: [string, (x: number, y: number) => boolean][] = [
      ["skin", () => true],
      ["hair", (_x, y) => y < 4 + (id % 5) * 2],
      ["nose", (x, y) => x >= 12 && x < 20 && y >= 14 && y < 22],
    ];
    for (const [part, inside] of parts) {
      const m = new Uint8Array(maskSize * maskSize);
      for (let y = 0; y < maskSize; y++) {
        for (let x = 0; x < maskSize; x++) {
          if (!inside(x, y)) continue;
          m[y * maskSize + x] = 255;
          if (part !== "skin") expected[y * maskSize + x] = 255;
        }
      }
      if (!(CELEBA_PARTS as readonly string[]).includes(part)) {
        throw new Error(`bad fixture part ${part}`);
      }
      const name = `${folder}/${String(id).padStart(5, "0")}_${part}.png`;
      Deno.writeFileSync(
        name,
        encodePng({ width: maskSize, height: maskSize, channels: 1, data: m }),
      );
    }
    fx.masks.set(id, expected);
    const attrs = CELEBA_HEADER.map(() => (rng.uniform() < 0.5 ? -1 : 1));
    fx.attributes.set(id, attrs);
    rows.push(`${id}.jpg  ${attrs.join(" ")}`);
  }
  Deno.writeTextFileSync(`${root}/CelebAMask-HQ-attribute-anno.txt`, rows.join("\n") + "\n");
  return fx;
}

/** IDX bytes: magic 0x00000803/0x00000801 style header for ubyte data of shape `dims`. */
export function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const dv = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** All files under `dir` (relative paths, sorted) with their bytes. */
export function readTree(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(`${dir}/${rel}`)) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(path);
      else out.set(path, Deno.readFileSync(`${dir}/${path}`));
    }
  };
  walk("");
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}
