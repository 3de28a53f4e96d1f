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

/** Adam/AdamW hyperparameters for one fused update. */
export interface AdamSpec {
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

/** Every kernel a compute backend provides. See the module doc for the shared contract. */
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
  copyBlocks(
    src: DeviceBuffer,
    dst: DeviceBuffer,
    spec: CopyBlocksSpec,
  ): void;
  /** out = f(x), n elements. */
  unary(op: UnaryOp, x: DeviceBuffer, out: DeviceBuffer, n: number, alpha?: number): void;
  /** dx = dy · f′(x) (also the forward-mode product f′(x)·v when dy is a tangent). */
  unaryBackward(
    op: UnaryOp,
    x: DeviceBuffer,
    dy: DeviceBuffer,
    dx: DeviceBuffer,
    n: number,
    alpha?: number,
  ): void;
  /** out = a · b · f″(x): the derivative of f′(x)·a with respect to x, seeded with b. */
  unarySecond(
    op: UnaryOp,
    x: DeviceBuffer,
    a: DeviceBuffer,
    b: DeviceBuffer,
    out: DeviceBuffer,
    n: number,
    alpha?: number,
  ): void;
  /** out = scale·x + shift, n elements (`out` may alias `x`). */
  affine(x: DeviceBuffer, out: DeviceBuffer, n: number, scale: number, shift: number): void;
  /** out = a ∘ b with broadcasting as described by `spec`. */
  binary(
    op: BinaryOp,
    a: DeviceBuffer,
    b: DeviceBuffer,
    out: DeviceBuffer,
    spec: BroadcastSpec,
  ): void;
  /** out[o, i] (+)= Σ_l x[o, l, i] for x laid out as [outer, len, inner]. */
  reduceSum(
    x: DeviceBuffer,
    out: DeviceBuffer,
    spec: { outer: number; len: number; inner: number; accumulate: boolean },
  ): void;
  /** out[0] (+)= Σ x[i]², n elements: the global gradient norm is built from these. */
  sumSquares(x: DeviceBuffer, out: DeviceBuffer, n: number, accumulate: boolean): void;
  /** out[M,N] (+)= op(a)·op(b). */
  matmul(a: DeviceBuffer, b: DeviceBuffer, out: DeviceBuffer, spec: MatmulSpec): void;
  /**
   * Permutes the axes of x (shape of at most 6 dims): out has shape shape[perm[j]] and
   * out[…, idx_j, …] = x[…] with idx_j = x's index along axis perm[j].
   */
  permute(
    x: DeviceBuffer,
    out: DeviceBuffer,
    shape: readonly number[],
    perm: readonly number[],
  ): void;
  /**
   * x (B, C, H, W) → col (C·KH·KW, B·OH·OW); row r = (c·KH + i)·KW + j, column (b·OH + y)·OW + x.
   * Taps outside the padded image are 0.
   */
  im2col(x: DeviceBuffer, col: DeviceBuffer, g: ConvGeometry): void;
  /** The adjoint of `im2col`: dx (B, C, H, W) (+)= scatter of col, computed as a gather per pixel. */
  col2im(col: DeviceBuffer, dx: DeviceBuffer, g: ConvGeometry, accumulate: boolean): void;
  /**
   * Normalises each of `rows` groups of `cols` contiguous values of x, then applies a per-channel
   * affine map: y = (x − μ_r)·rstd_r·γ[ch] + β[ch], rstd_r = 1/sqrt(var_r + eps) (biased variance),
   * with ch = (r mod groups)·(cols / chanInner) + floor(j / chanInner) for element j of row r.
   * Layer norm on (R, C): rows = R, cols = C, groups = 1, chanInner = 1.
   * Group norm on (B, C, HW) with G groups: rows = B·G, cols = (C/G)·HW, groups = G, chanInner = HW.
   * Saves mean (rows) and rstd (rows) for the backward pass.
   */
  normForward(
    x: DeviceBuffer,
    gamma: DeviceBuffer,
    beta: DeviceBuffer,
    y: DeviceBuffer,
    mean: DeviceBuffer,
    rstd: DeviceBuffer,
    spec: NormSpec,
  ): void;
  /** Gradients of `normForward`: dx (overwritten), dgamma and dbeta (accumulated into). */
  normBackward(
    x: DeviceBuffer,
    gamma: DeviceBuffer,
    mean: DeviceBuffer,
    rstd: DeviceBuffer,
    dy: DeviceBuffer,
    dx: DeviceBuffer,
    dgamma: DeviceBuffer,
    dbeta: DeviceBuffer,
    spec: NormSpec,
  ): void;
  /** y = log-softmax of each row of x (R, C). */
  logSoftmax(x: DeviceBuffer, y: DeviceBuffer, rows: number, cols: number): void;
  /** dx = dy − exp(y)·Σ_row dy, the backward of `logSoftmax` given its output y. */
  logSoftmaxBackward(
    y: DeviceBuffer,
    dy: DeviceBuffer,
    dx: DeviceBuffer,
    rows: number,
    cols: number,
  ): void;
  /**
   * Sinusoidal embedding of t (B) → out (B, dim): out[b, j] = sin(t·f_j) for j < dim/2 and
   * cos(t·f_{j−dim/2}) after, f_j = exp(−ln(maxPeriod)·j/(dim/2)) · scale. dim is even.
   */
  timeEmbedding(
    t: DeviceBuffer,
    out: DeviceBuffer,
    b: number,
    dim: number,
    maxPeriod: number,
    scale: number,
  ): void;
  /** One fused Adam/AdamW step on n parameters; m and v are the moment buffers. */
  adam(
    param: DeviceBuffer,
    grad: DeviceBuffer,
    m: DeviceBuffer,
    v: DeviceBuffer,
    normSq: DeviceBuffer | null,
    n: number,
    spec: AdamSpec,
  ): void;
  /**
   * Counter-based random numbers (see engine/random.ts for the exact algorithm, identical on every
   * backend): out[i] = sample(seed, offset + i); "normal" is N(0, 1), "uniform" is [0, 1).
   */
  random(
    out: DeviceBuffer,
    n: number,
    dist: "normal" | "uniform",
    seed: number,
    offset: number,
  ): void;
  /**
   * Fused linear update of n elements: out = cz·z + cs·s + cn·noise (the reverse-SDE
   * Euler–Maruyama predictor and its relatives). `out` may alias `z`.
   */
  sdeUpdate(
    z: DeviceBuffer,
    s: DeviceBuffer,
    noise: DeviceBuffer,
    out: DeviceBuffer,
    n: number,
    c: { cz: number; cs: number; cn: number },
  ): void;
  /**
   * Langevin corrector step on each row r of (R, C), with the step size computed on the device:
   * ε_r = 2·alpha·(snr·‖noise_r‖ / ‖s_r‖)² (ε_r = 0 when ‖s_r‖ = 0),
   * out_r = z_r + ε_r·s_r + √(2ε_r)·noise_r. `out` may alias `z`.
   */
  langevinUpdate(
    z: DeviceBuffer,
    s: DeviceBuffer,
    noise: DeviceBuffer,
    out: DeviceBuffer,
    rows: number,
    cols: number,
    c: { snr: number; alpha: number },
  ): void;
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
