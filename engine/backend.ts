/**
 * The backend contract: the low-level kernels every compute backend implements.
 *
 * Three implementations: `engine/reference` (plain f64 TypeScript, the spec), `gpu/` (WGSL compute
 * shaders) and `wasm/cpu` (Rust→Wasm SIMD on all cores). The autograd tape (`engine/tensor.ts`) and
 * the ops (`engine/ops/`) are written once against this interface.
 *
 * Contract for every kernel:
 * - Buffers are flat arrays of 32-bit floats (f64 in the reference), row-major, addressed in
 *   elements, never bytes. Sizes are passed explicitly; kernels never see a `Tensor`.
 * - Kernels only *enqueue* work: they return nothing and never wait. Results become visible to
 *   `read()`, which is the only asynchronous method. Work is executed in the order it was enqueued,
 *   so a buffer freed with `free()` may be handed out again and reused by later kernels at once.
 * - `out` never aliases an input unless the kernel says so (`accumulate` kernels read `out`).
 * - Kernels do not validate shapes: the ops layer does, and names the op in its errors.
 *
 * Dimension letters used in shape comments: B batch, C channels, H/W height/width, M/K/N matmul
 * sizes (out[M,N] = a[M,K]·b[K,N]), R rows, L reduced length, O outer, I inner.
 */

/** Handle to backend memory holding `size` floats. Opaque outside its backend. */
export interface DeviceBuffer {
  /** Number of float elements. */
  readonly size: number;
}

/** Names of the compute backends. */
export type BackendName = "reference" | "webgpu" | "wasm";

/** Elementwise unary functions. `alpha` is the negative slope of `leaky_relu`, ignored elsewhere. */
export type UnaryOp =
  | "neg"
  | "exp"
  | "log"
  | "sqrt"
  | "square"
  | "abs"
  | "relu"
  | "leaky_relu"
  | "silu"
  | "gelu" // tanh approximation: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))
  | "sigmoid"
  | "tanh"
  | "softplus"; // log(1 + eˣ), computed stably

/**
 * Elementwise binary functions with NumPy broadcasting.
 * `bce_logits`: a = logits, b = targets → max(a,0) − a·b + log(1 + e^{−|a|}).
 */
export type BinaryOp = "add" | "sub" | "mul" | "div" | "bce_logits";

/** Strided description of a broadcast binary op; shapes have at most 6 dims. */
export interface BroadcastSpec {
  /** Output shape, also the iteration space. */
  shape: readonly number[];
  /** Element strides of `a` per output dim (0 where `a` is broadcast). */
  aStrides: readonly number[];
  /** Element strides of `b` per output dim (0 where `b` is broadcast). */
  bStrides: readonly number[];
}

/** Matmul sizes and layout: out[M,N] (+)= op(a)·op(b), op = transpose when the flag is set. */
export interface MatmulSpec {
  m: number;
  k: number;
  n: number;
  /** a is stored as [K, M] and used transposed. */
  transA: boolean;
  /** b is stored as [N, K] and used transposed. */
  transB: boolean;
  /** Add into `out` instead of overwriting it. */
  accumulate: boolean;
}

/** 2-D convolution geometry shared by `im2col` and `col2im`. */
export interface ConvGeometry {
  /** Batch. */
  b: number;
  /** Input channels. */
  c: number;
  /** Input height and width. */
  h: number;
  w: number;
  /** Kernel height and width. */
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  /** Output height and width: (h + 2·pad − kh) / stride + 1, floored. */
  oh: number;
  ow: number;
}

/**
 * Size and function of the elementwise unary kernels (`unary`, `unaryBackward`, `unarySecond`).
 */
export interface UnarySpec {
  op: UnaryOp;
  /** Number of elements. */
  n: number;
  /** Negative slope of `leaky_relu`; ignored by the other ops. Default 0. */
  alpha?: number;
}

/** Buffers of `unaryBackward`: dx = dy · f′(x). */
export interface UnaryBackwardBuffers<B = DeviceBuffer> {
  x: B;
  dy: B;
  dx: B;
}

/** Buffers of `unarySecond`: out = a · b · f″(x). */
export interface UnarySecondBuffers<B = DeviceBuffer> {
  x: B;
  a: B;
  b: B;
  out: B;
}

