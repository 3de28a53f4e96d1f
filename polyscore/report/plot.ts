/**
 * Line charts rasterised straight to PNG for the experiment report (polyscore/experiment/): panels
 * side by side, each with axes, tick labels, one polyline per series and vertical interval bars,
 * and one shared legend below. A fixed 3×5 pixel font drawn at 2×; no anti-aliasing, no library.
 * Not a plotting package: linear axes only, labels in capitals.
 */
import { encodePng } from "../data/png.ts";
import { glyph, GLYPH_GAP, GLYPH_H, GLYPH_W } from "./_font.ts";

/** One line of a panel: y (and optional interval lo/hi) at each x; null leaves a gap. */
export interface Series {
  label: string;
  x: number[];
  y: (number | null)[];
  lo?: (number | null)[];
  hi?: (number | null)[];
}

/** One panel: a title, axis labels and its series. */
export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

/** Distinct colours, one per legend label (the same label has the same colour in every panel). */
export const PALETTE: readonly [number, number, number][] = [
  [31, 119, 180],
  [214, 39, 40],
  [44, 160, 44],
  [148, 103, 189],
  [255, 127, 14],
  [23, 190, 207],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
];

const SCALE = 2;
const PANEL_W = 360, PANEL_H = 260;
const MARGIN = { left: 64, right: 16, top: 44, bottom: 44 };

class Canvas {
  readonly data: Uint8Array;
  constructor(readonly width: number, readonly height: number) {
    this.data = new Uint8Array(width * height * 3).fill(255);
  }
  set(x: number, y: number, c: readonly number[]): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.data[i] = c[0];
    this.data[i + 1] = c[1];
    this.data[i + 2] = c[2];
  }
  rect(x: number, y: number, w: number, h: number, c: readonly number[]): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.set(x + i, y + j, c);
  }
  /** A line `thick` pixels wide (DDA: one step per pixel of the longer axis). */
  line(x0: number, y0: number, x1: number, y1: number, c: readonly number[], thick = 1): void {
    const n = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const o = Math.floor((thick - 1) / 2);
    for (let s = 0; s <= n; s++) {
      const x = x0 + ((x1 - x0) * s) / n, y = y0 + ((y1 - y0) * s) / n;
      this.rect(Math.round(x) - o, Math.round(y) - o, thick, thick, c);
    }
  }
  text(x: number, y: number, s: string, c: readonly number[] = [0, 0, 0]): void {
    for (const [k, ch] of [...s].entries()) {
      const g = glyph(ch);
      const gx = x + k * (GLYPH_W + GLYPH_GAP) * SCALE;
      for (let r = 0; r < GLYPH_H; r++) {
        for (let q = 0; q < GLYPH_W; q++) {
          if (g[r * GLYPH_W + q]) this.rect(gx + q * SCALE, y + r * SCALE, SCALE, SCALE, c);
        }
      }
    }
  }
}

/** Width in pixels of `s` drawn by the canvas font. */
export function textWidth(s: string): number {
  return s.length * (GLYPH_W + GLYPH_GAP) * SCALE;
}

/** The most characters a panel title holds (longer ones would be cut at both edges). */
export const PANEL_TITLE_CHARS = Math.floor((PANEL_W - 8) / textWidth("X"));

