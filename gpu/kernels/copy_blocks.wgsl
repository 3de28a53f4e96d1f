// copy_blocks: strided block copy behind concat/slice/split:
// dst[dst_offset + o·dst_stride + i] (+)= src[src_offset + o·src_stride + i], o < outer, i < inner.
// One invocation per copied element (linear index o·inner + i) on a 2-D grid; guarded.

struct Params {
  outer: u32,
  inner: u32,
  src_stride: u32,
  dst_stride: u32,
  src_offset: u32,
  dst_offset: u32,
  accumulate: u32, // 1: add into dst
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= params.outer * params.inner) {
    return;
  }
  let o = e / params.inner;
  let i = e % params.inner;
  let v = src[params.src_offset + o * params.src_stride + i];
  let d = params.dst_offset + o * params.dst_stride + i;
  if (params.accumulate == 1u) {
    dst[d] += v;
  } else {
    dst[d] = v;
  }
}
