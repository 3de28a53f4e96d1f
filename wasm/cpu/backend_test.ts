/**
 * Parity of every `WasmCpuBackend` kernel with the f64 `ReferenceBackend` on awkward shapes, on one
 * thread, on two threads with every op split (`splitAll`, so small shapes cross the partition
 * boundaries), and on two threads with the production thresholds at sizes that cross them.
 * Tolerances (|a − e| ≤ atol + rtol·|e|, STYLE §7): elementwise 1e-6/1e-4; reductions and matmul
 * rtol 1e-4·√K; transcendental kernels at large magnitudes as stated per case. Last, six Adam
 * steps of a tiny conv VAE + layer-norm MLP must follow the reference's loss curve (1e-4).
 */
import assert from "node:assert/strict";
import type { Backend, DeviceBuffer, UnaryOp } from "../../engine/backend.ts";
import { ReferenceBackend } from "../../engine/reference/backend.ts";
import { assertAllClose, type CloseOptions, randomArray } from "../../engine/testing.ts";
import { commandRequirement, needing } from "../../engine/testing_tools.ts";
import { ConvAutoencoder } from "../../polyscore/models/conv_vae.ts";
import { LayerNorm, Linear } from "../../engine/nn/layers.ts";
import { Init } from "../../engine/nn/module.ts";
import * as ops from "../../engine/ops/mod.ts";
import { RandomStream } from "../../engine/ops/random.ts";
import { Adam } from "../../engine/optim.ts";
import { backward, Tensor, tidy } from "../../engine/tensor.ts";
import { createWasmCpuBackend, type WasmCpuBackend } from "./backend.ts";

type Run = (be: Backend, ins: DeviceBuffer[], outs: DeviceBuffer[]) => void;

/** One input: data, or [data, dataOnReferenceOnly] is never needed; outputs: size + initial data. */
interface Case {
  label: string;
  ins: ArrayLike<number>[];
  outs: (number | ArrayLike<number>)[];
  run: Run;
  tol?: CloseOptions;
}

async function exec(be: Backend, c: Case): Promise<Float64Array[]> {
  const ins = c.ins.map((d) => {
    const b = be.alloc(d.length);
    be.write(b, d);
    return b;
  });
  const outs = c.outs.map((o) => {
    const size = typeof o === "number" ? o : o.length;
    const b = be.alloc(size);
    if (typeof o === "number") be.fill(b, NaN);
    else be.write(b, o);
    return b;
  });
  c.run(be, ins, outs);
  const res = await Promise.all(outs.map(async (b) => Float64Array.from(await be.read(b))));
  for (const b of [...ins, ...outs]) be.free(b);
  return res;
}

const ref = new ReferenceBackend();

async function check(backends: WasmCpuBackend[], c: Case): Promise<void> {
  const want = await exec(ref, c);
  for (const be of backends) {
    const got = await exec(be, c);
    got.forEach((g, i) =>
      assertAllClose(g, want[i], {
        atol: 1e-6,
        rtol: 1e-4,
        ...c.tol,
        label: `${c.label} out ${i} (threads ${be.threads}, fma ${be.fma})`,
      })
    );
  }
}

/**
 * Runs `body` with 1-thread backends (FMA GEMM micro-kernel on and off), a 2-thread backend that
 * splits every op, and a 3-thread backend with the production thresholds.
 */
async function withBackends(body: (bes: WasmCpuBackend[]) => Promise<void>): Promise<void> {
  const bes = [
    await createWasmCpuBackend({ threads: 1 }),
    await createWasmCpuBackend({ threads: 1, fma: false }),
    await createWasmCpuBackend({ threads: 2, splitAll: true }),
    await createWasmCpuBackend({ threads: 3 }),
  ];
  try {
    await body(bes);
    for (const be of bes) assert.equal(be.liveBuffers, 0, "every buffer freed");
  } finally {
    for (const be of bes) be.destroy();
  }
}

const rnd = (n: number, seed: number, lo = -1, hi = 1) => randomArray(n, seed, lo, hi);

