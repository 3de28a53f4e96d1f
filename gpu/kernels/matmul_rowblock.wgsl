// matmul_rowblock: out[M,N] (+)= a·b for row-major a (M, K) and b (K, N) with K and N multiples of
// 4, read and written as vec4<f32>, with no workgroup memory and no barriers. The fastest kernel
// on llvmpipe (see bench/matmul.ts); on a real GPU matmul_vec4 (shared-memory tiles) is the default.
//
// A workgroup is one row of WG invocations. All of them share the same TM rows of a (rows
// wid.x·TM + i), so every load of a has a workgroup-uniform address (a CPU rasterizer such as
// llvmpipe turns it into one scalar load and a broadcast); each invocation owns one vec4 column
// block c4 = wid.y·WG + lx of b and out. Row blocks vary fastest across workgroups, so
// neighbouring workgroups (run back to back by one CPU thread) reuse the same panel of b.
// Per 4 values of k: TM vec4 loads of a (uniform), 4 vec4 loads of b, 16·TM multiply-adds.
// Rows/columns past the edge are clamped for loading and skipped for storing.
//
// The TM ≤ 32 accumulators are written out by hand (acc0 … acc31), each guarded by `TM > i`:
// the guards fold away once the override is fixed, leaving straight-line code with the
// accumulators in registers (a loop over a function-scope array was 25% slower on llvmpipe).

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
override TM: u32 = 32u; // rows per workgroup, 1 ≤ TM ≤ 32

// acc + a-row values (av) times the 4 b rows (b0..b3) of one k-step.
fn mac(acc: vec4<f32>, av: vec4<f32>, b0: vec4<f32>, b1: vec4<f32>, b2: vec4<f32>, b3: vec4<f32>) -> vec4<f32> {
  return fma(b3, vec4<f32>(av.w), fma(b2, vec4<f32>(av.z), fma(b1, vec4<f32>(av.y), fma(b0, vec4<f32>(av.x), acc))));
}

