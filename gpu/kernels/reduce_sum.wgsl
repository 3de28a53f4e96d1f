// reduce_sum: out[o, i] (+)= Σ_l x[o, l, i] for x laid out as (outer, len, inner). Two entry points
// with the same bindings:
//   reduce_narrow: one invocation per output, a serial loop over len (many outputs, short len);
//   reduce_wide:   one workgroup of WG invocations per output; each sums a strided share of len,
//                  then a tree reduction in workgroup memory (few outputs, long len).
// Both use a 2-D grid (flat output/workgroup index gid.x + gid.y·nwg.x·…) and guard at the end.

struct Params {
  outer: u32,
  len: u32,
  inner: u32,
  accumulate: u32, // 1: add into out
}

@group(0) @binding(0) var<storage, read> x: array<f32>; // (outer, len, inner)
@group(0) @binding(1) var<storage, read_write> out: array<f32>; // (outer, inner)
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 64u;

var<workgroup> partial: array<f32, WG>;

fn store(o: u32, v: f32) {
  if (params.accumulate == 1u) {
    out[o] += v;
  } else {
    out[o] = v;
  }
}

@compute @workgroup_size(WG)
fn reduce_narrow(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= params.outer * params.inner) {
    return;
  }
  let o = e / params.inner;
  let i = e % params.inner;
  var acc = 0.0;
  for (var l = 0u; l < params.len; l++) {
    acc += x[(o * params.len + l) * params.inner + i];
  }
  store(e, acc);
}

@compute @workgroup_size(WG)
fn reduce_wide(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let e = wid.x + wid.y * nwg.x; // uniform across the workgroup
  let valid = e < params.outer * params.inner;
  var acc = 0.0;
  if (valid) {
    let o = e / params.inner;
    let i = e % params.inner;
    for (var l = tid; l < params.len; l += WG) {
      acc += x[(o * params.len + l) * params.inner + i];
    }
  }
  partial[tid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (tid < s) {
      partial[tid] += partial[tid + s];
    }
    workgroupBarrier();
  }
  if (tid == 0u && valid) {
    store(e, partial[0]);
  }
}
