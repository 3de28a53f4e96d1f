// affine: out[i] = scale·x[i] + shift for i < n. `out` may be the same buffer as `x`, so both are
// bound read_write (one writable usage). One invocation per element on a 2-D grid; guarded at n.

struct Params {
  n: u32,
  scale: f32,
  shift: f32,
}

@group(0) @binding(0) var<storage, read_write> x: array<f32>; // (n), read only here
@group(0) @binding(1) var<storage, read_write> out: array<f32>; // (n), may alias x
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) {
    return;
  }
  out[i] = params.scale * x[i] + params.shift;
}
