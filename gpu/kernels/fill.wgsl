// fill: out[i] = value for i < n. One invocation per element on a 2-D grid of WG-wide workgroups
// (linear index gid.x + gid.y·nwg.x·WG, so more than 65535 workgroups fit); guarded at n.

struct Params {
  n: u32,
  value: f32,
}

@group(0) @binding(0) var<storage, read_write> out: array<f32>; // (n)
@group(0) @binding(1) var<uniform> params: Params;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) {
    return;
  }
  out[i] = params.value;
}
