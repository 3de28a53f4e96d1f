// norm_forward: layer/group norm forward. One workgroup of WG invocations per row of `cols`
// contiguous values: mean by a strided sum + tree reduction, then the biased variance of (x − μ)
// the same way (two passes, stable), then y = (x − μ)·rstd·γ[ch] + β[ch] with
// ch = (r mod groups)·(cols / chan_inner) + floor(j / chan_inner). Saves mean and rstd per row.
// Rows use a 2-D workgroup grid (row = wid.x + wid.y·nwg.x), guarded at `rows`.

struct Params {
  rows: u32,
  cols: u32,
  groups: u32,
  chan_inner: u32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>; // (rows, cols)
@group(0) @binding(1) var<storage, read> gamma: array<f32>; // (groups·cols/chan_inner)
@group(0) @binding(2) var<storage, read> beta: array<f32>; // (groups·cols/chan_inner)
@group(0) @binding(3) var<storage, read_write> y: array<f32>; // (rows, cols)
@group(0) @binding(4) var<storage, read_write> mean: array<f32>; // (rows)
@group(0) @binding(5) var<storage, read_write> rstd: array<f32>; // (rows)
@group(0) @binding(6) var<uniform> params: Params;

override WG: u32 = 64u;

var<workgroup> partial: array<f32, WG>;

// Sums `v` over the workgroup; every invocation gets the total.
fn workgroup_sum(tid: u32, v: f32) -> f32 {
  partial[tid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (tid < s) {
      partial[tid] += partial[tid + s];
    }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let r = wid.x + wid.y * nwg.x;
  let valid = r < params.rows;
  let base = r * params.cols;
  var s = 0.0;
  if (valid) {
    for (var j = tid; j < params.cols; j += WG) {
      s += x[base + j];
    }
  }
  let mu = workgroup_sum(tid, s) / f32(params.cols);
  var q = 0.0;
  if (valid) {
    for (var j = tid; j < params.cols; j += WG) {
      let d = x[base + j] - mu;
      q += d * d;
    }
  }
  let inv = 1.0 / sqrt(workgroup_sum(tid, q) / f32(params.cols) + params.eps);
  if (!valid) {
    return;
  }
  let ch_base = (r % params.groups) * (params.cols / params.chan_inner);
  for (var j = tid; j < params.cols; j += WG) {
    let ch = ch_base + j / params.chan_inner;
    y[base + j] = (x[base + j] - mu) * inv * gamma[ch] + beta[ch];
  }
  if (tid == 0u) {
    mean[r] = mu;
    rstd[r] = inv;
  }
}