Deno.test("wasm cpu: fill, copyBlocks, affine match reference", async () => {
  await withBackends(async (bes) => {
    for (const n of [1, 37, 40_011]) {
      await check(bes, {
        label: `fill ${n}`,
        ins: [],
        outs: [n],
        run: (be, _, [o]) => be.fill(o, 2.5),
      });
      await check(bes, {
        label: `fill prefix ${n}`,
        ins: [],
        outs: [rnd(n + 3, 1)],
        run: (be, _, [o]) => be.fill(o, -1, n),
      });
      await check(bes, {
        label: `affine ${n}`,
        ins: [rnd(n, 2)],
        outs: [n],
        run: (be, [x], [o]) => be.affine(x, o, { n, scale: 1.5, shift: -0.25 }),
      });
    }
    await check(bes, {
      label: "affine in place",
      ins: [],
      outs: [rnd(41, 3)],
      run: (be, _, [o]) => be.affine(o, o, { n: 41, scale: -2, shift: 1 }),
    });
    const blocks: [number, number, boolean][] = [[1, 1, false], [7, 13, true], [300, 5, false], [
      3,
      5000,
      true,
    ]];
    for (const [outer, inner, acc] of blocks) {
      const srcStride = inner + 3, dstStride = inner + 2;
      await check(bes, {
        label: `copyBlocks ${outer}x${inner} acc ${acc}`,
        ins: [rnd(2 + outer * srcStride, 4)],
        outs: [rnd(5 + outer * dstStride, 5)],
        run: (be, [s], [d]) =>
          be.copyBlocks(s, d, {
            outer,
            inner,
            srcStride,
            dstStride,
            srcOffset: 2,
            dstOffset: 5,
            accumulate: acc,
          }),
      });
    }
  });
});

const UNARY_RANGES: Record<string, [number, number][]> = {
  neg: [[-3, 3]],
  exp: [[-3, 3], [-80, 80]],
  log: [[0.01, 5], [1e-15, 1e15]],
  sqrt: [[0, 5], [1e-20, 1e20]],
  square: [[-3, 3]],
  abs: [[-3, 3]],
  relu: [[-3, 3]],
  leaky_relu: [[-3, 3]],
  silu: [[-6, 6], [-90, 90]],
  gelu: [[-6, 6], [300, 400], [-400, -300]],
  sigmoid: [[-6, 6], [-90, 90]],
  tanh: [[-3, 3], [-0.7, 0.7], [-40, 40]],
  softplus: [[-6, 6], [-90, 90]],
};

Deno.test("wasm cpu: unary forward, backward and second derivative match reference", async () => {
  await withBackends(async (bes) => {
    for (const [op, ranges] of Object.entries(UNARY_RANGES)) {
      const u = op as UnaryOp;
      for (const [lo, hi] of ranges) {
        for (const n of [37, 33_001]) {
          const x = rnd(n, 7, lo, hi);
          // Values span many decades for log/sqrt: sample them log-uniformly.
          if (lo > 0 && hi / lo > 1e10) {
            for (let i = 0; i < n; i++) {
              x[i] = Math.exp(Math.log(lo) + (Math.log(hi / lo)) * (i / n));
            }
          }
          const spec = { op: u, n, alpha: 0.1 };
          const tol = { atol: 1e-6, rtol: 1e-4 };
          const label = `${op} [${lo}, ${hi}] n ${n}`;
          await check(bes, {
            label,
            ins: [x],
            outs: [n],
            run: (be, [a], [o]) => be.unary(a, o, spec),
            tol,
          });
          await check(bes, {
            label: `${label} backward`,
            ins: [x, rnd(n, 8)],
            outs: [n],
            run: (be, [a, g], [o]) => be.unaryBackward({ x: a, dy: g, dx: o }, spec),
            tol,
          });
          await check(bes, {
            label: `${label} second`,
            ins: [x, rnd(n, 9), rnd(n, 10)],
            outs: [n],
            run: (be, [a, p, q], [o]) => be.unarySecond({ x: a, a: p, b: q, out: o }, spec),
            tol: { atol: 1e-6, rtol: 2e-4 },
          });
        }
      }
    }
  });
});

/** Row-major strides of `shape`, 0 where `full` broadcasts a size-1 dim of `shape`. */
function bstrides(shape: number[], full: number[]): number[] {
  const st = new Array(full.length).fill(0);
  for (let k = full.length - 1, s = 1; k >= 0; k--) {
    st[k] = shape[k] === 1 && full[k] !== 1 ? 0 : s;
    s *= shape[k];
  }
  return st;
}

