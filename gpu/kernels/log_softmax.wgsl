// log_softmax: row-wise log-softmax of x (rows, cols) and its backward, two entry points sharing
// one binding layout; one workgroup of WG invocations per row (tree reductions in workgroup
// memory, 2-D workgroup grid, guarded at rows):
//   log_softmax_forward:  out = x − max − log Σ exp(x − max)          (in0 = x, in1 unused)
//   log_softmax_backward: out = dy − exp(y)·Σ_row dy                   (in0 = y, in1 = dy)

struct Params {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<storage, read> in0: array<f32>; // (rows, cols): x or y
@group(0) @binding(1) var<storage, read> in1: array<f32>; // (rows, cols): dy (backward only)
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // (rows, cols)
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 64u;

var<workgroup> partial: array<f32, WG>;

fn workgroup_reduce(tid: u32, v: f32, is_max: bool) -> f32 {
  partial[tid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (tid < s) {
      if (is_max) {
        partial[tid] = max(partial[tid], partial[tid + s]);
      } else {
        partial[tid] += partial[tid + s];
      }
    }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn log_softmax_forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let r = wid.x + wid.y * nwg.x;
  let valid = r < params.rows;
  let base = r * params.cols;
  var m = -3.4028234e38;
  if (valid) {
    for (var j = tid; j < params.cols; j += WG) {
      m = max(m, in0[base + j]);
    }
  }
  let mx = workgroup_reduce(tid, m, true);
  var s = 0.0;
  if (valid) {
    for (var j = tid; j < params.cols; j += WG) {
      s += exp(in0[base + j] - mx);
    }
  }
  let lse = mx + log(workgroup_reduce(tid, s, false));
  if (!valid) {
    return;
  }
  for (var j = tid; j < params.cols; j += WG) {
    out[base + j] = in0[base + j] - lse;
  }
}

@compute @workgroup_size(WG)
fn log_softmax_backward(
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
      s += in1[base + j];
    }
  }
  let total = workgroup_reduce(tid, s, false);
  if (!valid) {
    return;
  }
  for (var j = tid; j < params.cols; j += WG) {
    out[base + j] = in1[base + j] - exp(in0[base + j]) * total;
  }
}
