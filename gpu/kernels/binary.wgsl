// binary: out = a ∘ b with NumPy broadcasting over at most 6 dims (shapes padded to 6 on the
// host, broadcast dims have stride 0). Ops: 0 add, 1 sub, 2 mul, 3 div,
// 4 bce_logits = max(a,0) − a·b + log(1 + e^{−|a|}). One invocation per output element on a 2-D
// grid: the flat index is unravelled over `shape` (last dim fastest); guarded at n.

struct Params {
  n: u32,
  op: u32,
  shape_lo: vec4<u32>, // dims 0..3 of the output shape
  shape_hi: vec4<u32>, // dims 4..5
  a_lo: vec4<u32>, // element strides of a per output dim
  a_hi: vec4<u32>,
  b_lo: vec4<u32>, // element strides of b per output dim
  b_hi: vec4<u32>,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // (shape)
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 64u;

fn pick(lo: vec4<u32>, hi: vec4<u32>, d: u32) -> u32 {
  if (d < 4u) {
    return lo[d];
  }
  return hi[d - 4u];
}

fn log1p_f(e: f32) -> f32 {
  let u = 1.0 + e;
  if (u == 1.0) {
    return e;
  }
  return log(u) * e / (u - 1.0);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) {
    return;
  }
  var rest = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = 5; d >= 0; d--) {
    let du = u32(d);
    let s = pick(params.shape_lo, params.shape_hi, du);
    let c = rest % s;
    rest = rest / s;
    ia += c * pick(params.a_lo, params.a_hi, du);
    ib += c * pick(params.b_lo, params.b_hi, du);
  }
  let x = a[ia];
  let y = b[ib];
  var r: f32;
  switch params.op {
    case 0u: { r = x + y; }
    case 1u: { r = x - y; }
    case 2u: { r = x * y; }
    case 3u: { r = x / y; }
    default: { r = max(x, 0.0) - x * y + log1p_f(exp(-abs(x))); }
  }
  out[i] = r;
}