Deno.test("wasm cpu: broadcast binary ops match reference", async () => {
  const cases: [number[], number[]][] = [
    [[1], [1]],
    [[37], [37]],
    [[5, 7], [1, 7]],
    [[5, 7], [5, 1]],
    [[1, 7], [5, 1]],
    [[2, 3, 4, 5], [1, 3, 1, 1]],
    [[2, 1, 4, 1, 3, 2], [1, 5, 4, 2, 1, 2]],
    [[256, 130], [1, 130]],
    [[64, 9, 70], [64, 1, 70]],
  ];
  await withBackends(async (bes) => {
    for (const op of ["add", "sub", "mul", "div", "bce_logits"] as const) {
      for (const [as, bs] of cases) {
        const full = as.map((a, i) => Math.max(a, bs[i]));
        const na = as.reduce((x, y) => x * y), nb = bs.reduce((x, y) => x * y);
        const total = full.reduce((x, y) => x * y);
        const b = op === "bce_logits" ? rnd(nb, 12, 0, 1) : rnd(nb, 12, 0.5, 2);
        await check(bes, {
          label: `${op} [${as}] ∘ [${bs}]`,
          ins: [rnd(na, 11, -4, 4), b],
          outs: [total],
          run: (be, [x, y], [o]) =>
            be.binary({ a: x, b: y, out: o }, {
              op,
              shape: full,
              aStrides: bstrides(as, full),
              bStrides: bstrides(bs, full),
            }),
        });
      }
    }
  });
});

Deno.test("wasm cpu: reduceSum and sumSquares match reference", async () => {
  await withBackends(async (bes) => {
    const shapes = [[1, 1, 1], [3, 5, 7], [1, 1000, 1], [17, 33, 1], [2, 9, 40], [64, 700, 1], [
      1,
      40,
      2000,
    ], [4, 3, 17]];
    for (const [outer, len, inner] of shapes) {
      for (const accumulate of [false, true]) {
        await check(bes, {
          label: `reduceSum ${outer}x${len}x${inner} acc ${accumulate}`,
          ins: [rnd(outer * len * inner, 13)],
          outs: [rnd(outer * inner, 14)],
          run: (be, [x], [o]) => be.reduceSum(x, o, { outer, len, inner, accumulate }),
          tol: { atol: 1e-5, rtol: 1e-4 * Math.sqrt(len) },
        });
      }
    }
    for (const n of [1, 37, 100_003]) {
      for (const acc of [false, true]) {
        await check(bes, {
          label: `sumSquares ${n} acc ${acc}`,
          ins: [rnd(n, 15)],
          outs: [[0.5, 7]],
          run: (be, [x], [o]) => be.sumSquares(x, o, { n, accumulate: acc }),
          tol: { atol: 1e-5, rtol: 1e-4 * Math.sqrt(n) },
        });
      }
    }
  });
});

Deno.test("wasm cpu: matmul matches reference for awkward shapes, transposes, accumulate", async () => {
  const shapes = [
    [1, 1, 1],
    [1, 7, 1],
    [5, 1, 3],
    [7, 13, 5],
    [4, 8, 8],
    [9, 17, 33],
    [
      129,
      257,
      65,
    ],
    [37, 400, 11],
    [3, 5, 900],
  ];
  await withBackends(async (bes) => {
    for (const [m, k, n] of shapes) {
      for (let flags = 0; flags < 8; flags++) {
        const spec = {
          m,
          k,
          n,
          transA: (flags & 1) !== 0,
          transB: (flags & 2) !== 0,
          accumulate: (flags & 4) !== 0,
        };
        await check(bes, {
          label: `matmul ${m}x${k} @ ${k}x${n} ${JSON.stringify(spec)}`,
          ins: [rnd(m * k, 16), rnd(k * n, 17)],
          outs: [spec.accumulate ? rnd(m * n, 18) : m * n],
          run: (be, [a, b], [o]) => be.matmul({ a, b, out: o }, spec),
          tol: { atol: 1e-5, rtol: 1e-4 * Math.sqrt(k) },
        });
      }
    }
  });
});