/** Size and coefficients of `affine`: out = scale·x + shift. */
export interface AffineSpec {
  n: number;
  scale: number;
  shift: number;
}

/** Two inputs and an output: `binary` (out = a ∘ b) and `matmul` (out = op(a)·op(b)). */
export interface BinaryBuffers<B = DeviceBuffer> {
  a: B;
  b: B;
  out: B;
}

/** A broadcast binary op: the function and its strided iteration space. */
export interface BinarySpec extends BroadcastSpec {
  op: BinaryOp;
}

/** Geometry of `reduceSum`: x laid out as [outer, len, inner] is summed over `len`. */
export interface ReduceSumSpec {
  outer: number;
  len: number;
  inner: number;
  /** Add into `out` instead of overwriting it. */
  accumulate: boolean;
}

/** Size of `sumSquares`. */
export interface SumSquaresSpec {
  n: number;
  /** Add into out[0] instead of overwriting it. */
  accumulate: boolean;
}

/** Axes of `permute`: x has `shape` (at most 6 dims), out has shape shape[perm[j]]. */
export interface PermuteSpec {
  shape: readonly number[];
  perm: readonly number[];
}

/** Geometry of `col2im`. */
export interface Col2imSpec extends ConvGeometry {
  /** Add into `dx` instead of overwriting it. */
  accumulate: boolean;
}

/** Buffers of `normForward`: x and the affine map γ, β in; y and the saved statistics out. */
export interface NormForwardBuffers<B = DeviceBuffer> {
  /** Input (rows·cols). */
  x: B;
  /** Per-channel scale and shift (groups·cols/chanInner). */
  gamma: B;
  beta: B;
  /** Output (rows·cols). */
  y: B;
  /** Saved per-row mean and 1/sqrt(var + eps) (rows). */
  mean: B;
  rstd: B;
}

/** Buffers of `normBackward`: the forward's x, γ and statistics, dy in; dx, dγ, dβ out. */
export interface NormBackwardBuffers<B = DeviceBuffer> {
  x: B;
  gamma: B;
  mean: B;
  rstd: B;
  /** Upstream gradient (rows·cols). */
  dy: B;
  /** Gradient of x (rows·cols), overwritten. */
  dx: B;
  /** Gradients of γ and β (channels), accumulated into. */
  dgamma: B;
  dbeta: B;
}

/** R rows of C contiguous values (`logSoftmax`, `logSoftmaxBackward`, `langevinUpdate`). */
export interface RowsSpec {
  rows: number;
  cols: number;
}

/** Buffers of `logSoftmaxBackward`: dx = dy − exp(y)·Σ_row dy. */
export interface LogSoftmaxBackwardBuffers<B = DeviceBuffer> {
  /** The forward's output (log-probabilities). */
  y: B;
  dy: B;
  dx: B;
}

/** Shape and frequencies of `timeEmbedding`. */
export interface TimeEmbeddingSpec {
  /** Batch: the number of times t, rows of out. */
  b: number;
  /** Embedding width (even). */
  dim: number;
  /** Longest period: f_j = exp(−ln(maxPeriod)·j/(dim/2)) · scale. */
  maxPeriod: number;
  scale: number;
}

/** Buffers of one fused Adam step: the parameters, their gradient and the two moments. */
export interface AdamBuffers<B = DeviceBuffer> {
  /** Parameters, updated in place. */
  param: B;
  grad: B;
  /** First and second moments, updated in place. */
  m: B;
  v: B;
  /** Squared global gradient norm (1 element) for clipping; null: no clipping. */
  normSq: B | null;
}

/** Adam/AdamW hyperparameters and size for one fused update. */
export interface AdamSpec {
  /** Number of parameters. */
  n: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay (AdamW); 0 gives Adam. */
  weightDecay: number;
  /** 1-based step number, for bias correction. */
  step: number;
  /**
   * Gradient clipping by global norm: when > 0 and `normSq` is given, the gradient is scaled by
   * min(1, maxNorm / sqrt(normSq[0])) on the device, so clipping needs no readback.
   */
  maxNorm: number;
}

/** What `random` draws: n values of stream `seed` starting at counter `offset`. */
export interface RandomSpec {
  n: number;
  /** "normal" is N(0, 1), "uniform" is [0, 1). */
  dist: "normal" | "uniform";
  seed: number;
  offset: number;
}

