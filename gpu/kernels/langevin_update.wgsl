// langevin_update: Langevin corrector step on each row r of (rows, cols), step size on the device:
// ε_r = 2·alpha·snr²·‖noise_r‖²/‖s_r‖² (0 when ‖s_r‖ = 0), out_r = z_r + ε_r·s_r + √(2ε_r)·noise_r.
// One workgroup of WG invocations per row: both squared norms by strided sums + a tree reduction
// in workgroup memory, then the update. `out` may alias `z` (both bound read_write). 2-D workgroup
// grid (row = wid.x + wid.y·nwg.x), guarded at rows.

struct Params {
  rows: u32,
  cols: u32,
  snr: f32,
  alpha: f32,
}

@group(0) @binding(0) var<storage, read_write> z: array<f32>; // (rows, cols), read only here
@group(0) @binding(1) var<storage, read> s: array<f32>; // (rows, cols): the score
@group(0) @binding(2) var<storage, read> noise: array<f32>; // (rows, cols)
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (rows, cols), may alias z
@group(0) @binding(4) var<uniform> params: Params;

override WG: u32 = 64u;

var<workgroup> part_s: array<f32, WG>;
var<workgroup> part_n: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let r = wid.x + wid.y * nwg.x;
  let valid = r < params.rows;
  let base = r * params.cols;
  var ss = 0.0;
  var nn = 0.0;
  if (valid) {
    for (var j = tid; j < params.cols; j += WG) {
      let a = s[base + j];
      let e = noise[base + j];
      ss += a * a;
      nn += e * e;
    }
  }
  part_s[tid] = ss;
  part_n[tid] = nn;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (tid < k) {
      part_s[tid] += part_s[tid + k];
      part_n[tid] += part_n[tid + k];
    }
    workgroupBarrier();
  }
  if (!valid) {
    return;
  }
  let s_tot = part_s[0];
  var eps = 0.0;
  if (s_tot > 0.0) {
    eps = 2.0 * params.alpha * (params.snr * params.snr * part_n[0] / s_tot);
  }
  let sq = sqrt(2.0 * eps);
  for (var j = tid; j < params.cols; j += WG) {
    let k = base + j;
    out[k] = z[k] + eps * s[k] + sq * noise[k];
  }
}