Deno.test("wasm cpu: permute matches reference", async () => {
  const cases: [number[], number[]][] = [
    [[2, 3, 4], [0, 1, 2]],
    [[2, 3, 4], [0, 2, 1]],
    [[2, 3, 4], [1, 0, 2]],
    [[2, 3, 4], [1, 2, 0]],
    [[2, 3, 4], [2, 0, 1]],
    [[2, 3, 4], [2, 1, 0]],
    [[2, 3, 1, 5, 2, 3], [4, 1, 5, 0, 3, 2]],
    [[64, 32, 49], [1, 0, 2]],
    [[257, 129], [1, 0]],
  ];
  await withBackends(async (bes) => {
    for (const [shape, perm] of cases) {
      const n = shape.reduce((a, b) => a * b);
      await check(bes, {
        label: `permute [${shape}] by [${perm}]`,
        ins: [rnd(n, 19)],
        outs: [n],
        run: (be, [x], [o]) => be.permute(x, o, { shape, perm }),
        tol: { atol: 0, rtol: 0 },
      });
    }
  });
});

Deno.test("wasm cpu: im2col and col2im match reference (stride 2, pad 1, 1x1, odd sizes)", async () => {
  const geoms = [
    { b: 2, c: 3, h: 7, w: 5, kh: 3, kw: 3, stride: 1, pad: 1 },
    { b: 2, c: 3, h: 8, w: 8, kh: 3, kw: 3, stride: 2, pad: 1 },
    { b: 3, c: 4, h: 5, w: 6, kh: 1, kw: 1, stride: 1, pad: 0 },
    { b: 1, c: 1, h: 5, w: 5, kh: 3, kw: 3, stride: 2, pad: 0 },
    { b: 3, c: 2, h: 9, w: 6, kh: 2, kw: 3, stride: 2, pad: 1 },
    { b: 1, c: 2, h: 3, w: 3, kh: 5, kw: 5, stride: 1, pad: 2 },
    { b: 16, c: 8, h: 14, w: 14, kh: 3, kw: 3, stride: 2, pad: 1 },
    { b: 2, c: 3, h: 11, w: 17, kh: 3, kw: 3, stride: 2, pad: 1 },
    { b: 2, c: 2, h: 20, w: 21, kh: 3, kw: 2, stride: 2, pad: 0 },
    { b: 2, c: 2, h: 9, w: 23, kh: 3, kw: 3, stride: 3, pad: 1 },
    // Output rows of 1, 2 and 3 floats: im2col's short rows store whole vectors past their end
    // (overwritten by the next row), except rows of one float, whose spill would leave the block.
    { b: 3, c: 2, h: 9, w: 2, kh: 3, kw: 3, stride: 2, pad: 1 },
    { b: 3, c: 2, h: 6, w: 1, kh: 3, kw: 1, stride: 1, pad: 1 },
    { b: 3, c: 2, h: 7, w: 4, kh: 3, kw: 3, stride: 2, pad: 1 },
    { b: 2, c: 3, h: 6, w: 3, kh: 3, kw: 3, stride: 1, pad: 1 },
    // A plane too large for the padded scratch copy: the bounds-checked path.
    { b: 1, c: 1, h: 515, w: 515, kh: 3, kw: 3, stride: 2, pad: 1 },
  ];
  await withBackends(async (bes) => {
    for (const g0 of geoms) {
      const oh = Math.floor((g0.h + 2 * g0.pad - g0.kh) / g0.stride) + 1;
      const ow = Math.floor((g0.w + 2 * g0.pad - g0.kw) / g0.stride) + 1;
      const g = { ...g0, oh, ow };
      const nx = g.b * g.c * g.h * g.w, ncol = g.c * g.kh * g.kw * g.b * oh * ow;
      await check(bes, {
        label: `im2col ${JSON.stringify(g)}`,
        ins: [rnd(nx, 20)],
        outs: [ncol],
        run: (be, [x], [o]) => be.im2col(x, o, g),
        tol: { atol: 0, rtol: 0 },
      });
      for (const acc of [false, true]) {
        await check(bes, {
          label: `col2im ${JSON.stringify(g)} acc ${acc}`,
          ins: [rnd(ncol, 21)],
          outs: [acc ? rnd(nx, 22) : nx],
          run: (be, [c], [o]) => be.col2im(c, o, { ...g, accumulate: acc }),
        });
      }
    }
  });
});