/** Buffers of the sampler updates `sdeUpdate` and `langevinUpdate`; `out` may alias `z`. */
export interface SamplerBuffers<B = DeviceBuffer> {
  /** Current state. */
  z: B;
  /** Score at z. */
  s: B;
  /** Standard normal noise. */
  noise: B;
  out: B;
}

/** Size and coefficients of `sdeUpdate`: out = cz·z + cs·s + cn·noise. */
export interface SdeUpdateSpec {
  n: number;
  cz: number;
  cs: number;
  cn: number;
}

/** Rows and step-size constants of `langevinUpdate`. */
export interface LangevinSpec extends RowsSpec {
  /** Signal-to-noise ratio of the step size. */
  snr: number;
  /** Factor of the step size ε = 2·alpha·(snr·‖noise‖ / ‖s‖)² (the sampler's discrete α_t). */
  alpha: number;
}

/**
 * Every kernel a compute backend provides. See the module doc for the shared contract.
 *
 * Signatures: the input and the output buffer positionally when a kernel has at most two,
 * otherwise one named record of buffers; sizes, flags and constants in a spec record.
 */
export interface Backend {
  readonly name: BackendName;
  /** True when this backend's storage is f64 (the reference); f32 otherwise. */
  readonly f64: boolean;

  /** Allocates a buffer of `size` floats; its contents are unspecified. */
  alloc(size: number): DeviceBuffer;
  /** Returns a buffer to the backend's pool; enqueued work that reads it still sees its data. */
  free(buf: DeviceBuffer): void;
  /** Copies host data into `buf` starting at element `offset`. */
  write(buf: DeviceBuffer, data: ArrayLike<number>, offset?: number): void;
  /** Waits for all enqueued work and returns a copy of `buf` (f32 or f64 per backend). */
  read(buf: DeviceBuffer): Promise<Float32Array | Float64Array>;
  /** Hands enqueued work to the device without waiting (WebGPU: one submit); no-op elsewhere. */
  flush(): void;
  /** Releases every resource; the backend is unusable afterwards. */
  destroy(): void;

