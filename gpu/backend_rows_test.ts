/**
 * Parity of the row-wise and update kernels of WebGpuBackend with ReferenceBackend (f64):
 * normForward/normBackward (layer norm and group norm with several groups), logSoftmax and its
 * backward, timeEmbedding, adam (with and without clipping, weight decay), langevinUpdate, and
 * random (u32 stream bit-exact: uniform samples equal exactly; normal within f32 rounding).
 * Tolerances: reductions atol 1e-5, rtol 1e-4 (STYLE §7 scaled for row lengths ≤ 300);
 * gradients atol 1e-4, rtol 1e-3 (tinygrad defaults).
 */

import type { NormSpec } from "../engine/backend.ts";
import { gpuTest, tryCreateGpu, withPair } from "./_test_utils.ts";

const gpu = await tryCreateGpu();

const NORMS: { label: string; spec: NormSpec }[] = [
  { label: "layer norm (5, 37)", spec: { rows: 5, cols: 37, groups: 1, chanInner: 1, eps: 1e-5 } },
  { label: "layer norm (1, 1)", spec: { rows: 1, cols: 1, groups: 1, chanInner: 1, eps: 1e-5 } },
  // group norm on (B=3, C=6, HW=7·5) with G=3 groups: rows = B·G, cols = (C/G)·HW
  {
    label: "group norm B3 C6 HW35 G3",
    spec: { rows: 9, cols: 70, groups: 3, chanInner: 35, eps: 1e-5 },
  },
  // group norm with one channel per group and HW = 1
  {
    label: "group norm B2 C4 HW1 G4",
    spec: { rows: 8, cols: 1, groups: 4, chanInner: 1, eps: 1e-3 },
  },
  // long rows (several strides of the workgroup)
  {
    label: "layer norm (2, 300)",
    spec: { rows: 2, cols: 300, groups: 1, chanInner: 1, eps: 1e-5 },
  },
];

