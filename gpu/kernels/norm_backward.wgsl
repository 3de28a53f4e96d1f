// norm_backward: gradients of norm_forward, two entry points sharing one binding layout.
//   norm_backward_dx: one workgroup per row; with x̂ = (x − μ)·rstd and dx̂ = dy·γ[ch],
//     dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) (dx overwritten); row sums by tree reduction.
//   norm_backward_params: one workgroup per channel ch = g·(cols/chan_inner) + k; sums
//     dy·x̂ and dy over the rows r ≡ g (mod groups) and the chan_inner elements of the channel,
//     then dgamma[ch] += Σ dy·x̂, dbeta[ch] += Σ dy.
// 2-D workgroup grids (index wid.x + wid.y·nwg.x), guarded.

struct Params {
  rows: u32,
  cols: u32,
  groups: u32,
  chan_inner: u32,
  eps: f32, // unused here; kept so both norm kernels share one schema
}

@group(0) @binding(0) var<storage, read> x: array<f32>; // (rows, cols)
@group(0) @binding(1) var<storage, read> gamma: array<f32>; // (channels)
@group(0) @binding(2) var<storage, read> mean: array<f32>; // (rows)
@group(0) @binding(3) var<storage, read> rstd: array<f32>; // (rows)
@group(0) @binding(4) var<storage, read> dy: array<f32>; // (rows, cols)
@group(0) @binding(5) var<storage, read_write> dx: array<f32>; // (rows, cols)
@group(0) @binding(6) var<storage, read_write> dgamma: array<f32>; // (channels)
@group(0) @binding(7) var<storage, read_write> dbeta: array<f32>; // (channels)
@group(0) @binding(8) var<uniform> params: Params;

override WG: u32 = 64u;

var<workgroup> part_a: array<f32, WG>;
var<workgroup> part_b: array<f32, WG>;

// Sums (u, v) over the workgroup; every invocation gets both totals.
fn workgroup_sum2(tid: u32, u: f32, v: f32) -> vec2<f32> {
  part_a[tid] = u;
  part_b[tid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (tid < s) {
      part_a[tid] += part_a[tid + s];
      part_b[tid] += part_b[tid + s];
    }
    workgroupBarrier();
  }
  let total = vec2<f32>(part_a[0], part_b[0]);
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn norm_backward_dx(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let r = wid.x + wid.y * nwg.x;
  let valid = r < params.rows;
  let base = r * params.cols;
  let ch_base = (r % params.groups) * (params.cols / params.chan_inner);
  var mu = 0.0;
  var rs = 0.0;
  if (valid) {
    mu = mean[r];
    rs = rstd[r];
  }
  var s_dxh = 0.0;
  var s_dxh_xh = 0.0;
  if (valid) {
    for (var j = tid; j < params.cols; j += WG) {
      let xh = (x[base + j] - mu) * rs;
      let dxh = dy[base + j] * gamma[ch_base + j / params.chan_inner];
      s_dxh += dxh;
      s_dxh_xh += dxh * xh;
    }
  }
  let sums = workgroup_sum2(tid, s_dxh, s_dxh_xh) / f32(params.cols);
  if (!valid) {
    return;
  }
  for (var j = tid; j < params.cols; j += WG) {
    let xh = (x[base + j] - mu) * rs;
    let dxh = dy[base + j] * gamma[ch_base + j / params.chan_inner];
    dx[base + j] = rs * (dxh - sums.x - xh * sums.y);
  }
}

@compute @workgroup_size(WG)
fn norm_backward_params(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let ch = wid.x + wid.y * nwg.x;
  let per_group = params.cols / params.chan_inner;
  let channels = params.groups * per_group;
  let valid = ch < channels;
  let g = ch / per_group;
  let k = ch % per_group;
  let samples = params.rows / params.groups;
  var s_g = 0.0;
  var s_b = 0.0;
  if (valid) {
    for (var e = tid; e < samples * params.chan_inner; e += WG) {
      let r = (e / params.chan_inner) * params.groups + g;
      let idx = r * params.cols + k * params.chan_inner + e % params.chan_inner;
      let d = dy[idx];
      s_g += d * (x[idx] - mean[r]) * rstd[r];
      s_b += d;
    }
  }
  let sums = workgroup_sum2(tid, s_g, s_b);
  if (valid && tid == 0u) {
    dgamma[ch] += sums.x;
    dbeta[ch] += sums.y;
  }
}
