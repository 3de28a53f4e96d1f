/**
 * Parity of the matmul, reduction and convolution-layout kernels of WebGpuBackend with
 * ReferenceBackend (f64): matmul (every variant, both transposes, accumulate, sizes 1 / odd /
 * prime / not multiples of the tile), reduceSum (narrow and wide paths), sumSquares, im2col and
 * col2im (stride 2, pad 1, 1×1, odd sizes). Tolerances: matmul and reductions use STYLE §7's
 * rtol scaled by √K (atol 1e-6·√K, rtol 1e-5·√K); layout kernels are exact.
 */

import type { ConvGeometry, MatmulSpec } from "../engine/backend.ts";
import type { GpuBuffer } from "./backend.ts";
import { encodeMatmul, type MatmulVariant } from "./kernels/matmul.ts";
import { encodeMatmulPrepared } from "./kernels/matmul_layout.ts";
import { STORAGE_USAGE } from "./recorder.ts";
import { gpuTest, type Pair, tryCreateGpu, type Twin, withPair } from "./_test_utils.ts";

const gpu = await tryCreateGpu();

function mmTol(k: number) {
  const s = Math.sqrt(Math.max(1, k));
  return { atol: 1e-6 * s, rtol: 1e-5 * s };
}

async function checkMatmul(
  p: Pair,
  spec: MatmulSpec,
  variant: MatmulVariant | "backend" | "vec4-prepared" | "rowblock-prepared",
  seed: number,
  overrides?: Record<string, number>,
): Promise<void> {
  const a = p.random(spec.m * spec.k, seed);
  const b = p.random(spec.k * spec.n, seed + 1);
  const out: Twin = spec.accumulate
    ? p.random(spec.m * spec.n, seed + 2)
    : p.output(spec.m * spec.n);
  if (variant === "backend") {
    p.gpu.matmul({ a: a.gpu, b: b.gpu, out: out.gpu }, spec);
  } else if (variant === "vec4-prepared" || variant === "rowblock-prepared") {
    const buf = (t: Twin) => (t.gpu as GpuBuffer).buffer;
    const pool = p.gpu.pool;
    const alloc = (size: number) =>
      pool.acquire(Math.max(1, Math.ceil(size / 4)) * 16, STORAGE_USAGE);
    const bufs = { a: buf(a), b: buf(b), out: buf(out) };
    const v = variant === "vec4-prepared" ? "vec4" : "rowblock";
    encodeMatmulPrepared(p.gpu.recorder, pool, alloc, bufs, spec, v);
  } else {
    const buf = (t: Twin) => (t.gpu as GpuBuffer).buffer;
    const bufs = { a: buf(a), b: buf(b), out: buf(out) };
    encodeMatmul(p.gpu.recorder, bufs, spec, variant, overrides);
  }
  p.ref.matmul({ a: a.ref, b: b.ref, out: out.ref }, spec);
  const { m, k, n, transA, transB, accumulate } = spec;
  await p.check(out, {
    ...mmTol(k),
    label: `matmul ${variant} ${JSON.stringify(overrides ?? {})} ${m}x${k} @ ${k}x${n} ` +
      `tA=${transA} tB=${transB} acc=${accumulate}`,
  });
}

const SHAPES: [number, number, number][] = [
  [45, 65, 33],
  [1, 1, 1],
  [7, 13, 1],
  [1, 17, 5],
  [64, 64, 64],
  [67, 31, 97],
];

for (const variant of ["naive", "tiled", "blocked"] as const) {
  Deno.test(gpuTest(gpu, {
    name: `matmul ${variant} matches reference for 45x65 @ 65x33 and other awkward shapes, ` +
      "both transposes, accumulate",
    fn: () =>
      withPair(gpu!, async (p) => {
        let seed = 100;
        for (const [m, k, n] of SHAPES) {
          for (const transA of [false, true]) {
            for (const transB of [false, true]) {
              const accumulate = (m + k + n + Number(transA)) % 2 === 0;
              await checkMatmul(p, { m, k, n, transA, transB, accumulate }, variant, seed++);
            }
          }
        }
      }),
  }));
}

for (const variant of ["vec4", "rowblock"] as const) {
  Deno.test(gpuTest(gpu, {
    name: `matmul ${variant} matches reference for K, N multiples of 4 with odd M (1, 45, 67), ` +
      "accumulate",
    fn: () =>
      withPair(gpu!, async (p) => {
        let seed = 200;
        for (
          const [m, k, n] of [[45, 64, 36], [1, 4, 4], [67, 132, 8], [130, 36, 260], [3, 0, 4]]
        ) {
          for (const accumulate of [false, true]) {
            const spec = { m, k, n, transA: false, transB: false, accumulate };
            await checkMatmul(p, spec, variant, seed++);
          }
        }
      }),
  }));
}

Deno.test(gpuTest(gpu, {
  name: "matmul rowblock with other tile constants (TM 8, 3, 1; WG 8) matches reference",
  fn: () =>
    withPair(gpu!, async (p) => {
      let seed = 250;
      const tiles: Record<string, number>[] = [{ TM: 8 }, { TM: 3 }, { WG: 8, TM: 5 }, { TM: 1 }];
      for (const overrides of tiles) {
        for (const [m, k, n] of [[45, 64, 36], [17, 8, 100]]) {
          const spec = { m, k, n, transA: false, transB: false, accumulate: m % 2 === 0 };
          await checkMatmul(p, spec, "rowblock", seed++, overrides);
        }
      }
    }),
}));