Deno.test("wasm cpu: normForward/normBackward (layer and group norm) match reference", async () => {
  const specs = [
    { rows: 1, cols: 1, groups: 1, chanInner: 1, eps: 1e-5 },
    { rows: 5, cols: 37, groups: 1, chanInner: 1, eps: 1e-5 },
    { rows: 6, cols: 30, groups: 2, chanInner: 10, eps: 1e-5 },
    { rows: 9, cols: 7, groups: 3, chanInner: 1, eps: 1e-5 },
    { rows: 8, cols: 49 * 8, groups: 4, chanInner: 49, eps: 1e-6 },
    { rows: 256, cols: 512, groups: 1, chanInner: 1, eps: 1e-5 },
  ];
  await withBackends(async (bes) => {
    for (const s of specs) {
      const n = s.rows * s.cols, nch = s.groups * s.cols / s.chanInner;
      const x = rnd(n, 23, -2, 3), gamma = rnd(nch, 24, 0.5, 1.5), beta = rnd(nch, 25);
      await check(bes, {
        label: `normForward ${JSON.stringify(s)}`,
        ins: [x, gamma, beta],
        outs: [n, s.rows, s.rows],
        run: (be, [x, gamma, beta], [y, mean, rstd]) =>
          be.normForward({ x, gamma, beta, y, mean, rstd }, s),
        tol: { atol: 1e-5, rtol: 1e-4 },
      });
      // Saved statistics from the reference, so the backward is checked on its own.
      const mean = new Float64Array(s.rows), rstd = new Float64Array(s.rows);
      for (let r = 0; r < s.rows; r++) {
        let m = 0, v = 0;
        for (let j = 0; j < s.cols; j++) m += x[r * s.cols + j];
        m /= s.cols;
        for (let j = 0; j < s.cols; j++) v += (x[r * s.cols + j] - m) ** 2;
        mean[r] = m;
        rstd[r] = 1 / Math.sqrt(v / s.cols + s.eps);
      }
      await check(bes, {
        label: `normBackward ${JSON.stringify(s)}`,
        ins: [x, gamma, mean, rstd, rnd(n, 26)],
        outs: [n, rnd(nch, 27), rnd(nch, 28)],
        run: (be, [x, gamma, mean, rstd, dy], [dx, dgamma, dbeta]) =>
          be.normBackward({ x, gamma, mean, rstd, dy, dx, dgamma, dbeta }, s),
        tol: { atol: 1e-5, rtol: 1e-4 * Math.sqrt(s.rows * s.cols / nch) },
      });
    }
  });
});

Deno.test("wasm cpu: logSoftmax and its backward match reference", async () => {
  await withBackends(async (bes) => {
    for (const [rows, cols] of [[1, 1], [7, 13], [300, 10], [3, 1001]]) {
      const n = rows * cols;
      const x = rnd(n, 29, -20, 20);
      await check(bes, {
        label: `logSoftmax ${rows}x${cols}`,
        ins: [x],
        outs: [n],
        run: (be, [a], [y]) => be.logSoftmax(a, y, { rows, cols }),
        tol: { atol: 1e-5, rtol: 1e-5 },
      });
      const y = new Float64Array(n);
      for (let r = 0; r < rows; r++) {
        let m = -Infinity, s = 0;
        for (let j = 0; j < cols; j++) m = Math.max(m, x[r * cols + j]);
        for (let j = 0; j < cols; j++) s += Math.exp(x[r * cols + j] - m);
        for (let j = 0; j < cols; j++) y[r * cols + j] = x[r * cols + j] - m - Math.log(s);
      }
      await check(bes, {
        label: `logSoftmaxBackward ${rows}x${cols}`,
        ins: [y, rnd(n, 30)],
        outs: [n],
        run: (be, [y, dy], [dx]) => be.logSoftmaxBackward({ y, dy, dx }, { rows, cols }),
        tol: { atol: 1e-5, rtol: 1e-4 * Math.sqrt(cols) },
      });
    }
  });
});

