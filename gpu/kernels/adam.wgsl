// adam: one fused Adam/AdamW step on n parameters (engine/reference/backend.ts `adam` is the spec):
//   g = grad·clip, clip = min(1, max_norm / sqrt(norm_sq[0])) when use_norm = 1 (on the device, no
//   readback); m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
//   p −= lr·(m/bc1 / (sqrt(v/bc2) + eps) + weight_decay·p), bc1 = 1 − β1^step, bc2 = 1 − β2^step.
// One invocation per parameter on a 2-D grid; guarded at n.

struct Params {
  n: u32,
  use_norm: u32, // 1: clip by the global norm in norm_sq[0]
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  bc1: f32,
  bc2: f32,
  max_norm: f32,
}

@group(0) @binding(0) var<storage, read_write> param: array<f32>; // (n)
@group(0) @binding(1) var<storage, read> grad: array<f32>; // (n)
@group(0) @binding(2) var<storage, read_write> m: array<f32>; // (n)
@group(0) @binding(3) var<storage, read_write> v: array<f32>; // (n)
@group(0) @binding(4) var<storage, read> norm_sq: array<f32>; // (1), read when use_norm = 1
@group(0) @binding(5) var<uniform> params: Params;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) {
    return;
  }
  var clip = 1.0;
  if (params.use_norm == 1u) {
    let norm = sqrt(norm_sq[0]);
    if (norm > params.max_norm) {
      clip = params.max_norm / norm;
    }
  }
  let g = grad[i] * clip;
  let mi = params.beta1 * m[i] + (1.0 - params.beta1) * g;
  let vi = params.beta2 * v[i] + (1.0 - params.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let p = param[i];
  param[i] = p - params.lr * ((mi / params.bc1) / (sqrt(vi / params.bc2) + params.eps) +
    params.weight_decay * p);
}