for (const variant of ["vec4-prepared", "rowblock-prepared"] as const) {
  Deno.test(gpuTest(gpu, {
    name: `matmul ${variant} (transposes materialised, K and N zero-padded) matches reference`,
    fn: () =>
      withPair(gpu!, async (p) => {
        let seed = 280;
        for (const [m, k, n] of [[45, 65, 33], [1, 1, 1], [7, 13, 1], [67, 31, 97], [5, 8, 12]]) {
          for (const transA of [false, true]) {
            for (const transB of [false, true]) {
              const accumulate = (m + k + n + Number(transB)) % 2 === 0;
              const spec = { m, k, n, transA, transB, accumulate };
              await checkMatmul(p, spec, variant, seed++);
            }
          }
        }
      }),
  }));
}

Deno.test(gpuTest(gpu, {
  name: "matmul() through the backend picks a valid kernel for every layout",
  fn: () =>
    withPair(gpu!, async (p) => {
      let seed = 300;
      // 45x65x33 pads, 16x8x12 and 37x20x44 are aligned, 3x4x5 is tiny (blocked kernel).
      for (const [m, k, n] of [[45, 65, 33], [16, 8, 12], [3, 4, 5], [37, 20, 44]]) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const spec = { m, k, n, transA, transB, accumulate: false };
            await checkMatmul(p, spec, "backend", seed++);
          }
        }
      }
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "reduceSum() matches reference on narrow and wide paths, accumulate",
  fn: () =>
    withPair(gpu!, async (p) => {
      const cases = [
        { outer: 3, len: 5, inner: 7 }, // narrow
        { outer: 1, len: 1000, inner: 1 }, // wide, one output
        { outer: 2, len: 129, inner: 3 }, // wide, strided
        { outer: 1, len: 1, inner: 13 }, // len 1
        { outer: 97, len: 33, inner: 61 }, // many outputs → narrow despite long len
      ];
      let seed = 400;
      for (const c of cases) {
        for (const accumulate of [false, true]) {
          const x = p.random(c.outer * c.len * c.inner, seed++);
          const out = accumulate
            ? p.random(c.outer * c.inner, seed++)
            : p.output(c.outer * c.inner);
          const spec = { ...c, accumulate };
          p.gpu.reduceSum(x.gpu, out.gpu, spec);
          p.ref.reduceSum(x.ref, out.ref, spec);
          await p.check(out, { ...mmTol(c.len), label: `reduceSum ${JSON.stringify(spec)}` });
        }
      }
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "sumSquares() matches reference for n = 1, 255, 10007, accumulate",
  fn: () =>
    withPair(gpu!, async (p) => {
      let seed = 500;
      for (const n of [1, 255, 10007]) {
        for (const accumulate of [false, true]) {
          const x = p.random(n, seed++);
          const out = accumulate ? p.input([0.75]) : p.output(1);
          p.gpu.sumSquares(x.gpu, out.gpu, { n, accumulate });
          p.ref.sumSquares(x.ref, out.ref, { n, accumulate });
          await p.check(out, { ...mmTol(n), label: `sumSquares n=${n} acc=${accumulate}` });
        }
      }
    }),
}));

function geometry(
  b: number,
  c: number,
  h: number,
  w: number,
  k: number,
  stride: number,
  pad: number,
): ConvGeometry {
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  return { b, c, h, w, kh: k, kw: k, stride, pad, oh, ow };
}

const GEOMETRIES: ConvGeometry[] = [
  geometry(2, 3, 7, 5, 3, 2, 1), // stride 2, pad 1, odd sizes
  geometry(1, 4, 6, 6, 1, 1, 0), // 1×1
  geometry(3, 2, 9, 8, 4, 2, 1), // even kernel, stride 2
  geometry(1, 1, 5, 7, 3, 1, 2), // pad larger than needed
  { b: 2, c: 3, h: 7, w: 6, kh: 3, kw: 2, stride: 3, pad: 0, oh: 2, ow: 2 }, // kh ≠ kw
];

Deno.test(gpuTest(gpu, {
  name: "im2col() and col2im() match reference: stride 2 / pad 1 / 1x1 / odd sizes, accumulate",
  fn: () =>
    withPair(gpu!, async (p) => {
      let seed = 600;
      for (const g of GEOMETRIES) {
        const label = JSON.stringify(g);
        const x = p.random(g.b * g.c * g.h * g.w, seed++);
        const cols = g.c * g.kh * g.kw * g.b * g.oh * g.ow;
        const col = p.output(cols);
        p.gpu.im2col(x.gpu, col.gpu, g);
        p.ref.im2col(x.ref, col.ref, g);
        await p.check(col, { atol: 0, rtol: 0, label: `im2col ${label}` });
        for (const accumulate of [false, true]) {
          const c2 = p.random(cols, seed++);
          const dx = accumulate ? p.random(g.b * g.c * g.h * g.w, seed++) : p.output(x.size);
          p.gpu.col2im(c2.gpu, dx.gpu, { ...g, accumulate });
          p.ref.col2im(c2.ref, dx.ref, { ...g, accumulate });
          await p.check(dx, { atol: 1e-6, rtol: 1e-6, label: `col2im acc=${accumulate} ${label}` });
        }
      }
    }),
}));
