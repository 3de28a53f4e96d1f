// random: counter-based random numbers, bit-for-bit the u32 stream of engine/random.ts:
// bits(c) = h(h(c ⊕ key) + key) with h = lowbias32 (C. Wellons); key = h(seed ⊕ 0x9E3779B9) is
// computed on the host. uniform = (bits(c) >> 8)·2⁻²⁴; normal = Box–Muller on counters 2c, 2c+1
// (u1 = ((bits >> 8) + 1)·2⁻²⁴ ∈ (0, 1]). c = offset + i, u32 wrapping. The integer part is
// exact; only the f32 log/cos/sqrt of the normal may differ from the f64 reference by rounding.
// One invocation per output element on a 2-D grid; guarded at n.

struct Params {
  n: u32,
  dist: u32, // 0 uniform, 1 normal
  key: u32,
  offset: u32,
}

@group(0) @binding(0) var<storage, read_write> out: array<f32>; // (n)
@group(0) @binding(1) var<uniform> params: Params;

override WG: u32 = 64u;

const INV_2_24: f32 = 5.9604644775390625e-8; // 2^-24
const TWO_PI: f32 = 6.283185307179586;

fn hash32(v: u32) -> u32 {
  var x = v;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}

fn bits(c: u32) -> u32 {
  return hash32(hash32(c ^ params.key) + params.key);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) {
    return;
  }
  let c = params.offset + i;
  if (params.dist == 0u) {
    out[i] = f32(bits(c) >> 8u) * INV_2_24;
    return;
  }
  let c2 = c * 2u;
  let u1 = f32((bits(c2) >> 8u) + 1u) * INV_2_24;
  let u2 = f32(bits(c2 + 1u) >> 8u) * INV_2_24;
  out[i] = sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2);
}
