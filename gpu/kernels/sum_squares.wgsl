// sum_squares: out[0] (+)= Σ_{i<n} x[i]². A single workgroup of WG invocations (WG a power of
// two): each sums a strided share, then a tree reduction in workgroup memory; invocation 0 writes.
// Used once per parameter buffer for the global gradient norm, so one workgroup is enough.

struct Params {
  n: u32,
  accumulate: u32, // 1: add into out[0]
}

@group(0) @binding(0) var<storage, read> x: array<f32>; // (n)
@group(0) @binding(1) var<storage, read_write> out: array<f32>; // (1)
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 256u;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) tid: u32) {
  var acc = 0.0;
  for (var i = tid; i < params.n; i += WG) {
    let v = x[i];
    acc += v * v;
  }
  partial[tid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (tid < s) {
      partial[tid] += partial[tid + s];
    }
    workgroupBarrier();
  }
  if (tid == 0u) {
    if (params.accumulate == 1u) {
      out[0] += partial[0];
    } else {
      out[0] = partial[0];
    }
  }
}
