/**
 * PolyMNIST backgrounds: procedural ones generated here (the original photographs cannot ship),
 * or the user's own JPEG/PNG files. Procedural backgrounds are fixed functions of the modality
 * index (not of the data seed): modality m combines texture m mod 10 with palette m mod 10
 * (shifted by ⌊m/10⌋ and reseeded), so every modality looks distinct, textured and colourful.
 * Colours use Inigo Quilez's cosine palettes, col(t) = a + b·cos(2π(c·t + d)).
 */

import { hash32 } from "../../engine/random.ts";
import { type RawImage, readImageFile, toRgb } from "./image.ts";

/** Side of a procedural background, in pixels. */
export const BACKGROUND_SIZE = 256;

/** Names of the procedural textures, in modality order. */
export const TEXTURE_NAMES = [
  "clouds",
  "marble",
  "plasma",
  "voronoi",
  "checker",
  "rings",
  "ridges",
  "dots",
  "weave",
  "flames",
] as const;

// Cosine palettes: [a, b, c, d] per channel (r, g, b).
const PALETTES: number[][][] = [
  [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [1, 1, 1], [0, 0.33, 0.67]], // rainbow
  [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [1, 1, 1], [0, 0.1, 0.2]], // warm red-orange
  [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [1, 1, 0.5], [0.8, 0.9, 0.3]], // teal-gold
  [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [1, 0.7, 0.4], [0, 0.15, 0.2]], // sunset
  [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [2, 1, 0], [0.5, 0.2, 0.25]], // magenta-green
  [[0.8, 0.5, 0.4], [0.2, 0.4, 0.2], [2, 1, 1], [0, 0.25, 0.25]], // sand-rose
  [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [1, 1, 1], [0.3, 0.2, 0.2]], // blue-purple
  [[0.4, 0.5, 0.3], [0.4, 0.5, 0.3], [1, 1, 1], [0.6, 0.4, 0.1]], // forest
  [[0.5, 0.4, 0.6], [0.5, 0.4, 0.4], [1, 1, 1], [0.2, 0.5, 0.8]], // violet-cyan
  [[0.6, 0.5, 0.4], [0.4, 0.5, 0.6], [0.5, 1, 1], [0.9, 0.6, 0.1]], // ocean-fire
];

/** A random value in [0, 1) at integer lattice point (x, y) of stream `seed`. */
function lattice(seed: number, x: number, y: number): number {
  return hash32((hash32((x * 0x8da6b343) ^ seed) + Math.imul(y, 0xd8163841)) >>> 0) / 4294967296;
}

/** Value noise in [0, 1) with smoothstep interpolation. */
function valueNoise(seed: number, x: number, y: number): number {
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  const sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
  const a = lattice(seed, x0, y0), b = lattice(seed, x0 + 1, y0);
  const c = lattice(seed, x0, y0 + 1), d = lattice(seed, x0 + 1, y0 + 1);
  return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
}

/** Fractal Brownian motion: `octaves` of value noise, normalised to [0, 1). */
function fbm(seed: number, x: number, y: number, octaves = 5): number {
  let sum = 0, amp = 0.5, norm = 0, f = 1;
  for (let o = 0; o < octaves; o++) {
    sum += amp * valueNoise(seed + o * 1013, x * f, y * f);
    norm += amp;
    amp *= 0.5;
    f *= 2;
  }
  return sum / norm;
}

const frac = (v: number) => v - Math.floor(v);

/** Texture value t in [0, 1] (any real is fine: palettes are periodic) at pixel (u, v) ∈ [0, 1)². */
function texture(kind: number, seed: number, u: number, v: number): number {
  switch (kind) {
    case 0: // clouds
      return fbm(seed, u * 6, v * 6) * 1.6;
    case 1: { // marble: stripes warped by noise
      const w = fbm(seed, u * 4, v * 4);
      return 0.5 + 0.5 * Math.sin((u + v) * 18 + w * 12);
    }
    case 2: { // plasma, with fine noise on top
      const x = u * 28, y = v * 28;
      const s = Math.sin(x) + Math.sin(y * 1.3 + (seed % 7)) + Math.sin((x + y) * 0.7) +
        Math.sin(Math.hypot(x - 14, y - 14) * 1.1);
      return 0.5 + s / 8 + 0.25 * fbm(seed, u * 24, v * 24);
    }
    case 3: { // voronoi: cell colour from the nearest feature point, dark edges
      const x = u * 8, y = v * 8, cx = Math.floor(x), cy = Math.floor(y);
      let d1 = 9, d2 = 9, id = 0;
      for (let j = -1; j <= 1; j++) {
        for (let i = -1; i <= 1; i++) {
          const px = cx + i + lattice(seed, cx + i, cy + j),
            py = cy + j + lattice(seed + 1, cx + i, cy + j);
          const d = Math.hypot(px - x, py - y);
          if (d < d1) {
            d2 = d1;
            d1 = d;
            id = lattice(seed + 2, cx + i, cy + j);
          } else if (d < d2) d2 = d;
        }
      }
      return (d2 - d1 < 0.06 ? 0.0 : id) + 0.15 * d1;
    }
    case 4: { // checker, slightly warped, with noise shading
      const w = 0.35 * (fbm(seed, u * 3, v * 3) - 0.5);
      const c = (Math.floor((u + w) * 8) + Math.floor((v - w) * 8)) & 1;
      return c * 0.5 + 0.4 * fbm(seed + 7, u * 12, v * 12);
    }
    case 5: { // rings (wood grain)
      const r = Math.hypot(u - 0.3, v - 0.6) * 14 + 3 * fbm(seed, u * 5, v * 5);
      return frac(r) * 0.8 + 0.2 * fbm(seed + 3, u * 20, v * 2);
    }
    case 6: { // ridged noise
      let s = 0, amp = 0.5, f = 3;
      for (let o = 0; o < 5; o++) {
        s += amp * (1 - Math.abs(2 * valueNoise(seed + o, u * f, v * f) - 1)) ** 2;
        amp *= 0.5;
        f *= 2;
      }
      return s * 1.3;
    }
    case 7: { // dots on a hex grid, sizes from noise
      const x = u * 12, y = v * 12 / 0.866;
      const row = Math.floor(y), off = row & 1 ? 0.5 : 0;
      const dx = frac(x + off) - 0.5, dy = frac(y) - 0.5;
      const rad = 0.2 + 0.25 * fbm(seed, u * 3, v * 3);
      const inside = Math.hypot(dx, dy * 0.866) < rad;
      return inside ? 0.1 + 0.3 * lattice(seed, Math.floor(x + off), row) : 0.6 + 0.3 * v;
    }
    case 8: { // weave: alternating horizontal and vertical threads
      const x = u * 16, y = v * 16;
      const cell = (Math.floor(x) + Math.floor(y)) & 1;
      const s = cell ? Math.sin(frac(x) * Math.PI) : Math.sin(frac(y) * Math.PI);
      return 0.25 * cell + 0.6 * s * (0.7 + 0.3 * fbm(seed, u * 8, v * 8));
    }
    default: { // flames: turbulence stretched vertically, bright at the bottom
      let s = 0, amp = 0.5, f = 3;
      for (let o = 0; o < 5; o++) {
        s += amp * Math.abs(2 * valueNoise(seed + o, u * f * 4, v * f * 2 - (seed % 5)) - 1);
        amp *= 0.5;
        f *= 2;
      }
      return s + 0.6 * v;
    }
  }
}

