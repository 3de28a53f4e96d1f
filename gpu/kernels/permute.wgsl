// permute: out = x with axes permuted (at most 6 dims, padded to 6 on the host). The output
// shape is `shape`; `strides` holds, per output dim j, x's element stride along axis perm[j].
// One invocation per output element on a 2-D grid: unravel the flat index over the output shape
// and gather; guarded at n.

struct Params {
  n: u32,
  shape_lo: vec4<u32>, // output shape, dims 0..3
  shape_hi: vec4<u32>, // dims 4..5
  strides_lo: vec4<u32>, // x strides per output dim
  strides_hi: vec4<u32>,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 64u;

fn pick(lo: vec4<u32>, hi: vec4<u32>, d: u32) -> u32 {
  if (d < 4u) {
    return lo[d];
  }
  return hi[d - 4u];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) {
    return;
  }
  var rest = i;
  var src = 0u;
  for (var d = 5; d >= 0; d--) {
    let du = u32(d);
    let s = pick(params.shape_lo, params.shape_hi, du);
    src += (rest % s) * pick(params.strides_lo, params.strides_hi, du);
    rest = rest / s;
  }
  out[i] = x[src];
}