Deno.test("wasm cpu: timeEmbedding, adam, sdeUpdate, langevinUpdate match reference", async () => {
  await withBackends(async (bes) => {
    for (const [b, dim] of [[1, 2], [5, 8], [257, 128]]) {
      // t up to 1000: f32 inputs, f64 phases, so only output rounding remains.
      const t = Float64Array.from(rnd(b, 31, 0, 1000), (v) => Math.fround(v));
      await check(bes, {
        label: `timeEmbedding b ${b} dim ${dim}`,
        ins: [t],
        outs: [b * dim],
        run: (be, [tt], [o]) => be.timeEmbedding(tt, o, { b, dim, maxPeriod: 10_000, scale: 1 }),
      });
    }
    for (const n of [1, 37, 40_003]) {
      for (const [maxNorm, wd, normSq] of [[0, 0, 0], [1, 0.01, 30], [100, 0, 30]]) {
        const spec = {
          n,
          lr: 1e-3,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          weightDecay: wd,
          step: 3,
          maxNorm,
        };
        await check(bes, {
          label: `adam n ${n} ${JSON.stringify(spec)}`,
          ins: [rnd(n, 32), [normSq]],
          outs: [rnd(n, 33), rnd(n, 34, -0.1, 0.1), rnd(n, 35, 0, 0.01)],
          run: (be, [grad, ns], [param, m, v]) =>
            be.adam({ param, grad, m, v, normSq: maxNorm > 0 ? ns : null }, spec),
          tol: { atol: 1e-6, rtol: 1e-5 },
        });
      }
      await check(bes, {
        label: `sdeUpdate n ${n}`,
        ins: [rnd(n, 36), rnd(n, 37), rnd(n, 38)],
        outs: [n],
        run: (be, [z, s, noise], [out]) =>
          be.sdeUpdate({ z, s, noise, out }, { n, cz: 1.01, cs: 0.3, cn: -0.2 }),
      });
    }
    for (const [rows, cols] of [[1, 1], [5, 17], [300, 64]]) {
      const s = rnd(rows * cols, 40);
      for (let j = 0; j < cols; j++) s[j] = 0; // a row with ‖s‖ = 0: ε = 0
      await check(bes, {
        label: `langevinUpdate ${rows}x${cols}`,
        ins: [rnd(rows * cols, 39), s, rnd(rows * cols, 41)],
        outs: [rows * cols],
        run: (be, [z, s, noise], [out]) =>
          be.langevinUpdate({ z, s, noise, out }, { rows, cols, snr: 0.16, alpha: 0.9 }),
        tol: { atol: 1e-5, rtol: 1e-4 },
      });
    }
  });
});

Deno.test("wasm cpu: random matches engine/random.ts (uniform bit-exact, normal within 2e-6)", async () => {
  await withBackends(async (bes) => {
    for (const [n, offset] of [[1, 0], [37, 5], [40_001, 2 ** 32 - 7]]) {
      for (const seed of [0, 12345]) {
        await check(bes, {
          label: `uniform n ${n} offset ${offset} seed ${seed}`,
          ins: [],
          outs: [n],
          run: (be, _, [o]) => be.random(o, { n, dist: "uniform", seed, offset }),
          tol: { atol: 0, rtol: 0 },
        });
        await check(bes, {
          label: `normal n ${n} offset ${offset} seed ${seed}`,
          ins: [],
          outs: [n],
          run: (be, _, [o]) => be.random(o, { n, dist: "normal", seed, offset }),
          tol: { atol: 2e-6, rtol: 1e-5 },
        });
      }
    }
  });
});

Deno.test("wasm cpu: every thread runs on its own stack; heap reuses and grows", async () => {
  const be = await createWasmCpuBackend({ threads: 3 });
  try {
    const sp = be.probeStacks();
    assert.equal(sp.length, 3);
    assert.equal(new Set(sp).size, 3, `stack addresses ${sp}`);
    const sorted = [...sp].sort((a, b) => a - b);
    for (let i = 1; i < 3; i++) assert.ok(sorted[i] - sorted[i - 1] >= 64 * 1024, `${sorted}`);
    const a = be.alloc(1000);
    be.free(a);
    const b = be.alloc(1000);
    assert.equal((b as unknown as { ptr: number }).ptr, (a as unknown as { ptr: number }).ptr);
    assert.throws(() => be.free(a), /already freed/);
    const before = be.memoryBytes;
    const big = be.alloc(20_000_000);
    assert.ok(be.memoryBytes > before);
    be.fill(big, 3);
    be.write(b, [1, 2, 3]);
    assert.deepEqual(Array.from((await be.read(b)).subarray(0, 3)), [1, 2, 3]);
    const v = await be.read(big);
    assert.equal(v[19_999_999], 3);
    be.free(b);
    be.free(big);
    assert.equal(be.liveBuffers, 0);
  } finally {
    be.destroy();
  }
});

