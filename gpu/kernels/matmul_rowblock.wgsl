// matmul_rowblock: out[M,N] (+)= a·b for row-major a (M, K) and b (K, N) with K and N multiples of
// 4, read and written as vec4<f32>, with no workgroup memory and no barriers.
// A workgroup is one row of WG invocations: all of them share the same TM rows of a (rows
// wid.x·TM + i), so every load of a has a workgroup-uniform address (a CPU rasterizer such as
// llvmpipe turns it into one scalar load and a broadcast), while each invocation owns TN4
// adjacent vec4 column blocks of b and out, starting at c4 = (wid.y·WG + lx)·TN4. Row blocks vary
// fastest across workgroups, so neighbouring workgroups (run back to back by one CPU thread)
// reuse the same panel of b. Per 4 values of k: TM vec4 loads of a (uniform), 4·TN4 vec4 loads of
// b, 16·TM·TN4 multiply-adds. Rows/columns past the edge are clamped for loading and skipped for
// storing. TM·TN4 ≤ 16. The fastest kernel on llvmpipe (bench/matmul.ts: 1.7× matmul_vec4 per
// CPU-second at 512²); on a real GPU matmul_vec4 (shared-memory tiles) is the default.

struct Params {
  m: u32,
  k: u32,
  n: u32,
  a_sm: u32,
  a_sk: u32,
  b_sk: u32,
  b_sn: u32,
  accumulate: u32, // 1: out += a·b, 0: out = a·b
}

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>; // (M, K/4)
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>; // (K, N/4)
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>; // (M, N/4)
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 16u;
override TM: u32 = 16u;
override TN4: u32 = 1u; // vec4 columns per invocation; TM·TN4 ≤ 16

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let k4 = params.k / 4u;
  let n4 = params.n / 4u;
  let row0 = wid.x * TM; // rows vary fastest across workgroups: neighbours share a b panel
  let c40 = (wid.y * WG + lid.x) * TN4; // first of this invocation's TN4 vec4 columns
  var acc: array<vec4<f32>, 16>; // [i·TN4 + j], only TM·TN4 used
  var arow: array<u32, 16>; // clamped row offsets of a (in vec4s)
  for (var i = 0u; i < 16u; i++) {
    acc[i] = vec4<f32>(0.0);
    arow[i] = min(row0 + i, params.m - 1u) * k4;
  }
  for (var kk4 = 0u; kk4 < k4; kk4++) {
    for (var j = 0u; j < TN4; j++) {
      let kb = kk4 * 4u * n4 + min(c40 + j, n4 - 1u); // clamped column for loads
      let b0 = b[kb];
      let b1 = b[kb + n4];
      let b2 = b[kb + 2u * n4];
      let b3 = b[kb + 3u * n4];
      for (var i = 0u; i < TM; i++) {
        let av = a[arow[i] + kk4];
        var s = acc[i * TN4 + j];
        s = fma(b0, vec4<f32>(av.x), s);
        s = fma(b1, vec4<f32>(av.y), s);
        s = fma(b2, vec4<f32>(av.z), s);
        s = fma(b3, vec4<f32>(av.w), s);
        acc[i * TN4 + j] = s;
      }
    }
  }
  for (var i = 0u; i < TM; i++) {
    let r = row0 + i;
    for (var j = 0u; j < TN4; j++) {
      let c4 = c40 + j;
      if (r < params.m && c4 < n4) {
        var v = acc[i * TN4 + j];
        if (params.accumulate == 1u) {
          v += out[r * n4 + c4];
        }
        out[r * n4 + c4] = v;
      }
    }
  }
}
