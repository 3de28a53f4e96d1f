// matmul_naive: out[M,N] (+)= op(a)·op(b), one invocation per output element, no tiling.
// The baseline variant: kept for validation and as the speed floor in bench/matmul.ts.
// op(a)(m, k) = a[m·a_sm + k·a_sk], op(b)(k, n) = b[k·b_sk + n·b_sn]: the host turns the transpose
// flags into strides. Workgroup (WG_X, WG_Y) covers WG_X columns × WG_Y rows; guarded at the edges.

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
override WG_Y: u32 = 8u;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x;
  let row = gid.y;
  if (row >= params.m || col >= params.n) {
    return;
  }
  var acc = 0.0;
  for (var kk = 0u; kk < params.k; kk++) {
    acc += a[row * params.a_sm + kk * params.a_sk] * b[kk * params.b_sk + col * params.b_sn];
  }
  let o = row * params.n + col;
  if (params.accumulate == 1u) {
    acc += out[o];
  }
  out[o] = acc;
}
