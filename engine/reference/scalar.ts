/**
 * Scalar definitions of the elementwise functions, with their first and second derivatives.
 * The reference backend applies these in f64; every other backend must agree with them.
 */
import type { BinaryOp, UnaryOp } from "../backend.ts";

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** f(x). */
export function unaryF(op: UnaryOp, x: number, alpha = 0): number {
  switch (op) {
    case "neg":
      return -x;
    case "exp":
      return Math.exp(x);
    case "log":
      return Math.log(x);
    case "sqrt":
      return Math.sqrt(x);
    case "square":
      return x * x;
    case "abs":
      return Math.abs(x);
    case "relu":
      return x > 0 ? x : 0;
    case "leaky_relu":
      return x > 0 ? x : alpha * x;
    case "silu":
      return x * sigmoid(x);
    case "gelu":
      return 0.5 * x * (1 + Math.tanh(GELU_C * (x + GELU_A * x * x * x)));
    case "sigmoid":
      return sigmoid(x);
    case "tanh":
      return Math.tanh(x);
    case "softplus":
      return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }
}

/** f′(x); at the kink of relu/leaky_relu/abs the right derivative is used for x > 0 only. */
export function unaryD1(op: UnaryOp, x: number, alpha = 0): number {
  switch (op) {
    case "neg":
      return -1;
    case "exp":
      return Math.exp(x);
    case "log":
      return 1 / x;
    case "sqrt":
      return 0.5 / Math.sqrt(x);
    case "square":
      return 2 * x;
    case "abs":
      return x > 0 ? 1 : x < 0 ? -1 : 0;
    case "relu":
      return x > 0 ? 1 : 0;
    case "leaky_relu":
      return x > 0 ? 1 : alpha;
    case "silu": {
      const s = sigmoid(x);
      return s * (1 + x * (1 - s));
    }
    case "gelu": {
      const u = GELU_C * (x + GELU_A * x * x * x);
      const th = Math.tanh(u);
      const du = GELU_C * (1 + 3 * GELU_A * x * x);
      return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * du;
    }
    case "sigmoid": {
      const s = sigmoid(x);
      return s * (1 - s);
    }
    case "tanh": {
      const t = Math.tanh(x);
      return 1 - t * t;
    }
    case "softplus":
      return sigmoid(x);
  }
}

/** f″(x); 0 for piecewise-linear functions. */
export function unaryD2(op: UnaryOp, x: number, _alpha = 0): number {
  switch (op) {
    case "neg":
    case "abs":
    case "relu":
    case "leaky_relu":
      return 0;
    case "exp":
      return Math.exp(x);
    case "log":
      return -1 / (x * x);
    case "sqrt":
      return -0.25 / (x * Math.sqrt(x));
    case "square":
      return 2;
    case "silu": {
      const s = sigmoid(x);
      return s * (1 - s) * (2 + x * (1 - 2 * s));
    }
    case "gelu": {
      const u = GELU_C * (x + GELU_A * x * x * x);
      const th = Math.tanh(u);
      const sech2 = 1 - th * th;
      const du = GELU_C * (1 + 3 * GELU_A * x * x);
      const ddu = GELU_C * 6 * GELU_A * x;
      return sech2 * du + 0.5 * x * (-2 * th * sech2 * du * du + sech2 * ddu);
    }
    case "sigmoid": {
      const s = sigmoid(x);
      return s * (1 - s) * (1 - 2 * s);
    }
    case "tanh": {
      const t = Math.tanh(x);
      return -2 * t * (1 - t * t);
    }
    case "softplus": {
      const s = sigmoid(x);
      return s * (1 - s);
    }
  }
}

/** a ∘ b. */
export function binaryF(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case "add":
      return a + b;
    case "sub":
      return a - b;
    case "mul":
      return a * b;
    case "div":
      return a / b;
    case "bce_logits":
      return Math.max(a, 0) - a * b + Math.log1p(Math.exp(-Math.abs(a)));
  }
}
