/**
 * Op-level parity through the autograd tape: every differentiable op of engine/ops, forward and
 * backward, run on WebGpuBackend and on ReferenceBackend (f64) from the same f32 inputs, with
 * llm.c's fake loss L = Σ out ⊙ R for a fixed random R. This also checks that the ops layer never
 * hands the GPU kernels an aliasing it does not allow (WebGPU would raise a validation error,
 * which the backend turns into DeviceLostError). Shapes are awkward (odd, prime, size 1).
 * Tolerances: forward atol 1e-5, rtol 1e-4; gradients atol 1e-4, rtol 1e-3 (STYLE §7).
 */

import type { Backend } from "../engine/backend.ts";
import * as ops from "../engine/ops/mod.ts";
import { ReferenceBackend } from "../engine/reference/backend.ts";
import { grad, Tensor, tidy } from "../engine/tensor.ts";
import { assertAllClose } from "../engine/testing.ts";
import { f32Values, gpuTest, tryCreateGpu } from "./_test_utils.ts";

const gpu = await tryCreateGpu();
const ref = new ReferenceBackend();

type OpFn = (xs: Tensor[], be: Backend) => Tensor;

/** Runs f and ∂(Σ f ⊙ R)/∂xs on one backend; returns host copies. */
async function runOn(
  be: Backend,
  inputs: Float32Array[],
  shapes: number[][],
  f: OpFn,
): Promise<Float32Array[] | Float64Array[]> {
  const kept = tidy(() => {
    const xs = inputs.map((v, i) => Tensor.from(be, v, shapes[i]).requireGrad());
    const out = f(xs, be);
    const r = Tensor.from(be, f32Values(out.size, 7), out.shape);
    const loss = ops.sumAll(ops.mul(out, r));
    const gs = grad(loss, xs);
    return [out, ...gs.map((g, i) => g ?? Tensor.full(be, shapes[i], 0))];
  });
  const data = [];
  for (const t of kept) data.push(Float64Array.from(await t.data()));
  for (const t of kept) t.dispose();
  return data;
}

async function parity(
  label: string,
  shapes: number[][],
  f: OpFn,
  opts: { lo?: number; hi?: number; inputs?: (number[] | null)[] } = {},
): Promise<void> {
  const inputs = shapes.map((s, i) =>
    opts.inputs?.[i]
      ? Float32Array.from(opts.inputs[i]!)
      : f32Values(s.reduce((a, b) => a * b, 1), 100 + i, opts.lo ?? -1, opts.hi ?? 1)
  );
  const g = await runOn(gpu!, inputs, shapes, f);
  const r = await runOn(ref, inputs, shapes, f);
  assertAllClose(g[0], r[0], { atol: 1e-5, rtol: 1e-4, label: `${label} forward` });
  for (let i = 1; i < g.length; i++) {
    assertAllClose(g[i], r[i], { atol: 1e-4, rtol: 1e-3, label: `${label} d input ${i - 1}` });
  }
}

const UNARY = [
  "exp",
  "square",
  "abs",
  "relu",
  "leaky_relu",
  "silu",
  "gelu",
  "sigmoid",
  "tanh",
  "softplus",
  "neg",
] as const;

Deno.test(gpuTest(gpu, {
  name: "unary ops and their jvp match the reference forward and backward on WebGPU",
  fn: async () => {
    for (const op of UNARY) {
      await parity(op, [[13]], ([x]) => ops.unary(op, x, 0.1), { lo: -3, hi: 3 });
      await parity(`${op} jvp`, [[9], [9]], ([x, v]) => ops.unaryJvp(op, x, v), { lo: -2, hi: 2 });
    }
    await parity("log", [[7]], ([x]) => ops.log(x), { lo: 0.2, hi: 3 });
    await parity("sqrt", [[7]], ([x]) => ops.sqrt(x), { lo: 0.2, hi: 3 });
  },
}));