// Writes (or adds) one finished vec4 of out when its row and column are inside.
fn store(r: u32, c4: u32, n4: u32, v: vec4<f32>) {
  if (r >= params.m || c4 >= n4) {
    return;
  }
  let o = r * n4 + c4;
  if (params.accumulate == 1u) {
    out[o] += v;
  } else {
    out[o] = v;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let k4 = params.k / 4u;
  let n4 = params.n / 4u;
  let row0 = wid.x * TM;
  let c4 = wid.y * WG + lid.x;
  let cl = min(c4, n4 - 1u); // clamped column for loads
  let last = params.m - 1u; // rows past the edge load the last row (clamped)
  var acc0 = vec4<f32>(0.0);
  let ar0 = min(row0 + 0u, last) * k4;
  var acc1 = vec4<f32>(0.0);
  let ar1 = min(row0 + 1u, last) * k4;
  var acc2 = vec4<f32>(0.0);
  let ar2 = min(row0 + 2u, last) * k4;
  var acc3 = vec4<f32>(0.0);
  let ar3 = min(row0 + 3u, last) * k4;
  var acc4 = vec4<f32>(0.0);
  let ar4 = min(row0 + 4u, last) * k4;
  var acc5 = vec4<f32>(0.0);
  let ar5 = min(row0 + 5u, last) * k4;
  var acc6 = vec4<f32>(0.0);
  let ar6 = min(row0 + 6u, last) * k4;
  var acc7 = vec4<f32>(0.0);
  let ar7 = min(row0 + 7u, last) * k4;
  var acc8 = vec4<f32>(0.0);
  let ar8 = min(row0 + 8u, last) * k4;
  var acc9 = vec4<f32>(0.0);
  let ar9 = min(row0 + 9u, last) * k4;
  var acc10 = vec4<f32>(0.0);
  let ar10 = min(row0 + 10u, last) * k4;
  var acc11 = vec4<f32>(0.0);
  let ar11 = min(row0 + 11u, last) * k4;
  var acc12 = vec4<f32>(0.0);
  let ar12 = min(row0 + 12u, last) * k4;
  var acc13 = vec4<f32>(0.0);
  let ar13 = min(row0 + 13u, last) * k4;
  var acc14 = vec4<f32>(0.0);
  let ar14 = min(row0 + 14u, last) * k4;
  var acc15 = vec4<f32>(0.0);
  let ar15 = min(row0 + 15u, last) * k4;
  var acc16 = vec4<f32>(0.0);
  let ar16 = min(row0 + 16u, last) * k4;
  var acc17 = vec4<f32>(0.0);
  let ar17 = min(row0 + 17u, last) * k4;
  var acc18 = vec4<f32>(0.0);
  let ar18 = min(row0 + 18u, last) * k4;
  var acc19 = vec4<f32>(0.0);
  let ar19 = min(row0 + 19u, last) * k4;
  var acc20 = vec4<f32>(0.0);
  let ar20 = min(row0 + 20u, last) * k4;
  var acc21 = vec4<f32>(0.0);
  let ar21 = min(row0 + 21u, last) * k4;
  var acc22 = vec4<f32>(0.0);
  let ar22 = min(row0 + 22u, last) * k4;
  var acc23 = vec4<f32>(0.0);
  let ar23 = min(row0 + 23u, last) * k4;
  var acc24 = vec4<f32>(0.0);
  let ar24 = min(row0 + 24u, last) * k4;
  var acc25 = vec4<f32>(0.0);
  let ar25 = min(row0 + 25u, last) * k4;
  var acc26 = vec4<f32>(0.0);
  let ar26 = min(row0 + 26u, last) * k4;
  var acc27 = vec4<f32>(0.0);
  let ar27 = min(row0 + 27u, last) * k4;
  var acc28 = vec4<f32>(0.0);
  let ar28 = min(row0 + 28u, last) * k4;
  var acc29 = vec4<f32>(0.0);
  let ar29 = min(row0 + 29u, last) * k4;
  var acc30 = vec4<f32>(0.0);
  let ar30 = min(row0 + 30u, last) * k4;
  var acc31 = vec4<f32>(0.0);
  let ar31 = min(row0 + 31u, last) * k4;
  for (var kk4 = 0u; kk4 < k4; kk4++) {
    let kb = kk4 * 4u * n4 + cl;
    let b0 = b[kb];
    let b1 = b[kb + n4];
    let b2 = b[kb + 2u * n4];
    let b3 = b[kb + 3u * n4];
    if (TM > 0u) { acc0 = mac(acc0, a[ar0 + kk4], b0, b1, b2, b3); }
    if (TM > 1u) { acc1 = mac(acc1, a[ar1 + kk4], b0, b1, b2, b3); }
    if (TM > 2u) { acc2 = mac(acc2, a[ar2 + kk4], b0, b1, b2, b3); }
    if (TM > 3u) { acc3 = mac(acc3, a[ar3 + kk4], b0, b1, b2, b3); }
    if (TM > 4u) { acc4 = mac(acc4, a[ar4 + kk4], b0, b1, b2, b3); }
    if (TM > 5u) { acc5 = mac(acc5, a[ar5 + kk4], b0, b1, b2, b3); }
    if (TM > 6u) { acc6 = mac(acc6, a[ar6 + kk4], b0, b1, b2, b3); }
    if (TM > 7u) { acc7 = mac(acc7, a[ar7 + kk4], b0, b1, b2, b3); }
    if (TM > 8u) { acc8 = mac(acc8, a[ar8 + kk4], b0, b1, b2, b3); }
    if (TM > 9u) { acc9 = mac(acc9, a[ar9 + kk4], b0, b1, b2, b3); }
    if (TM > 10u) { acc10 = mac(acc10, a[ar10 + kk4], b0, b1, b2, b3); }
    if (TM > 11u) { acc11 = mac(acc11, a[ar11 + kk4], b0, b1, b2, b3); }
    if (TM > 12u) { acc12 = mac(acc12, a[ar12 + kk4], b0, b1, b2, b3); }
    if (TM > 13u) { acc13 = mac(acc13, a[ar13 + kk4], b0, b1, b2, b3); }
    if (TM > 14u) { acc14 = mac(acc14, a[ar14 + kk4], b0, b1, b2, b3); }
    if (TM > 15u) { acc15 = mac(acc15, a[ar15 + kk4], b0, b1, b2, b3); }
    if (TM > 16u) { acc16 = mac(acc16, a[ar16 + kk4], b0, b1, b2, b3); }
    if (TM > 17u) { acc17 = mac(acc17, a[ar17 + kk4], b0, b1, b2, b3); }
    if (TM > 18u) { acc18 = mac(acc18, a[ar18 + kk4], b0, b1, b2, b3); }
    if (TM > 19u) { acc19 = mac(acc19, a[ar19 + kk4], b0, b1, b2, b3); }
    if (TM > 20u) { acc20 = mac(acc20, a[ar20 + kk4], b0, b1, b2, b3); }
    if (TM > 21u) { acc21 = mac(acc21, a[ar21 + kk4], b0, b1, b2, b3); }
    if (TM > 22u) { acc22 = mac(acc22, a[ar22 + kk4], b0, b1, b2, b3); }
    if (TM > 23u) { acc23 = mac(acc23, a[ar23 + kk4], b0, b1, b2, b3); }
    if (TM > 24u) { acc24 = mac(acc24, a[ar24 + kk4], b0, b1, b2, b3); }
    if (TM > 25u) { acc25 = mac(acc25, a[ar25 + kk4], b0, b1, b2, b3); }
    if (TM > 26u) { acc26 = mac(acc26, a[ar26 + kk4], b0, b1, b2, b3); }
    if (TM > 27u) { acc27 = mac(acc27, a[ar27 + kk4], b0, b1, b2, b3); }
    if (TM > 28u) { acc28 = mac(acc28, a[ar28 + kk4], b0, b1, b2, b3); }
    if (TM > 29u) { acc29 = mac(acc29, a[ar29 + kk4], b0, b1, b2, b3); }
    if (TM > 30u) { acc30 = mac(acc30, a[ar30 + kk4], b0, b1, b2, b3); }
    if (TM > 31u) { acc31 = mac(acc31, a[ar31 + kk4], b0, b1, b2, b3); }
  }
  if (TM > 0u) { store(row0 + 0u, c4, n4, acc0); }
  if (TM > 1u) { store(row0 + 1u, c4, n4, acc1); }
  if (TM > 2u) { store(row0 + 2u, c4, n4, acc2); }
  if (TM > 3u) { store(row0 + 3u, c4, n4, acc3); }
  if (TM > 4u) { store(row0 + 4u, c4, n4, acc4); }
  if (TM > 5u) { store(row0 + 5u, c4, n4, acc5); }
  if (TM > 6u) { store(row0 + 6u, c4, n4, acc6); }
  if (TM > 7u) { store(row0 + 7u, c4, n4, acc7); }
  if (TM > 8u) { store(row0 + 8u, c4, n4, acc8); }
  if (TM > 9u) { store(row0 + 9u, c4, n4, acc9); }
  if (TM > 10u) { store(row0 + 10u, c4, n4, acc10); }
  if (TM > 11u) { store(row0 + 11u, c4, n4, acc11); }
  if (TM > 12u) { store(row0 + 12u, c4, n4, acc12); }
  if (TM > 13u) { store(row0 + 13u, c4, n4, acc13); }
  if (TM > 14u) { store(row0 + 14u, c4, n4, acc14); }
  if (TM > 15u) { store(row0 + 15u, c4, n4, acc15); }
  if (TM > 16u) { store(row0 + 16u, c4, n4, acc16); }
  if (TM > 17u) { store(row0 + 17u, c4, n4, acc17); }
  if (TM > 18u) { store(row0 + 18u, c4, n4, acc18); }
  if (TM > 19u) { store(row0 + 19u, c4, n4, acc19); }
  if (TM > 20u) { store(row0 + 20u, c4, n4, acc20); }
  if (TM > 21u) { store(row0 + 21u, c4, n4, acc21); }
  if (TM > 22u) { store(row0 + 22u, c4, n4, acc22); }
  if (TM > 23u) { store(row0 + 23u, c4, n4, acc23); }
  if (TM > 24u) { store(row0 + 24u, c4, n4, acc24); }
  if (TM > 25u) { store(row0 + 25u, c4, n4, acc25); }
  if (TM > 26u) { store(row0 + 26u, c4, n4, acc26); }
  if (TM > 27u) { store(row0 + 27u, c4, n4, acc27); }
  if (TM > 28u) { store(row0 + 28u, c4, n4, acc28); }
  if (TM > 29u) { store(row0 + 29u, c4, n4, acc29); }
  if (TM > 30u) { store(row0 + 30u, c4, n4, acc30); }
  if (TM > 31u) { store(row0 + 31u, c4, n4, acc31); }
}
