// matmul_blocked: out[M,N] (+)= op(a)·op(b), shared-memory tiles plus register blocking.
// Each invocation computes TM×TN outputs (rows ly + i·WG_Y, columns lx + j·WG_X), so a workgroup
// of WG_X × WG_Y invocations covers a BM × BN = (WG_Y·TM) × (WG_X·TN) block of out. Each k-step
// stages BK columns of op(a) (BM × BK) and BK rows of op(b) (BK × BN) in workgroup memory (zero
// outside the matrix), then runs BK rank-1 updates from registers. TM, TN ≤ 8 (register arrays
// are sized for 8). After the register-blocked kernels of tfjs-webgpu and llm.c's matmul_forward.
// op(a)(m, k) = a[m·a_sm + k·a_sk], op(b)(k, n) = b[k·b_sk + n·b_sn].

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

@group(0) @binding(0) var<storage, read> a: array<f32>; // (M, K) or (K, M) when transposed
@group(0) @binding(1) var<storage, read> b: array<f32>; // (K, N) or (N, K) when transposed
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // (M, N)
@group(0) @binding(3) var<uniform> params: Params;

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override TM: u32 = 4u;
override TN: u32 = 4u;
override BK: u32 = 16u;

const MAX_T: u32 = 8u;

var<workgroup> tile_a: array<f32, BK * WG_Y * TM>; // [k][row] within the block
var<workgroup> tile_b: array<f32, BK * WG_X * TN>; // [k][col] within the block

@compute @workgroup_size(WG_X, WG_Y)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let bm = WG_Y * TM;
  let bn = WG_X * TN;
  let row0 = wid.y * bm;
  let col0 = wid.x * bn;
  let threads = WG_X * WG_Y;
  var acc: array<f32, 64>; // MAX_T × MAX_T, only TM × TN used
  for (var i = 0u; i < MAX_T * MAX_T; i++) {
    acc[i] = 0.0;
  }
  var ra: array<f32, 8>;
  var rb: array<f32, 8>;
  for (var k0 = 0u; k0 < params.k; k0 += BK) {
    for (var e = tid; e < BK * bm; e += threads) {
      let kk = e / bm;
      let r = e % bm;
      let gr = row0 + r;
      let gk = k0 + kk;
      var v = 0.0;
      if (gr < params.m && gk < params.k) {
        v = a[gr * params.a_sm + gk * params.a_sk];
      }
      tile_a[e] = v;
    }
    for (var e = tid; e < BK * bn; e += threads) {
      let kk = e / bn;
      let c = e % bn;
      let gc = col0 + c;
      let gk = k0 + kk;
      var v = 0.0;
      if (gc < params.n && gk < params.k) {
        v = b[gk * params.b_sk + gc * params.b_sn];
      }
      tile_b[e] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      for (var i = 0u; i < TM; i++) {
        ra[i] = tile_a[kk * bm + lid.y + i * WG_Y];
      }
      for (var j = 0u; j < TN; j++) {
        rb[j] = tile_b[kk * bn + lid.x + j * WG_X];
      }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) {
          acc[i * MAX_T + j] += ra[i] * rb[j];
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i++) {
    let r = row0 + lid.y + i * WG_Y;
    for (var j = 0u; j < TN; j++) {
      let c = col0 + lid.x + j * WG_X;
      if (r < params.m && c < params.n) {
        let o = r * params.n + c;
        var v = acc[i * MAX_T + j];
        if (params.accumulate == 1u) {
          v += out[o];
        }
        out[o] = v;
      }
    }
  }
}
