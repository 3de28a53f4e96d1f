// time_embedding: sinusoidal embedding of t (B) → out (B, dim): out[b, j] = sin(t·f_j) for
// j < dim/2 and cos(t·f_{j−dim/2}) after, f_j = exp(−ln(max_period)·j/(dim/2))·scale.
// One invocation per output element on a 2-D grid; guarded at B·dim.

struct Params {
  b: u32,
  dim: u32,
  log_max_period: f32, // ln(max_period)
  scale: f32,
}

@group(0) @binding(0) var<storage, read> t: array<f32>; // (B)
@group(0) @binding(1) var<storage, read_write> out: array<f32>; // (B, dim)
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= params.b * params.dim) {
    return;
  }
  let half = params.dim / 2u;
  let bb = e / params.dim;
  let j = e % params.dim;
  let jj = select(j, j - half, j >= half);
  let f = exp(-params.log_max_period * f32(jj) / f32(half)) * params.scale;
  let arg = t[bb] * f;
  out[e] = select(sin(arg), cos(arg), j >= half);
}
