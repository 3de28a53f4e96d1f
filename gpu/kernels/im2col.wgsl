// im2col: x (B, C, H, W) → col (C·KH·KW, B·OH·OW), row r = (c·KH + i)·KW + j, column
// q = (b·OH + y)·OW + x; taps outside the padded image are 0. One invocation per col element on a
// 2-D grid (every element is written); guarded at C·KH·KW·B·OH·OW.

struct Params {
  b: u32,
  c: u32,
  h: u32,
  w: u32,
  kh: u32,
  kw: u32,
  stride: u32,
  pad: u32,
  oh: u32,
  ow: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>; // (B, C, H, W)
@group(0) @binding(1) var<storage, read_write> col: array<f32>; // (C·KH·KW, B·OH·OW)
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * WG;
  let cols = params.b * params.oh * params.ow;
  if (e >= params.c * params.kh * params.kw * cols) {
    return;
  }
  let r = e / cols;
  let q = e % cols;
  let j = r % params.kw;
  let i = (r / params.kw) % params.kh;
  let c = r / (params.kw * params.kh);
  let ox = q % params.ow;
  let oy = (q / params.ow) % params.oh;
  let bb = q / (params.ow * params.oh);
  let iy = i32(oy * params.stride + i) - i32(params.pad);
  let ix = i32(ox * params.stride + j) - i32(params.pad);
  var v = 0.0;
  if (iy >= 0 && iy < i32(params.h) && ix >= 0 && ix < i32(params.w)) {
    v = x[((bb * params.c + c) * params.h + u32(iy)) * params.w + u32(ix)];
  }
  col[e] = v;
}