/**
 * The procedural background of modality `m`: an RGB image of `size`×`size` (default 256).
 * Deterministic: the same (m, size) always gives the same bytes.
 *
 * @example
 * ```ts
 * const bg = proceduralBackground(0); // { width: 256, height: 256, channels: 3, data }
 * ```
 */
export function proceduralBackground(m: number, size: number = BACKGROUND_SIZE): RawImage {
  if (!Number.isInteger(m) || m < 0) {
    throw new RangeError(
      `Cannot make background: modality index must be a non-negative integer: current value is ${m}`,
    );
  }
  if (!Number.isInteger(size) || size < 28) {
    throw new RangeError(
      `Cannot make background: size must be an integer >= 28: current value is ${size}`,
    );
  }
  const kind = m % 10, cycle = Math.floor(m / 10);
  const pal = PALETTES[(m + 3 * cycle) % PALETTES.length];
  const seed = hash32((m * 7919 + 17) >>> 0) & 0xffff;
  const shift = 0.37 * cycle;
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = texture(kind, seed, x / size, y / size) + shift;
      for (let ch = 0; ch < 3; ch++) {
        const [a, b, c, d] = [pal[0][ch], pal[1][ch], pal[2][ch], pal[3][ch]];
        const val = a + b * Math.cos(2 * Math.PI * (c * t + d));
        data[(y * size + x) * 3 + ch] = Math.min(255, Math.max(0, Math.round(val * 255)));
      }
    }
  }
  return { width: size, height: size, channels: 3, data };
}

/** The procedural backgrounds of modalities 0..count−1. */
export function proceduralBackgrounds(count: number, size: number = BACKGROUND_SIZE): RawImage[] {
  return Array.from({ length: count }, (_, m) => proceduralBackground(m, size));
}

/**
 * Flat backgrounds, one plain colour per modality (the palette of modality m at t = 0.3): digits on
 * them are learned in a few hundred autoencoder steps, which the tiny preset needs to measure
 * anything in seconds. Not PolyMNIST's difficulty: the textures are what make it hard.
 */
export function flatBackgrounds(count: number): RawImage[] {
  return Array.from({ length: count }, (_, m) => {
    const pal = PALETTES[m % PALETTES.length];
    const rgb = [0, 1, 2].map((ch) => {
      const val = pal[0][ch] + pal[1][ch] * Math.cos(2 * Math.PI * (pal[2][ch] * 0.3 + pal[3][ch]));
      return Math.min(255, Math.max(0, Math.round(val * 255)));
    });
    const data = new Uint8Array(28 * 28 * 3);
    for (let i = 0; i < 28 * 28; i++) data.set(rgb, i * 3);
    return { width: 28, height: 28, channels: 3 as const, data };
  });
}

/**
 * Loads the first `count` images (files ending .jpg/.jpeg/.png, any case) of `dir` in sorted
 * file-name order (code-unit order, as Python's `sorted`), as RGB.
 *
 * @throws {Error} when `dir` has fewer than `count` images or an image is smaller than 28×28
 */
export async function loadBackgrounds(dir: string, count: number): Promise<RawImage[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && /\.(jpe?g|png)$/i.test(e.name)) names.push(e.name);
    }
  } catch (e) {
    throw new Error(`Cannot read backgrounds folder ${dir}: ${(e as Error).message}`);
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length < count) {
    throw new RangeError(
      `Cannot load backgrounds from ${dir}: need ${count} JPEG/PNG images (one per modality): current value is ${names.length}`,
    );
  }
  const out: RawImage[] = [];
  for (const name of names.slice(0, count)) {
    const img = toRgb(await readImageFile(`${dir}/${name}`));
    if (img.width < 28 || img.height < 28) {
      throw new RangeError(
        `Cannot use background ${dir}/${name}: it must be at least 28x28: current value is ${img.width}x${img.height}`,
      );
    }
    out.push(img);
  }
  return out;
}
