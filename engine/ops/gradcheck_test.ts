/**
 * Every op's backward pass checked against central finite differences in f64 on the reference
 * backend, with llm.c's fake-loss trick: L = Σ out ⊙ R for a fixed random R.
 */
import { ReferenceBackend } from "../reference/backend.ts";
import { grad, noGrad, Tensor, tidy } from "../tensor.ts";
import { assertAllClose, randomArray } from "../testing.ts";
import * as ops from "./mod.ts";

const be = new ReferenceBackend();

/** Synchronous read of a reference-backend tensor (the reference stores f64 arrays). */
function refData(t: Tensor): Float64Array {
  return (t.buf as unknown as { data: Float64Array }).data.subarray(0, t.size);
}

/** Checks ∂(Σ f(xs) ⊙ R)/∂xs against central differences for every element of every input. */
function gradcheck(
  label: string,
  shapes: number[][],
  f: (xs: Tensor[]) => Tensor,
  opts: { lo?: number; hi?: number; h?: number; tol?: number; inputs?: (number[] | null)[] } = {},
): void {
  const h = opts.h ?? 1e-6, tol = opts.tol ?? 1e-6;
  const vals = shapes.map((s, i) =>
    opts.inputs?.[i] ? Float64Array.from(opts.inputs[i]!) : randomArray(
      s.reduce((a, b) => a * b, 1),
      100 + i,
      opts.lo ?? -1,
      opts.hi ?? 1,
    )
  );
  tidy(() => {
    const xs = vals.map((v, i) => Tensor.from(be, v, shapes[i]).requireGrad());
    const out = f(xs);
    const rd = randomArray(out.size, 7);
    const r = Tensor.from(be, rd, out.shape);
    const loss = ops.sumAll(ops.mul(out, r));
    const gs = grad(loss, xs);
    const lossAt = (i: number, j: number, delta: number) =>
      tidy(() =>
        noGrad(() => {
          const v = vals[i].slice();
          v[j] += delta;
          const o = refData(f(vals.map((w, k) => Tensor.from(be, k === i ? v : w, shapes[k]))));
          let s = 0;
          for (let q = 0; q < o.length; q++) s += o[q] * rd[q];
          return s;
        })
      );
    gs.forEach((g, i) => {
      const analytic = g ? refData(g) : new Float64Array(vals[i].length);
      const numeric = new Float64Array(vals[i].length);
      for (let j = 0; j < numeric.length; j++) {
        numeric[j] = (lossAt(i, j, h) - lossAt(i, j, -h)) / (2 * h);
      }
      assertAllClose(analytic, numeric, { atol: tol, rtol: 1e-5, label: `${label} input ${i}` });
    });
  });
}

const unaryOps = [
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

for (const op of unaryOps) {
  Deno.test(`${op}() backward matches finite differences`, () => {
    // Keep away from the kinks of relu/abs so the difference quotient is defined.
    const v = Array.from(randomArray(13, 3, 0.05, 3)).map((x, i) => (i % 2 ? x : -x));
    gradcheck(op, [[13]], ([x]) => ops.unary(op, x, 0.1), { inputs: [v] });
  });
}

Deno.test("log() and sqrt() backward match finite differences on positive inputs", () => {
  gradcheck("log", [[7]], ([x]) => ops.log(x), { lo: 0.2, hi: 3 });
  gradcheck("sqrt", [[7]], ([x]) => ops.sqrt(x), { lo: 0.2, hi: 3 });
});

for (const op of ["silu", "gelu", "tanh", "softplus", "sigmoid", "exp", "square"] as const) {
  Deno.test(`${op} jvp backward (second derivative) matches finite differences`, () => {
    gradcheck(`${op}_jvp`, [[9], [9]], ([x, v]) => ops.unaryJvp(op, x, v), { lo: -2, hi: 2 });
  });
}

Deno.test("add/sub/mul/div backward with broadcasting match finite differences", () => {
  const shapes = [[3, 1, 5], [4, 1]];
  gradcheck("add", shapes, ([a, b]) => ops.add(a, b));
  gradcheck("sub", shapes, ([a, b]) => ops.sub(a, b));
  gradcheck("mul", shapes, ([a, b]) => ops.mul(a, b));
  gradcheck("div", [[2, 3], [3]], ([a, b]) => ops.div(a, ops.affine(b, 1, 3)));
  gradcheck("bias", [[5, 7], [7]], ([a, b]) => ops.add(a, b));
  gradcheck("affine", [[6]], ([a]) => ops.affine(a, -2.5, 0.3));
});

Deno.test("bce_with_logits backward matches finite differences (both arguments)", () => {
  gradcheck("bce", [[4, 3], [4, 3]], ([x, t]) => ops.bceWithLogitsElementwise(x, t), {
    lo: -3,
    hi: 3,
  });
});

Deno.test("matmul backward matches finite differences for every transpose combination", () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const a = transA ? [5, 3] : [3, 5], b = transB ? [2, 5] : [5, 2];
      gradcheck(
        `matmul ${transA} ${transB}`,
        [a, b],
        ([x, y]) => ops.matmul(x, y, { transA, transB }),
      );
    }
  }
  gradcheck("linear", [[4, 3], [5, 3], [5]], ([x, w, b]) => ops.linear(x, w, b));
});