Deno.test(gpuTest(gpu, {
  name: "broadcast add/sub/mul/div, affine and bce match the reference on WebGPU",
  fn: async () => {
    const shapes = [[3, 1, 5], [4, 1]];
    await parity("add", shapes, ([a, b]) => ops.add(a, b));
    await parity("sub", shapes, ([a, b]) => ops.sub(a, b));
    await parity("mul", shapes, ([a, b]) => ops.mul(a, b));
    await parity("div", [[2, 3], [3]], ([a, b]) => ops.div(a, ops.affine(b, 1, 3)));
    await parity("bias", [[5, 7], [7]], ([a, b]) => ops.add(a, b));
    await parity("affine", [[6]], ([a]) => ops.affine(a, -2.5, 0.3));
    await parity("bce", [[4, 3], [4, 3]], ([x, t]) => ops.bceWithLogitsElementwise(x, t));
  },
}));

Deno.test(gpuTest(gpu, {
  name:
    "matmul (every transpose), linear, conv2d and conv_transpose2d match the reference on WebGPU",
  fn: async () => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = transA ? [13, 7] : [7, 13], b = transB ? [5, 13] : [13, 5];
        await parity(
          `matmul ${transA} ${transB}`,
          [a, b],
          ([x, y]) => ops.matmul(x, y, { transA, transB }),
        );
      }
    }
    await parity("linear", [[4, 12], [8, 12], [8]], ([x, w, b]) => ops.linear(x, w, b));
    await parity("linear odd", [[5, 3], [7, 3], [7]], ([x, w, b]) => ops.linear(x, w, b));
    await parity(
      "conv2d",
      [[2, 3, 7, 5], [4, 3, 3, 3], [4]],
      ([x, w, b]) => ops.conv2d(x, w, b, { stride: 2, padding: 1 }),
    );
    await parity(
      "conv2d 1x1",
      [[1, 2, 3, 3], [3, 2, 1, 1], [3]],
      ([x, w, b]) => ops.conv2d(x, w, b),
    );
    await parity(
      "conv_transpose2d",
      [[2, 3, 4, 3], [3, 2, 3, 3], [2]],
      ([x, w, b]) => ops.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }),
    );
  },
}));

Deno.test(gpuTest(gpu, {
  name: "norms, losses, reductions and shape ops match the reference on WebGPU",
  fn: async () => {
    await parity("layer_norm", [[3, 5], [5], [5]], ([x, g, b]) => ops.layerNorm(x, g, b));
    await parity("group_norm", [[2, 6, 5], [6], [6]], ([x, g, b]) => ops.groupNorm(x, 3, g, b));
    await parity("log_softmax", [[3, 7]], ([x]) => ops.logSoftmax(x), { lo: -3, hi: 3 });
    await parity("cross_entropy", [[3, 4]], ([x], be) => {
      const onehot = Tensor.from(be, [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0], [3, 4]);
      return ops.crossEntropy(x, onehot);
    });
    await parity("mse", [[3, 4], [3, 4]], ([x, y]) => ops.mse(x, y, "sum_per_example"));
    await parity("kl", [[3, 2], [3, 2]], ([m, lv]) => ops.gaussianKl(m, lv));
    await parity(
      "bce sum",
      [[2, 3], [2, 3]],
      ([x, t]) => ops.bceWithLogits(x, t, "sum_per_example"),
    );
    await parity("sum axis 1", [[2, 3, 4]], ([x]) => ops.sum(x, 1));
    await parity("mean axis 0", [[3, 2]], ([x]) => ops.mean(x, 0, true));
    await parity("concat", [[2, 3], [2, 1], [2, 2]], (xs) => ops.concat(xs, 1));
    await parity("slice", [[3, 5, 2]], ([x]) => ops.slice(x, 1, 1, 3));
    await parity("permute", [[2, 3, 4]], ([x]) => ops.permute(x, [2, 0, 1]));
    await parity("reshape", [[2, 6]], ([x]) => ops.reshape(x, [3, 4]));
    await parity("time_embedding", [[3]], ([t]) => ops.timeEmbedding(t, 6, 100, 2));
  },
}));
