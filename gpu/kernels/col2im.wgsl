// col2im: the adjoint of im2col, dx (B, C, H, W) (+)= scatter of col (C·KH·KW, B·OH·OW), computed
// as a gather: one invocation per dx pixel sums every (i, j) tap whose output position
// (y + pad − i)/stride, (x + pad − j)/stride is whole and inside (OH, OW). No atomics needed;
// every dx element is written. 2-D grid, guarded at B·C·H·W.

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
  accumulate: u32, // 1: add into dx
}

@group(0) @binding(0) var<storage, read> col: array<f32>; // (C·KH·KW, B·OH·OW)
@group(0) @binding(1) var<storage, read_write> dx: array<f32>; // (B, C, H, W)
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= params.b * params.c * params.h * params.w) {
    return;
  }
  let px = e % params.w;
  let py = (e / params.w) % params.h;
  let c = (e / (params.w * params.h)) % params.c;
  let bb = e / (params.w * params.h * params.c);
  let cols = params.b * params.oh * params.ow;
  let s = i32(params.stride);
  var acc = 0.0;
  for (var i = 0u; i < params.kh; i++) {
    let ty = i32(py + params.pad) - i32(i);
    if (ty < 0 || ty % s != 0) {
      continue;
    }
    let oy = u32(ty / s);
    if (oy >= params.oh) {
      continue;
    }
    for (var j = 0u; j < params.kw; j++) {
      let tx = i32(px + params.pad) - i32(j);
      if (tx < 0 || tx % s != 0) {
        continue;
      }
      let ox = u32(tx / s);
      if (ox >= params.ow) {
        continue;
      }
      let r = (c * params.kh + i) * params.kw + j;
      acc += col[r * cols + (bb * params.oh + oy) * params.ow + ox];
    }
  }
  if (params.accumulate == 1u) {
    dx[e] += acc;
  } else {
    dx[e] = acc;
  }
}
