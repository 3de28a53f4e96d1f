// sde_update: fused linear update out = cz·z + cs·s + cn·noise over n elements (the reverse-SDE
// Euler–Maruyama predictor). `out` may be the same buffer as `z`, so both are bound read_write.
// One invocation per element on a 2-D grid; guarded at n.

struct Params {
  n: u32,
  cz: f32,
  cs: f32,
  cn: f32,
}

@group(0) @binding(0) var<storage, read_write> z: array<f32>; // (n), read only here
@group(0) @binding(1) var<storage, read> s: array<f32>; // (n)
@group(0) @binding(2) var<storage, read> noise: array<f32>; // (n)
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (n), may alias z
@group(0) @binding(4) var<uniform> params: Params;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) {
    return;
  }
  out[i] = params.cz * z[i] + params.cs * s[i] + params.cn * noise[i];
}