  /** out[i] = value for i < n (n defaults to out.size). */
  fill(out: DeviceBuffer, value: number, n?: number): void;
  /**
   * Strided block copy, the kernel behind concat, slice and split:
   * for o < outer, i < inner: dst[dstOffset + o·dstStride + i] (+)= src[srcOffset + o·srcStride + i].
   */
  copyBlocks(src: DeviceBuffer, dst: DeviceBuffer, spec: CopyBlocksSpec): void;
  /** out = f(x), n elements. */
  unary(x: DeviceBuffer, out: DeviceBuffer, spec: UnarySpec): void;
  /** dx = dy · f′(x) (also the forward-mode product f′(x)·v when dy is a tangent). */
  unaryBackward(bufs: UnaryBackwardBuffers, spec: UnarySpec): void;
  /** out = a · b · f″(x): the derivative of f′(x)·a with respect to x, seeded with b. */
  unarySecond(bufs: UnarySecondBuffers, spec: UnarySpec): void;
  /** out = scale·x + shift, n elements (`out` may alias `x`). */
  affine(x: DeviceBuffer, out: DeviceBuffer, spec: AffineSpec): void;
  /** out = a ∘ b with broadcasting as described by `spec`. */
  binary(bufs: BinaryBuffers, spec: BinarySpec): void;
  /** out[o, i] (+)= Σ_l x[o, l, i] for x laid out as [outer, len, inner]. */
  reduceSum(x: DeviceBuffer, out: DeviceBuffer, spec: ReduceSumSpec): void;
  /** out[0] (+)= Σ x[i]², n elements: the global gradient norm is built from these. */
  sumSquares(x: DeviceBuffer, out: DeviceBuffer, spec: SumSquaresSpec): void;
  /** out[M,N] (+)= op(a)·op(b). */
  matmul(bufs: BinaryBuffers, spec: MatmulSpec): void;
  /**
   * Permutes the axes of x (shape of at most 6 dims): out has shape shape[perm[j]] and
   * out[…, idx_j, …] = x[…] with idx_j = x's index along axis perm[j].
   */
  permute(x: DeviceBuffer, out: DeviceBuffer, spec: PermuteSpec): void;
  /**
   * x (B, C, H, W) → col (C·KH·KW, B·OH·OW); row r = (c·KH + i)·KW + j, column (b·OH + y)·OW + x.
   * Taps outside the padded image are 0.
   */
  im2col(x: DeviceBuffer, col: DeviceBuffer, g: ConvGeometry): void;
  /** The adjoint of `im2col`: dx (B, C, H, W) (+)= scatter of col, computed as a gather per pixel. */
  col2im(col: DeviceBuffer, dx: DeviceBuffer, spec: Col2imSpec): void;
  /**
   * Normalises each of `rows` groups of `cols` contiguous values of x, then applies a per-channel
   * affine map: y = (x − μ_r)·rstd_r·γ[ch] + β[ch], rstd_r = 1/sqrt(var_r + eps) (biased variance),
   * with ch = (r mod groups)·(cols / chanInner) + floor(j / chanInner) for element j of row r.
   * Layer norm on (R, C): rows = R, cols = C, groups = 1, chanInner = 1.
   * Group norm on (B, C, HW) with G groups: rows = B·G, cols = (C/G)·HW, groups = G, chanInner = HW.
   * Saves mean (rows) and rstd (rows) for the backward pass.
   */
  normForward(bufs: NormForwardBuffers, spec: NormSpec): void;
  /** Gradients of `normForward`: dx (overwritten), dgamma and dbeta (accumulated into). */
  normBackward(bufs: NormBackwardBuffers, spec: NormSpec): void;
  /** y = log-softmax of each row of x (R, C). */
  logSoftmax(x: DeviceBuffer, y: DeviceBuffer, spec: RowsSpec): void;
  /** dx = dy − exp(y)·Σ_row dy, the backward of `logSoftmax` given its output y. */
  logSoftmaxBackward(bufs: LogSoftmaxBackwardBuffers, spec: RowsSpec): void;
  /**
   * Sinusoidal embedding of t (B) → out (B, dim): out[b, j] = sin(t·f_j) for j < dim/2 and
   * cos(t·f_{j−dim/2}) after, f_j = exp(−ln(maxPeriod)·j/(dim/2)) · scale. dim is even.
   */
  timeEmbedding(t: DeviceBuffer, out: DeviceBuffer, spec: TimeEmbeddingSpec): void;
  /**
   * One fused Adam/AdamW step on n parameters, with g = grad·clip (clip from `AdamSpec.maxNorm`):
   * m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g², m̂ = m/(1 − β1^step), v̂ = v/(1 − β2^step),
   * param = param − lr·(m̂/(sqrt(v̂) + eps) + weightDecay·param).
   */
  adam(bufs: AdamBuffers, spec: AdamSpec): void;
  /**
   * Counter-based random numbers (see engine/random.ts for the exact algorithm, identical on every
   * backend): out[i] = sample(seed, offset + i); "normal" is N(0, 1), "uniform" is [0, 1).
   */
  random(out: DeviceBuffer, spec: RandomSpec): void;
  /**
   * Fused linear update of n elements: out = cz·z + cs·s + cn·noise (the reverse-SDE
   * Euler–Maruyama predictor and its relatives). `out` may alias `z`.
   */
  sdeUpdate(bufs: SamplerBuffers, spec: SdeUpdateSpec): void;
  /**
   * Langevin corrector step on each row r of (R, C), with the step size computed on the device:
   * ε_r = 2·alpha·(snr·‖noise_r‖ / ‖s_r‖)² (ε_r = 0 when ‖s_r‖ = 0),
   * out_r = z_r + ε_r·s_r + √(2ε_r)·noise_r. `out` may alias `z`.
   */
  langevinUpdate(bufs: SamplerBuffers, spec: LangevinSpec): void;
}

/** Geometry of `copyBlocks`: `outer` blocks of `inner` elements; see `Backend.copyBlocks`. */
export interface CopyBlocksSpec {
  outer: number;
  inner: number;
  srcStride: number;
  dstStride: number;
  srcOffset: number;
  dstOffset: number;
  /** Add into dst instead of overwriting it. */
  accumulate: boolean;
}

/** Geometry of `normForward`/`normBackward`; see `Backend.normForward`. */
export interface NormSpec {
  rows: number;
  cols: number;
  /** Number of normalisation groups per sample (1 for layer norm). */
  groups: number;
  /** Contiguous elements sharing one γ/β entry (1 for layer norm, H·W for group norm). */
  chanInner: number;
  eps: number;
}
