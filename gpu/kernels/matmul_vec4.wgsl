// matmul_vec4: out[M,N] (+)= a·b for row-major a (M, K) and b (K, N) with K and N multiples of 4,
// read and written as vec4<f32> (after tfjs-webgpu's MatMulPackedVec4 program).
// Each invocation computes TM rows × TN4 vec4 columns (columns lx + j·WG_X in vec4 units); a
// workgroup of WG_X × WG_Y invocations covers a BM × BN = (WG_Y·TM) × (4·WG_X·TN4) block. Per k-step, BK columns
// of a (BM × BK/4 vec4s) and BK rows of b (BK × WG_X vec4s) are staged in workgroup memory (zero
// outside the matrix), then each k updates the TM accumulators with one b vec4 per k.
// Transposed operands use matmul_blocked instead. TM ≤ 8, TN4 ≤ 2, BK a multiple of 4.

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

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
override TM: u32 = 4u;
override TN4: u32 = 1u; // vec4 columns per invocation, ≤ 2
override BK: u32 = 32u;

var<workgroup> tile_a: array<vec4<f32>, WG_Y * TM * BK / 4u>; // [row][k/4]
var<workgroup> tile_b: array<vec4<f32>, BK * WG_X * TN4>; // [k][col/4]

@compute @workgroup_size(WG_X, WG_Y)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let bm = WG_Y * TM;
  let bk4 = BK / 4u;
  let k4 = params.k / 4u;
  let n4 = params.n / 4u;
  let row0 = wid.y * bm;
  let bn4 = WG_X * TN4;
  let threads = WG_X * WG_Y;
  var acc: array<vec4<f32>, 16>; // [i][j], only TM × TN4 used
  for (var i = 0u; i < 16u; i++) {
    acc[i] = vec4<f32>(0.0);
  }
  for (var k0 = 0u; k0 < params.k; k0 += BK) {
    let kb4 = k0 / 4u;
    for (var e = tid; e < bm * bk4; e += threads) {
      let r = row0 + e / bk4;
      let kk4 = kb4 + e % bk4;
      var v = vec4<f32>(0.0);
      if (r < params.m && kk4 < k4) {
        v = a[r * k4 + kk4];
      }
      tile_a[e] = v;
    }
    for (var e = tid; e < BK * bn4; e += threads) {
      let kk = k0 + e / bn4;
      let cc = wid.x * bn4 + e % bn4;
      var v = vec4<f32>(0.0);
      if (kk < params.k && cc < n4) {
        v = b[kk * n4 + cc];
      }
      tile_b[e] = v;
    }
    workgroupBarrier();
    for (var kk4 = 0u; kk4 < bk4; kk4++) {
      for (var j = 0u; j < TN4; j++) {
        let cb = lid.x + j * WG_X;
        let b0 = tile_b[(kk4 * 4u) * bn4 + cb];
        let b1 = tile_b[(kk4 * 4u + 1u) * bn4 + cb];
        let b2 = tile_b[(kk4 * 4u + 2u) * bn4 + cb];
        let b3 = tile_b[(kk4 * 4u + 3u) * bn4 + cb];
        for (var i = 0u; i < TM; i++) {
          let av = tile_a[(lid.y * TM + i) * bk4 + kk4];
          var s = acc[i * 2u + j];
          s = fma(b0, vec4<f32>(av.x), s);
          s = fma(b1, vec4<f32>(av.y), s);
          s = fma(b2, vec4<f32>(av.z), s);
          s = fma(b3, vec4<f32>(av.w), s);
          acc[i * 2u + j] = s;
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i++) {
    let r = row0 + lid.y * TM + i;
    for (var j = 0u; j < TN4; j++) {
      let c4 = wid.x * bn4 + lid.x + j * WG_X;
      if (r < params.m && c4 < n4) {
        var v = acc[i * 2u + j];
        if (params.accumulate == 1u) {
          v += out[r * n4 + c4];
        }
        out[r * n4 + c4] = v;
      }
    }
  }
}