/** Losses of `steps` Adam steps of a tiny conv VAE and an MLP with layer norm on `be`. */
async function trainLosses(be: Backend, steps: number): Promise<number[]> {
  const init = new Init(be, 3);
  const vae = new ConvAutoencoder(init, [2, 9, 9], [4, 6], {
    variant: "vae",
    latent: 3,
    likelihood: "bernoulli",
    beta: 1,
    aeNoise: 0,
    aeZWeight: 0,
  });
  const l1 = new Linear(init, 5, 16), norm = new LayerNorm(init, 16), l2 = new Linear(init, 16, 5);
  const params = [
    ...vae.parameters(),
    ...l1.parameters(),
    ...norm.parameters(),
    ...l2.parameters(),
  ];
  const opt = new Adam(params, { lr: 3e-3, weightDecay: 0.01, maxGradNorm: 5 });
  const x = Tensor.from(be, rnd(3 * 2 * 9 * 9, 50, 0, 1), [3, 2, 9, 9]);
  const z = Tensor.from(be, rnd(7 * 5, 51), [7, 5]);
  const noise = new RandomStream(9);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const loss = tidy(() => {
      const a = vae.loss(x, noise).loss;
      const h = ops.silu(norm.forward(l1.forward(z)));
      const b = ops.mse(l2.forward(h), z);
      const l = ops.add(a, b);
      backward(l, params);
      return l;
    });
    opt.update();
    losses.push((await loss.data())[0]);
    loss.dispose();
  }
  for (const t of [x, z]) t.dispose();
  for (const p of params) p.grad?.dispose();
  vae.dispose(), l1.dispose(), norm.dispose(), l2.dispose(), opt.dispose();
  return losses;
}

Deno.test("wasm cpu: a short training run follows the reference's loss curve", async () => {
  const want = await trainLosses(new ReferenceBackend(), 6);
  assert.ok(want[5] < want[0], `reference loss decreases: ${want}`);
  await withBackends(async (bes) => {
    for (const be of bes) {
      const got = await trainLosses(be, 6);
      assertAllClose(got, want, {
        atol: 1e-4,
        rtol: 1e-4,
        label: `losses (threads ${be.threads})`,
      });
    }
  });
});

const WAT2WASM = commandRequirement("wat2wasm", "apt-get install wabt");

Deno.test(needing([WAT2WASM], {
  name: "wasm cpu: lib/cpu_fma.wasm is assembled from cpu/wat/micro_fma.wat",
  fn: async () => {
    const dir = new URL(".", import.meta.url).pathname;
    const out = await Deno.makeTempFile({ suffix: ".wasm" });
    try {
      const r = await new Deno.Command(WAT2WASM.path!, {
        args: [
          "--enable-threads",
          "--enable-relaxed-simd",
          `${dir}wat/micro_fma.wat`,
          "-o",
          out,
        ],
      }).output();
      assert.ok(r.success, new TextDecoder().decode(r.stderr));
      assert.deepEqual(await Deno.readFile(out), await Deno.readFile(`${dir}../lib/cpu_fma.wasm`));
    } finally {
      await Deno.remove(out);
    }
  },
}));

Deno.test("wasm cpu: spinMicros is checked when created and when set, naming the value", async () => {
  await assert.rejects(() => createWasmCpuBackend({ threads: 2, spinMicros: -1 }), {
    name: "RangeError",
    message:
      "Cannot create wasm backend: spinMicros must be an integer in [0, 1000000]: current value is -1",
  });
  const be = await createWasmCpuBackend({ threads: 2, spinMicros: 50 });
  try {
    assert.equal(be.spinMicros, 50);
    be.spinMicros = 0;
    assert.equal(be.spinMicros, 0);
    assert.throws(() => (be.spinMicros = 2.5), {
      name: "RangeError",
      message:
        /Cannot set spinMicros: spinMicros must be an integer in \[0, 1000000\]: current value is 2.5/,
    });
    assert.equal(be.spinMicros, 0);
  } finally {
    be.destroy();
  }
});