Deno.test(gpuTest(gpu, {
  name: "normForward() and normBackward() match reference for layer norm and group norm",
  fn: () =>
    withPair(gpu!, async (p) => {
      let seed = 700;
      for (const { label, spec } of NORMS) {
        const n = spec.rows * spec.cols;
        const channels = spec.groups * (spec.cols / spec.chanInner);
        const x = p.random(n, seed++, -2, 3);
        const gamma = p.random(channels, seed++, 0.5, 1.5);
        const beta = p.random(channels, seed++);
        const y = p.output(n), mean = p.output(spec.rows), rstd = p.output(spec.rows);
        for (const be of ["gpu", "ref"] as const) {
          const k = be === "gpu" ? p.gpu : p.ref;
          const bufs = { x: x[be], gamma: gamma[be], beta: beta[be], y: y[be] };
          k.normForward({ ...bufs, mean: mean[be], rstd: rstd[be] }, spec);
        }
        const tol = { atol: 1e-5, rtol: 1e-4 };
        await p.check(y, { ...tol, label: `${label} y` });
        await p.check(mean, { ...tol, label: `${label} mean` });
        await p.check(rstd, { ...tol, label: `${label} rstd` });
        const dy = p.random(n, seed++);
        const dx = p.output(n);
        const dgamma = p.random(channels, seed++), dbeta = p.random(channels, seed++);
        for (const be of ["gpu", "ref"] as const) {
          const k = be === "gpu" ? p.gpu : p.ref;
          k.normBackward({
            x: x[be],
            gamma: gamma[be],
            mean: mean[be],
            rstd: rstd[be],
            dy: dy[be],
            dx: dx[be],
            dgamma: dgamma[be],
            dbeta: dbeta[be],
          }, spec);
        }
        const gtol = { atol: 1e-4, rtol: 1e-3 };
        await p.check(dx, { ...gtol, label: `${label} dx` });
        await p.check(dgamma, { ...gtol, label: `${label} dgamma` });
        await p.check(dbeta, { ...gtol, label: `${label} dbeta` });
      }
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "logSoftmax() and logSoftmaxBackward() match reference for (7, 10), (1, 1), (3, 257)",
  fn: () =>
    withPair(gpu!, async (p) => {
      let seed = 800;
      for (const [rows, cols, scale] of [[7, 10, 5], [1, 1, 1], [3, 257, 30]]) {
        const x = p.random(rows * cols, seed++, -scale, scale);
        const y = p.output(rows * cols);
        p.gpu.logSoftmax(x.gpu, y.gpu, { rows, cols });
        p.ref.logSoftmax(x.ref, y.ref, { rows, cols });
        await p.check(y, { atol: 1e-5, rtol: 1e-5, label: `logSoftmax ${rows}x${cols}` });
        const dy = p.random(rows * cols, seed++);
        const dx = p.output(rows * cols);
        p.gpu.logSoftmaxBackward({ y: y.gpu, dy: dy.gpu, dx: dx.gpu }, { rows, cols });
        p.ref.logSoftmaxBackward({ y: y.ref, dy: dy.ref, dx: dx.ref }, { rows, cols });
        await p.check(dx, { atol: 1e-4, rtol: 1e-3, label: `logSoftmaxBackward ${rows}x${cols}` });
      }
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "timeEmbedding() matches reference for t in [0, 1] and in [0, 1000]",
  fn: () =>
    withPair(gpu!, async (p) => {
      for (const [b, dim, tmax, scale] of [[5, 16, 1, 1000], [3, 2, 1000, 1], [1, 34, 1, 10]]) {
        const t = p.random(b, 900 + dim, 0, tmax);
        const out = p.output(b * dim);
        const spec = { b, dim, maxPeriod: 10000, scale };
        p.gpu.timeEmbedding(t.gpu, out.gpu, spec);
        p.ref.timeEmbedding(t.ref, out.ref, spec);
        // sin/cos of arguments up to 1000 in f32: the argument itself carries ~6e-5 rounding.
        await p.check(out, { atol: 3e-4, rtol: 0, label: `timeEmbedding b=${b} dim=${dim}` });
      }
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "adam() matches reference: Adam, AdamW, clipping active and inactive, step 1 and 7",
  fn: () =>
    withPair(gpu!, async (p) => {
      const n = 333;
      let seed = 1000;
      const specs = [
        { n, lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1, maxNorm: 0 },
        { n, lr: 3e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, step: 7, maxNorm: 1 },
        { n, lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 2, maxNorm: 1e3 },
      ];
      for (const spec of specs) {
        const param = p.random(n, seed++), grad = p.random(n, seed++);
        const m = p.random(n, seed++, -0.1, 0.1), v = p.random(n, seed++, 0, 0.01);
        const normSq = p.input([37.5]);
        for (const be of ["gpu", "ref"] as const) {
          const k = be === "gpu" ? p.gpu : p.ref;
          const moments = { m: m[be], v: v[be] };
          const clip = spec.maxNorm > 0 ? normSq[be] : null;
          k.adam({ param: param[be], grad: grad[be], ...moments, normSq: clip }, spec);
        }
        const label = JSON.stringify(spec);
        await p.check(m, { atol: 1e-6, rtol: 1e-5, label: `adam m ${label}` });
        await p.check(v, { atol: 1e-7, rtol: 1e-5, label: `adam v ${label}` });
        await p.check(param, { atol: 1e-6, rtol: 1e-5, label: `adam param ${label}` });
      }
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "langevinUpdate() matches reference, including a zero-score row and in place",
  fn: () =>
    withPair(gpu!, async (p) => {
      const rows = 5, cols = 97;
      const z = p.random(rows * cols, 1100);
      const s = p.random(rows * cols, 1101);
      const zeroRow = new Float32Array(cols);
      p.gpu.write(s.gpu, zeroRow, 2 * cols);
      p.ref.write(s.ref, zeroRow, 2 * cols);
      const e = p.random(rows * cols, 1102);
      const out = p.output(rows * cols);
      const c = { rows, cols, snr: 0.16, alpha: 0.9 };
      p.gpu.langevinUpdate({ z: z.gpu, s: s.gpu, noise: e.gpu, out: out.gpu }, c);
      p.ref.langevinUpdate({ z: z.ref, s: s.ref, noise: e.ref, out: out.ref }, c);
      p.gpu.langevinUpdate({ z: z.gpu, s: s.gpu, noise: e.gpu, out: z.gpu }, c);
      p.ref.langevinUpdate({ z: z.ref, s: s.ref, noise: e.ref, out: z.ref }, c);
      await p.check(out, { atol: 1e-5, rtol: 1e-4, label: "langevinUpdate" });
      await p.check(z, { atol: 1e-5, rtol: 1e-4, label: "langevinUpdate in place" });
    }),
}));

Deno.test(gpuTest(gpu, {
  name: "random() reproduces engine/random.ts: uniform exactly, normal within f32 rounding",
  fn: () =>
    withPair(gpu!, async (p) => {
      for (const [seed, offset, n] of [[1, 0, 1001], [123456789, 4294967290, 13], [0, 77, 1]]) {
        const u = p.output(n), z = p.output(n);
        for (const be of ["gpu", "ref"] as const) {
          const k = be === "gpu" ? p.gpu : p.ref;
          k.random(u[be], { n, dist: "uniform", seed, offset });
          k.random(z[be], { n, dist: "normal", seed, offset });
        }
        await p.check(u, { atol: 0, rtol: 0, label: `uniform seed=${seed} offset=${offset}` });
        await p.check(z, { atol: 2e-5, rtol: 1e-5, label: `normal seed=${seed} offset=${offset}` });
      }
    }),
}));
