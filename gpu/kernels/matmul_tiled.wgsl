// matmul_tiled: out[M,N] (+)= op(a)·op(b) with square TILE×TILE shared-memory tiles, one output
// per invocation (the classic CUDA-guide kernel). Workgroup (TILE, TILE); each step loads one
// TILE×TILE block of op(a) and of op(b) (zero outside the matrix), syncs, and accumulates.
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

override TILE: u32 = 16u;

var<workgroup> tile_a: array<f32, TILE * TILE>; // [row][k]
var<workgroup> tile_b: array<f32, TILE * TILE>; // [k][col]

@compute @workgroup_size(TILE, TILE)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let row = wid.y * TILE + lid.y;
  let col = wid.x * TILE + lid.x;
  var acc = 0.0;
  for (var k0 = 0u; k0 < params.k; k0 += TILE) {
    let ka = k0 + lid.x;
    var va = 0.0;
    if (row < params.m && ka < params.k) {
      va = a[row * params.a_sm + ka * params.a_sk];
    }
    tile_a[lid.y * TILE + lid.x] = va;
    let kb = k0 + lid.y;
    var vb = 0.0;
    if (kb < params.k && col < params.n) {
      vb = b[kb * params.b_sk + col * params.b_sn];
    }
    tile_b[lid.y * TILE + lid.x] = vb;
    workgroupBarrier();
    for (var kk = 0u; kk < TILE; kk++) {
      acc += tile_a[lid.y * TILE + kk] * tile_b[kk * TILE + lid.x];
    }
    workgroupBarrier();
  }
  if (row < params.m && col < params.n) {
    let o = row * params.n + col;
    if (params.accumulate == 1u) {
      acc += out[o];
    }
    out[o] = acc;
  }
}
