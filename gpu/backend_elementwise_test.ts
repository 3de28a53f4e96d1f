/**
 * Parity of the elementwise kernels of WebGpuBackend with ReferenceBackend (f64): fill, affine,
 * copyBlocks, unary/unaryBackward/unarySecond for every op (including large magnitudes), binary
 * with broadcasting, permute, sdeUpdate. Tolerances (STYLE §7): elementwise atol 1e-6, rtol 1e-4,
 * loosened where f32 transcendentals are involved and stated per case.
 */

import type { UnaryOp } from "../engine/backend.ts";
import { gpuTest, tryCreateGpu, withPair } from "./_test_utils.ts";

const gpu = await tryCreateGpu();

const ALL_UNARY: UnaryOp[] = [
  "neg",
  "exp",
  "log",
  "sqrt",
  "square",
  "abs",
  "relu",
  "leaky_relu",
  "silu",
  "gelu",
  "sigmoid",
  "tanh",
  "softplus",
];

/** Input range per op: log and sqrt need positive inputs. */
function range(op: UnaryOp): [number, number] {
  return op === "log" || op === "sqrt" ? [0.05, 4] : [-4, 4];
}

Deno.test(gpuTest(gpu, {
  name: "fill() writes n values and leaves the rest",
  fn: () =>
    withPair(gpu!, async (p) => {
      const out = p.random(37, 1);
      p.gpu.fill(out.gpu, 2.5, 23);
      p.ref.fill(out.ref, 2.5, 23);
      await p.check(out, { atol: 0, rtol: 0, label: "fill" });
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "affine() matches reference, in place and out of place, n = 1 and 1001",
  fn: () =>
    withPair(gpu!, async (p) => {
      for (const n of [1, 1001]) {
        const x = p.random(n, 2);
        const out = p.output(n);
        p.gpu.affine(x.gpu, out.gpu, { n, scale: -1.5, shift: 0.25 });
        p.ref.affine(x.ref, out.ref, { n, scale: -1.5, shift: 0.25 });
        p.gpu.affine(x.gpu, x.gpu, { n, scale: 3, shift: -1 });
        p.ref.affine(x.ref, x.ref, { n, scale: 3, shift: -1 });
        await p.check(out, { atol: 1e-6, rtol: 1e-6, label: `affine n=${n}` });
        await p.check(x, { atol: 1e-6, rtol: 1e-6, label: `affine in place n=${n}` });
      }
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "copyBlocks() matches reference with offsets, strides and accumulate",
  fn: () =>
    withPair(gpu!, async (p) => {
      const src = p.random(7 * 13 + 5, 3);
      for (const accumulate of [false, true]) {
        const dst = p.input(new Float32Array(7 * 17 + 3).fill(0.5));
        const spec = {
          outer: 7,
          inner: 11,
          srcStride: 13,
          dstStride: 17,
          srcOffset: 5,
          dstOffset: 3,
          accumulate,
        };
        p.gpu.copyBlocks(src.gpu, dst.gpu, spec);
        p.ref.copyBlocks(src.ref, dst.ref, spec);
        await p.check(dst, { atol: 1e-7, rtol: 0, label: `copyBlocks acc=${accumulate}` });
      }
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "unary(), unaryBackward(), unarySecond() match reference for every op on 1031 values",
  fn: () =>
    withPair(gpu!, async (p) => {
      const n = 1031;
      for (const op of ALL_UNARY) {
        const [lo, hi] = range(op);
        const x = p.random(n, 10, lo, hi);
        const a = p.random(n, 11);
        const b = p.random(n, 12);
        const y = p.output(n), dx = p.output(n), d2 = p.output(n);
        const spec = { op, n, alpha: 0.1 };
        for (const be of ["gpu", "ref"] as const) {
          const k = be === "gpu" ? p.gpu : p.ref;
          k.unary(x[be], y[be], spec);
          k.unaryBackward({ x: x[be], dy: a[be], dx: dx[be] }, spec);
          k.unarySecond({ x: x[be], a: a[be], b: b[be], out: d2[be] }, spec);
        }
        // f32 exp/log/tanh on llvmpipe: a few ulp, so rtol 1e-5 on top of STYLE's 1e-6/1e-4.
        const tol = { atol: 2e-6, rtol: 1e-4 };
        await p.check(y, { ...tol, label: `${op} forward` });
        await p.check(dx, { ...tol, label: `${op} backward` });
        await p.check(d2, { atol: 1e-5, rtol: 1e-4, label: `${op} second` });
      }
    }),
}));

Deno.test(gpuTest(gpu, {
  name:
    "unary() stays finite and matches reference at large magnitudes (gelu/tanh/... at ±300..400)",
  fn: () =>
    withPair(gpu!, async (p) => {
      const n = 64;
      const xs = Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (300 + (100 * i) / n));
      const x = p.input(xs);
      for (const op of ["gelu", "silu", "sigmoid", "tanh", "softplus", "relu"] as UnaryOp[]) {
        const y = p.output(n), dx = p.output(n), d2 = p.output(n);
        const a = p.input(new Float32Array(n).fill(1));
        for (const be of ["gpu", "ref"] as const) {
          const k = be === "gpu" ? p.gpu : p.ref;
          k.unary(x[be], y[be], { op, n });
          k.unaryBackward({ x: x[be], dy: a[be], dx: dx[be] }, { op, n });
          k.unarySecond({ x: x[be], a: a[be], b: a[be], out: d2[be] }, { op, n });
        }
        await p.check(y, { atol: 1e-6, rtol: 1e-5, label: `${op} large forward` });
        await p.check(dx, { atol: 1e-6, rtol: 1e-5, label: `${op} large backward` });
        await p.check(d2, { atol: 1e-6, rtol: 1e-5, label: `${op} large second` });
      }
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "binary() matches reference with broadcasting: (5,1,7) ∘ (3,1), scalar, rank 6",
  fn: () =>
    withPair(gpu!, async (p) => {
      const cases = [
        // a (5,1,7) ∘ b (3,1) → (5,3,7)
        { shape: [5, 3, 7], aStrides: [7, 0, 1], bStrides: [0, 1, 0], na: 35, nb: 3 },
        // a (13) ∘ scalar b
        { shape: [13], aStrides: [1], bStrides: [0], na: 13, nb: 1 },
        // rank 6, b transposed-ish strides
        {
          shape: [2, 1, 3, 2, 1, 5],
          aStrides: [30, 30, 10, 5, 5, 1],
          bStrides: [0, 0, 1, 3, 0, 6],
          na: 60,
          nb: 30,
        },
      ];
      for (const op of ["add", "sub", "mul", "div", "bce_logits"] as const) {
        for (const [ci, c] of cases.entries()) {
          const a = p.random(c.na, 20 + ci, -3, 3);
          const b = op === "div" ? p.random(c.nb, 30 + ci, 0.5, 2) : p.random(c.nb, 30 + ci);
          const n = c.shape.reduce((x, y) => x * y, 1);
          const out = p.output(n);
          p.gpu.binary({ a: a.gpu, b: b.gpu, out: out.gpu }, { op, ...c });
          p.ref.binary({ a: a.ref, b: b.ref, out: out.ref }, { op, ...c });
          await p.check(out, { atol: 1e-6, rtol: 1e-5, label: `binary ${op} case ${ci}` });
        }
      }
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "permute() matches reference: transposes, rank 1 and 6, trailing axes kept in place",
  fn: () =>
    withPair(gpu!, async (p) => {
      const cases: [number[], number[]][] = [
        [[45, 65], [1, 0]],
        [[2, 3, 5, 7], [3, 0, 2, 1]],
        [[11], [0]],
        [[2, 1, 3, 1, 2, 3], [5, 4, 3, 2, 1, 0]],
        // Trailing axes in place (the row entry point): conv reorders, runs of 16 and 20.
        [[16, 32, 196], [1, 0, 2]],
        [[3, 5, 16], [1, 0, 2]],
        [[2, 3, 4, 17], [2, 0, 1, 3]],
        [[2, 2, 2, 20], [1, 0, 2, 3]],
        [[3, 7, 40], [0, 1, 2]], // identity
        [[70001, 1, 16], [1, 0, 2]], // more rows than one grid dimension holds
      ];
      for (const [shape, perm] of cases) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = p.random(n, 40);
        const out = p.output(n);
        p.gpu.permute(x.gpu, out.gpu, { shape, perm });
        p.ref.permute(x.ref, out.ref, { shape, perm });
        await p.check(out, { atol: 0, rtol: 0, label: `permute ${shape} by ${perm}` });
      }
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "sdeUpdate() matches reference, in place (out = z) and out of place",
  fn: () =>
    withPair(gpu!, async (p) => {
      const n = 257;
      const z = p.random(n, 50), s = p.random(n, 51), e = p.random(n, 52);
      const out = p.output(n);
      const c = { n, cz: 0.9, cs: -0.3, cn: 0.05 };
      p.gpu.sdeUpdate({ z: z.gpu, s: s.gpu, noise: e.gpu, out: out.gpu }, c);
      p.ref.sdeUpdate({ z: z.ref, s: s.ref, noise: e.ref, out: out.ref }, c);
      p.gpu.sdeUpdate({ z: z.gpu, s: s.gpu, noise: e.gpu, out: z.gpu }, c);
      p.ref.sdeUpdate({ z: z.ref, s: s.ref, noise: e.ref, out: z.ref }, c);
      await p.check(out, { atol: 1e-6, rtol: 1e-5, label: "sdeUpdate" });
      await p.check(z, { atol: 1e-6, rtol: 1e-5, label: "sdeUpdate in place" });
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "kernels with n = 0 record nothing and leave buffers unchanged",
  fn: () =>
    withPair(gpu!, async (p) => {
      const x = p.random(4, 60);
      const before = gpu!.recorder.dispatches;
      p.gpu.fill(x.gpu, 7, 0);
      p.gpu.affine(x.gpu, x.gpu, { n: 0, scale: 2, shift: 1 });
      p.gpu.unary(x.gpu, x.gpu, { op: "exp", n: 0 });
      if (gpu!.recorder.dispatches !== before) throw new Error("n = 0 recorded a dispatch");
      await p.check(x, { atol: 0, rtol: 0, label: "unchanged" });
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "in-place calls (out is also a read input) match the reference instead of failing",
  fn: () =>
    withPair(gpu!, async (p) => {
      const n = 101;
      const x = p.random(n, 70, 0.1, 2), dy = p.random(n, 71), b = p.random(n, 72);
      const before = gpu!.pool.bytesInUse;
      for (const be of ["gpu", "ref"] as const) {
        const k = be === "gpu" ? p.gpu : p.ref;
        k.unary(x[be], x[be], { op: "log", n }); // x = log(x)
        k.unaryBackward({ x: x[be], dy: dy[be], dx: dy[be] }, { op: "tanh", n }); // dy = dy · tanh′(x)
        const spec = { op: "mul" as const, shape: [n], aStrides: [1], bStrides: [1] };
        k.binary({ a: b[be], b: x[be], out: b[be] }, spec); // b = b · x
        k.logSoftmax(x[be], x[be], { rows: 1, cols: n }); // row-wise, in place
      }
      await p.check(x, { atol: 1e-5, rtol: 1e-4, label: "in place log + logSoftmax" });
      await p.check(dy, { atol: 1e-6, rtol: 1e-4, label: "in place unaryBackward" });
      await p.check(b, { atol: 1e-6, rtol: 1e-4, label: "in place binary" });
      if (gpu!.pool.bytesInUse !== before) throw new Error("alias snapshots were not released");
    }),
}));