/** About five round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let i = Math.ceil(lo / step); i * step <= hi + step * 1e-9; i++) {
    out.push(i === 0 ? 0 : Number((i * step).toPrecision(12))); // an exact 0, never -3e-17
  }
  return out;
}

function fmtTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1000 || a < 0.01 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

function extent(values: number[]): [number, number] {
  let lo = Math.min(...values), hi = Math.max(...values);
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) {
    lo -= Math.abs(lo) * 0.1 || 0.5;
    hi += Math.abs(hi) * 0.1 || 0.5;
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

function drawPanel(cv: Canvas, ox: number, p: Panel, colorOf: (label: string) => number[]) {
  const x0 = ox + MARGIN.left, x1 = ox + PANEL_W - MARGIN.right;
  const y0 = MARGIN.top, y1 = PANEL_H - MARGIN.bottom;
  const xs = p.series.flatMap((s) => s.x);
  const ys = p.series.flatMap((s) =>
    [...s.y, ...(s.lo ?? []), ...(s.hi ?? [])].filter((v): v is number =>
      v !== null && Number.isFinite(v)
    )
  );
  const [xl, xh] = extent(xs), [yl, yh] = extent(ys);
  const px = (x: number) => x0 + ((x - xl) / (xh - xl)) * (x1 - x0);
  const py = (y: number) => y1 - ((y - yl) / (yh - yl)) * (y1 - y0);
  const axis = [0, 0, 0], grid = [225, 225, 225];
  for (const t of niceTicks(yl, yh)) {
    cv.line(x0, py(t), x1, py(t), grid);
    const s = fmtTick(t);
    cv.text(x0 - 6 - textWidth(s), py(t) - GLYPH_H, s);
  }
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  const shown = xTicks.length <= 12 ? xTicks : niceTicks(xl, xh);
  for (const t of shown) {
    cv.line(px(t), y1, px(t), y1 + 4, axis);
    const s = fmtTick(t);
    cv.text(px(t) - textWidth(s) / 2, y1 + 8, s);
  }
  cv.line(x0, y0, x0, y1, axis);
  cv.line(x0, y1, x1, y1, axis);
  cv.text(ox + (PANEL_W - textWidth(p.title)) / 2, 6, p.title);
  cv.text(x0 + (x1 - x0 - textWidth(p.xLabel)) / 2, y1 + 26, p.xLabel);
  cv.text(ox + 4, y0 - 20, p.yLabel);
  for (const s of p.series) {
    const c = colorOf(s.label);
    let prev: [number, number] | null = null;
    for (let i = 0; i < s.x.length; i++) {
      const y = s.y[i];
      if (y === null || !Number.isFinite(y)) {
        prev = null;
        continue;
      }
      const cur: [number, number] = [px(s.x[i]), py(y)];
      if (prev) cv.line(prev[0], prev[1], cur[0], cur[1], c, 2);
      cv.rect(cur[0] - 2, cur[1] - 2, 5, 5, c);
      const lo = s.lo?.[i], hi = s.hi?.[i];
      if (lo != null && hi != null && Number.isFinite(lo) && Number.isFinite(hi)) {
        cv.line(cur[0], py(lo), cur[0], py(hi), c);
        cv.line(cur[0] - 3, py(lo), cur[0] + 3, py(lo), c);
        cv.line(cur[0] - 3, py(hi), cur[0] + 3, py(hi), c);
      }
      prev = cur;
    }
  }
}

/**
 * Draws `panels` side by side (wrapping after `perRow`) with one legend of every series label, and
 * returns the PNG bytes. A label keeps its colour across panels: its index in `colorOrder` (so
 * several figures can colour a method alike), else its first appearance after those.
 */
export function plotPanels(
  panels: readonly Panel[],
  opts: { perRow?: number; colorOrder?: readonly string[] } = {},
): Uint8Array {
  if (panels.length === 0) throw new RangeError("Cannot plot: no panels were given");
  const perRow = opts.perRow ?? 2;
  const labels = [...new Set(panels.flatMap((p) => p.series.map((s) => s.label)))];
  const order = [...new Set([...(opts.colorOrder ?? []), ...labels])];
  const colorOf = (l: string) => [...PALETTE[order.indexOf(l) % PALETTE.length]];
  const cols = Math.min(perRow, panels.length), rows = Math.ceil(panels.length / cols);
  const width = cols * PANEL_W;
  const shown = labels.map((l) => l.slice(0, 56));
  const colW = Math.min(width - 12, Math.max(...shown.map(textWidth)) + 32);
  const perLine = Math.max(1, Math.floor((width - 12) / colW));
  const legendRows = Math.ceil(labels.length / perLine);
  const legendH = 16 + legendRows * 18;
  const cv = new Canvas(width, rows * PANEL_H + legendH);
  const sub = new Canvas(PANEL_W, PANEL_H);
  panels.forEach((p, i) => {
    sub.data.fill(255);
    drawPanel(sub, 0, p, colorOf);
    const ox = (i % cols) * PANEL_W, oy = Math.floor(i / cols) * PANEL_H;
    for (let y = 0; y < PANEL_H; y++) {
      cv.data.set(
        sub.data.subarray(y * PANEL_W * 3, (y + 1) * PANEL_W * 3),
        ((oy + y) * width + ox) * 3,
      );
    }
  });
  labels.forEach((l, i) => {
    const x = 12 + (i % perLine) * colW, y = rows * PANEL_H + 8 + Math.floor(i / perLine) * 18;
    cv.rect(x, y, 14, 10, colorOf(l));
    cv.text(x + 20, y, shown[i]);
  });
  return encodePng({ width: cv.width, height: cv.height, channels: 3, data: cv.data });
}
