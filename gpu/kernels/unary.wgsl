// unary: elementwise functions f, f′ and f″ (engine/reference/scalar.ts is the spec), three entry
// points sharing one binding layout (unused read bindings get a dummy buffer):
//   unary_forward:  out = f(x)
//   unary_backward: out = a · f′(x)        (a = dy)
//   unary_second:   out = a · b · f″(x)
// Op codes follow UNARY_OPS in unary.ts. tanh and log1p are computed stably here (no overflow to
// NaN at large |x|). One invocation per element on a 2-D grid; guarded at n.

struct Params {
  n: u32,
  op: u32,
  alpha: f32, // negative slope of leaky_relu
}

@group(0) @binding(0) var<storage, read> x: array<f32>; // (n)
@group(0) @binding(1) var<storage, read> a: array<f32>; // (n), backward/second only
@group(0) @binding(2) var<storage, read> b: array<f32>; // (n), second only
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (n)
@group(0) @binding(4) var<uniform> params: Params;

override WG: u32 = 64u;

const GELU_C: f32 = 0.7978845608028654; // sqrt(2/π)
const GELU_A: f32 = 0.044715;

fn sigmoid(v: f32) -> f32 {
  if (v >= 0.0) {
    return 1.0 / (1.0 + exp(-v));
  }
  let e = exp(v);
  return e / (1.0 + e);
}

fn tanh_stable(v: f32) -> f32 {
  let t = 1.0 - 2.0 / (exp(2.0 * abs(v)) + 1.0);
  return select(t, -t, v < 0.0);
}

// log(1 + e) without losing small e (Goldberg's trick).
fn log1p_f(e: f32) -> f32 {
  let u = 1.0 + e;
  if (u == 1.0) {
    return e;
  }
  return log(u) * e / (u - 1.0);
}

fn f0(op: u32, v: f32, alpha: f32) -> f32 {
  switch op {
    case 0u: { return -v; }
    case 1u: { return exp(v); }
    case 2u: { return log(v); }
    case 3u: { return sqrt(v); }
    case 4u: { return v * v; }
    case 5u: { return abs(v); }
    case 6u: { return select(0.0, v, v > 0.0); }
    case 7u: { return select(alpha * v, v, v > 0.0); }
    case 8u: { return v * sigmoid(v); }
    case 9u: { return 0.5 * v * (1.0 + tanh_stable(GELU_C * (v + GELU_A * v * v * v))); }
    case 10u: { return sigmoid(v); }
    case 11u: { return tanh_stable(v); }
    default: { return max(v, 0.0) + log1p_f(exp(-abs(v))); }
  }
}

fn f1(op: u32, v: f32, alpha: f32) -> f32 {
  switch op {
    case 0u: { return -1.0; }
    case 1u: { return exp(v); }
    case 2u: { return 1.0 / v; }
    case 3u: { return 0.5 / sqrt(v); }
    case 4u: { return 2.0 * v; }
    case 5u: { return select(select(0.0, -1.0, v < 0.0), 1.0, v > 0.0); }
    case 6u: { return select(0.0, 1.0, v > 0.0); }
    case 7u: { return select(alpha, 1.0, v > 0.0); }
    case 8u: {
      let s = sigmoid(v);
      return s * (1.0 + v * (1.0 - s));
    }
    case 9u: {
      let th = tanh_stable(GELU_C * (v + GELU_A * v * v * v));
      let du = GELU_C * (1.0 + 3.0 * GELU_A * v * v);
      return 0.5 * (1.0 + th) + 0.5 * v * (1.0 - th * th) * du;
    }
    case 10u: {
      let s = sigmoid(v);
      return s * (1.0 - s);
    }
    case 11u: {
      let t = tanh_stable(v);
      return 1.0 - t * t;
    }
    default: { return sigmoid(v); }
  }
}

fn f2(op: u32, v: f32) -> f32 {
  switch op {
    case 1u: { return exp(v); }
    case 2u: { return -1.0 / (v * v); }
    case 3u: { return -0.25 / (v * sqrt(v)); }
    case 4u: { return 2.0; }
    case 8u: {
      let s = sigmoid(v);
      return s * (1.0 - s) * (2.0 + v * (1.0 - 2.0 * s));
    }
    case 9u: {
      let th = tanh_stable(GELU_C * (v + GELU_A * v * v * v));
      let sech2 = 1.0 - th * th;
      let du = GELU_C * (1.0 + 3.0 * GELU_A * v * v);
      let ddu = GELU_C * 6.0 * GELU_A * v;
      return sech2 * du + 0.5 * v * (-2.0 * th * sech2 * du * du + sech2 * ddu);
    }
    case 10u: {
      let s = sigmoid(v);
      return s * (1.0 - s) * (1.0 - 2.0 * s);
    }
    case 11u: {
      let t = tanh_stable(v);
      return -2.0 * t * (1.0 - t * t);
    }
    case 12u: {
      let s = sigmoid(v);
      return s * (1.0 - s);
    }
    default: { return 0.0; } // neg, abs, relu, leaky_relu are piecewise linear
  }
}

fn index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn unary_forward(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let i = index(gid, nwg);
  if (i >= params.n) {
    return;
  }
  out[i] = f0(params.op, x[i], params.alpha);
}

@compute @workgroup_size(WG)
fn unary_backward(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let i = index(gid, nwg);
  if (i >= params.n) {
    return;
  }
  out[i] = a[i] * f1(params.op, x[i], params.alpha);
}

@compute @workgroup_size(WG)
fn unary_second(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let i = index(gid, nwg);
  if (i >= params.n) {
    return;
  }
  out[i] = a[i] * b[i] * f2(params.op, x[i]);
}