Deno.test("conv2d backward matches finite differences (stride 2, padding 1, odd sizes)", () => {
  gradcheck(
    "conv2d",
    [[2, 3, 5, 7], [4, 3, 3, 3], [4]],
    ([x, w, b]) => ops.conv2d(x, w, b, { stride: 2, padding: 1 }),
  );
  gradcheck(
    "conv2d 1x1",
    [[1, 2, 3, 3], [3, 2, 1, 1], [3]],
    ([x, w, b]) => ops.conv2d(x, w, b),
  );
});

Deno.test("conv_transpose2d backward matches finite differences (output padding 1)", () => {
  gradcheck(
    "conv_transpose2d",
    [[2, 3, 4, 3], [3, 2, 3, 3], [2]],
    ([x, w, b]) => ops.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }),
  );
});

Deno.test("conv_transpose2d is the adjoint of conv2d", () => {
  tidy(() => {
    const x = Tensor.from(be, randomArray(2 * 3 * 7 * 7, 1), [2, 3, 7, 7]);
    const w = Tensor.from(be, randomArray(4 * 3 * 3 * 3, 2), [4, 3, 3, 3]);
    const y = ops.conv2d(x, w, null, { stride: 2, padding: 1 }); // (2, 4, 4, 4)
    const r = Tensor.from(be, randomArray(y.size, 3), y.shape);
    const xt = ops.convTranspose2d(r, w, null, { stride: 2, padding: 1, outputPadding: 0 });
    const lhs = refData(ops.sumAll(ops.mul(y, r)))[0];
    const rhs = refData(ops.sumAll(ops.mul(x, xt)))[0];
    assertAllClose([lhs], [rhs], { atol: 1e-10, label: "<conv x, r> = <x, convT r>" });
  });
});

Deno.test("layer_norm and group_norm backward match finite differences", () => {
  gradcheck("layer_norm", [[3, 5], [5], [5]], ([x, g, b]) => ops.layerNorm(x, g, b));
  gradcheck("group_norm", [[2, 4, 3], [4], [4]], ([x, g, b]) => ops.groupNorm(x, 2, g, b));
});

Deno.test("log_softmax, cross-entropy, mse, KL backward match finite differences", () => {
  gradcheck("log_softmax", [[3, 4]], ([x]) => ops.logSoftmax(x), { lo: -3, hi: 3 });
  gradcheck("cross_entropy", [[3, 4]], ([x]) => {
    const onehot = Tensor.from(be, [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0], [3, 4]);
    return ops.crossEntropy(x, onehot);
  });
  gradcheck("mse", [[3, 4], [3, 4]], ([x, y]) => ops.mse(x, y, "sum_per_example"));
  gradcheck("kl", [[3, 2], [3, 2]], ([m, lv]) => ops.gaussianKl(m, lv));
  gradcheck(
    "bce sum",
    [[2, 3], [2, 3]],
    ([x, t]) => ops.bceWithLogits(x, t, "sum_per_example"),
  );
});

Deno.test("reductions, concat, slice, permute and time embedding backward match finite differences", () => {
  gradcheck("sum axis 1", [[2, 3, 4]], ([x]) => ops.sum(x, 1));
  gradcheck("mean axis 0", [[3, 2]], ([x]) => ops.mean(x, 0, true));
  gradcheck("concat", [[2, 3], [2, 1], [2, 2]], (xs) => ops.concat(xs, 1));
  gradcheck("slice", [[3, 5, 2]], ([x]) => ops.slice(x, 1, 1, 3));
  gradcheck("permute", [[2, 3, 4]], ([x]) => ops.permute(x, [2, 0, 1]));
  gradcheck("reshape", [[2, 6]], ([x]) => ops.reshape(x, [3, 4]));
  gradcheck("time_embedding", [[3]], ([t]) => ops.timeEmbedding(t, 6, 100, 2));
});

Deno.test("ops reject mismatched shapes with the op and shapes named", () => {
  tidy(() => {
    const a = Tensor.full(be, [2, 3], 1), b = Tensor.full(be, [4, 5], 1);
    let msg = "";
    try {
      ops.matmul(a, b);
    } catch (e) {
      msg = (e as Error).message;
    }
    if (!msg.includes("matmul") || !msg.includes("[2, 3]") || !msg.includes("[4, 5]")) {
      throw new Error(`unexpected message: ${msg}`);
    }
    try {
      ops.add(a, b);
      throw new Error("add accepted incompatible shapes");
    } catch (e) {
      if (!(e instanceof TypeError) || !e.message.includes("add")) throw e;
    }
  });
});
