/**
 * Reference backend: every kernel of `engine/backend.ts` as plain f64 loops, no tiling, no threads.
 *
 * This is the spec the WebGPU and Wasm backends are tested against, and it runs the finite-difference
 * checks of every backward pass (f64 makes central differences trustworthy). It is deliberately
 * slow and obvious; the scalar math lives in `./scalar.ts` so tests can call it directly.
 */
import type {
  AdamBuffers,
  AdamSpec,
  AffineSpec,
  Backend,
  BinaryBuffers,
  BinarySpec,
  Col2imSpec,
  ConvGeometry,
  CopyBlocksSpec,
  DeviceBuffer,
  LangevinSpec,
  LogSoftmaxBackwardBuffers,
  MatmulSpec,
  NormBackwardBuffers,
  NormForwardBuffers,
  NormSpec,
  PermuteSpec,
  RandomSpec,
  ReduceSumSpec,
  RowsSpec,
  SamplerBuffers,
  SdeUpdateSpec,
  SumSquaresSpec,
  TimeEmbeddingSpec,
  UnaryBackwardBuffers,
  UnarySecondBuffers,
  UnarySpec,
} from "../backend.ts";
import { fillRandom } from "../random.ts";
import { binaryF, unaryD1, unaryD2, unaryF } from "./scalar.ts";

class RefBuffer implements DeviceBuffer {
  constructor(public data: Float64Array) {}
  get size(): number {
    return this.data.length;
  }
}

function d(buf: DeviceBuffer): Float64Array {
  return (buf as RefBuffer).data;
}

/** Iterates a row-major index space, calling fn with the flat output index and the index vector. */
function forEachIndex(shape: readonly number[], fn: (flat: number, idx: number[]) => void): void {
  const total = shape.reduce((a, b) => a * b, 1);
  const idx = new Array(shape.length).fill(0);
  for (let flat = 0; flat < total; flat++) {
    fn(flat, idx);
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
}

/** The f64 reference implementation of `Backend`. */
export class ReferenceBackend implements Backend {
  readonly name = "reference" as const;
  readonly f64 = true;
  #live = 0;

  /** Number of buffers allocated and not yet freed (for leak tests). */
  get liveBuffers(): number {
    return this.#live;
  }

  alloc(size: number): DeviceBuffer {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`Cannot allocate buffer: size must be a non-negative integer: ${size}`);
    }
    this.#live++;
    // NaN-filled so that a kernel reading memory it never wrote shows up in tests.
    return new RefBuffer(new Float64Array(size).fill(NaN));
  }
  free(_buf: DeviceBuffer): void {
    this.#live--;
  }
  write(buf: DeviceBuffer, data: ArrayLike<number>, offset = 0): void {
    d(buf).set(data, offset);
  }
  read(buf: DeviceBuffer): Promise<Float64Array> {
    return Promise.resolve(d(buf).slice());
  }
  flush(): void {}
  destroy(): void {}

  fill(out: DeviceBuffer, value: number, n = out.size): void {
    d(out).fill(value, 0, n);
  }

  copyBlocks(src: DeviceBuffer, dst: DeviceBuffer, s: CopyBlocksSpec): void {
    const a = d(src), o = d(dst);
    for (let i = 0; i < s.outer; i++) {
      for (let j = 0; j < s.inner; j++) {
        const v = a[s.srcOffset + i * s.srcStride + j];
        const k = s.dstOffset + i * s.dstStride + j;
        o[k] = s.accumulate ? o[k] + v : v;
      }
    }
  }

  unary(x: DeviceBuffer, out: DeviceBuffer, { op, n, alpha = 0 }: UnarySpec): void {
    const a = d(x), o = d(out);
    for (let i = 0; i < n; i++) o[i] = unaryF(op, a[i], alpha);
  }

  unaryBackward(bufs: UnaryBackwardBuffers, { op, n, alpha = 0 }: UnarySpec): void {
    const a = d(bufs.x), g = d(bufs.dy), o = d(bufs.dx);
    for (let i = 0; i < n; i++) o[i] = g[i] * unaryD1(op, a[i], alpha);
  }

  unarySecond(bufs: UnarySecondBuffers, { op, n, alpha = 0 }: UnarySpec): void {
    const xs = d(bufs.x), as = d(bufs.a), bs = d(bufs.b), o = d(bufs.out);
    for (let i = 0; i < n; i++) o[i] = as[i] * bs[i] * unaryD2(op, xs[i], alpha);
  }

  affine(x: DeviceBuffer, out: DeviceBuffer, { n, scale, shift }: AffineSpec): void {
    const a = d(x), o = d(out);
    for (let i = 0; i < n; i++) o[i] = scale * a[i] + shift;
  }

  binary(bufs: BinaryBuffers, s: BinarySpec): void {
    const x = d(bufs.a), y = d(bufs.b), o = d(bufs.out), op = s.op;
    forEachIndex(s.shape, (flat, idx) => {
      let ia = 0, ib = 0;
      for (let k = 0; k < idx.length; k++) {
        ia += idx[k] * s.aStrides[k];
        ib += idx[k] * s.bStrides[k];
      }
      o[flat] = binaryF(op, x[ia], y[ib]);
    });
  }

  reduceSum(x: DeviceBuffer, out: DeviceBuffer, s: ReduceSumSpec): void {
    const a = d(x), o = d(out);
    for (let i = 0; i < s.outer; i++) {
      for (let j = 0; j < s.inner; j++) {
        let acc = 0;
        for (let l = 0; l < s.len; l++) acc += a[(i * s.len + l) * s.inner + j];
        const k = i * s.inner + j;
        o[k] = s.accumulate ? o[k] + acc : acc;
      }
    }
  }

  sumSquares(x: DeviceBuffer, out: DeviceBuffer, { n, accumulate }: SumSquaresSpec): void {
    const a = d(x);
    let acc = 0;
    for (let i = 0; i < n; i++) acc += a[i] * a[i];
    d(out)[0] = accumulate ? d(out)[0] + acc : acc;
  }

  matmul(bufs: BinaryBuffers, s: MatmulSpec): void {
    const x = d(bufs.a), y = d(bufs.b), o = d(bufs.out);
    for (let i = 0; i < s.m; i++) {
      for (let j = 0; j < s.n; j++) {
        let acc = 0;
        for (let p = 0; p < s.k; p++) {
          const av = s.transA ? x[p * s.m + i] : x[i * s.k + p];
          const bv = s.transB ? y[j * s.k + p] : y[p * s.n + j];
          acc += av * bv;
        }
        o[i * s.n + j] = s.accumulate ? o[i * s.n + j] + acc : acc;
      }
    }
  }

  permute(x: DeviceBuffer, out: DeviceBuffer, { shape, perm }: PermuteSpec): void {
    const a = d(x), o = d(out);
    const strides = new Array(shape.length);
    let st = 1;
    for (let k = shape.length - 1; k >= 0; k--) {
      strides[k] = st;
      st *= shape[k];
    }
    const outShape = perm.map((p) => shape[p]);
    forEachIndex(outShape, (flat, idx) => {
      let src = 0;
      for (let j = 0; j < idx.length; j++) src += idx[j] * strides[perm[j]];
      o[flat] = a[src];
    });
  }

  im2col(x: DeviceBuffer, col: DeviceBuffer, g: ConvGeometry): void {
    const a = d(x), o = d(col);
    const cols = g.b * g.oh * g.ow;
    for (let c = 0; c < g.c; c++) {
      for (let ki = 0; ki < g.kh; ki++) {
        for (let kj = 0; kj < g.kw; kj++) {
          const row = (c * g.kh + ki) * g.kw + kj;
          for (let bb = 0; bb < g.b; bb++) {
            for (let y = 0; y < g.oh; y++) {
              for (let xx = 0; xx < g.ow; xx++) {
                const iy = y * g.stride - g.pad + ki;
                const ix = xx * g.stride - g.pad + kj;
                const inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
                o[row * cols + (bb * g.oh + y) * g.ow + xx] = inside
                  ? a[((bb * g.c + c) * g.h + iy) * g.w + ix]
                  : 0;
              }
            }
          }
        }
      }
    }
  }

  col2im(col: DeviceBuffer, dx: DeviceBuffer, g: Col2imSpec): void {
    const a = d(col), o = d(dx);
    const cols = g.b * g.oh * g.ow;
    if (!g.accumulate) o.fill(0, 0, g.b * g.c * g.h * g.w);
    for (let c = 0; c < g.c; c++) {
      for (let ki = 0; ki < g.kh; ki++) {
        for (let kj = 0; kj < g.kw; kj++) {
          const row = (c * g.kh + ki) * g.kw + kj;
          for (let bb = 0; bb < g.b; bb++) {
            for (let y = 0; y < g.oh; y++) {
              for (let xx = 0; xx < g.ow; xx++) {
                const iy = y * g.stride - g.pad + ki;
                const ix = xx * g.stride - g.pad + kj;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                o[((bb * g.c + c) * g.h + iy) * g.w + ix] +=
                  a[row * cols + (bb * g.oh + y) * g.ow + xx];
              }
            }
          }
        }
      }
    }
  }

  normForward(bufs: NormForwardBuffers, s: NormSpec): void {
    const a = d(bufs.x), ga = d(bufs.gamma), be = d(bufs.beta), o = d(bufs.y);
    const mu = d(bufs.mean), rs = d(bufs.rstd);
    const chPerGroup = s.cols / s.chanInner;
    for (let r = 0; r < s.rows; r++) {
      const base = r * s.cols;
      let m = 0;
      for (let j = 0; j < s.cols; j++) m += a[base + j];
      m /= s.cols;
      let v = 0;
      for (let j = 0; j < s.cols; j++) v += (a[base + j] - m) ** 2;
      v /= s.cols;
      const inv = 1 / Math.sqrt(v + s.eps);
      mu[r] = m;
      rs[r] = inv;
      const chBase = (r % s.groups) * chPerGroup;
      for (let j = 0; j < s.cols; j++) {
        const ch = chBase + Math.floor(j / s.chanInner);
        o[base + j] = (a[base + j] - m) * inv * ga[ch] + be[ch];
      }
    }
  }

  normBackward(bufs: NormBackwardBuffers, s: NormSpec): void {
    const a = d(bufs.x), ga = d(bufs.gamma), mu = d(bufs.mean), rs = d(bufs.rstd);
    const g = d(bufs.dy), o = d(bufs.dx), dg = d(bufs.dgamma), db = d(bufs.dbeta);
    const chPerGroup = s.cols / s.chanInner;
    for (let r = 0; r < s.rows; r++) {
      const base = r * s.cols;
      const chBase = (r % s.groups) * chPerGroup;
      // x̂ = (x − μ)·rstd; dx̂ = dy·γ; dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)).
      let sumDxh = 0, sumDxhXh = 0;
      for (let j = 0; j < s.cols; j++) {
        const ch = chBase + Math.floor(j / s.chanInner);
        const xh = (a[base + j] - mu[r]) * rs[r];
        const dxh = g[base + j] * ga[ch];
        sumDxh += dxh;
        sumDxhXh += dxh * xh;
        dg[ch] += g[base + j] * xh;
        db[ch] += g[base + j];
      }
      for (let j = 0; j < s.cols; j++) {
        const ch = chBase + Math.floor(j / s.chanInner);
        const xh = (a[base + j] - mu[r]) * rs[r];
        const dxh = g[base + j] * ga[ch];
        o[base + j] = rs[r] * (dxh - sumDxh / s.cols - xh * sumDxhXh / s.cols);
      }
    }
  }

  logSoftmax(x: DeviceBuffer, y: DeviceBuffer, { rows, cols }: RowsSpec): void {
    const a = d(x), o = d(y);
    for (let r = 0; r < rows; r++) {
      let mx = -Infinity;
      for (let j = 0; j < cols; j++) mx = Math.max(mx, a[r * cols + j]);
      let s = 0;
      for (let j = 0; j < cols; j++) s += Math.exp(a[r * cols + j] - mx);
      const lse = mx + Math.log(s);
      for (let j = 0; j < cols; j++) o[r * cols + j] = a[r * cols + j] - lse;
    }
  }

  logSoftmaxBackward(bufs: LogSoftmaxBackwardBuffers, { rows, cols }: RowsSpec): void {
    const a = d(bufs.y), g = d(bufs.dy), o = d(bufs.dx);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += g[r * cols + j];
      for (let j = 0; j < cols; j++) {
        o[r * cols + j] = g[r * cols + j] - Math.exp(a[r * cols + j]) * s;
      }
    }
  }

  timeEmbedding(
    t: DeviceBuffer,
    out: DeviceBuffer,
    { b, dim, maxPeriod, scale }: TimeEmbeddingSpec,
  ): void {
    const ts = d(t), o = d(out);
    const half = dim / 2;
    for (let i = 0; i < b; i++) {
      for (let j = 0; j < half; j++) {
        const f = Math.exp(-Math.log(maxPeriod) * j / half) * scale;
        o[i * dim + j] = Math.sin(ts[i] * f);
        o[i * dim + half + j] = Math.cos(ts[i] * f);
      }
    }
  }

  adam(bufs: AdamBuffers, s: AdamSpec): void {
    const p = d(bufs.param), g = d(bufs.grad), ms = d(bufs.m), vs = d(bufs.v), n = s.n;
    let clip = 1;
    if (s.maxNorm > 0 && bufs.normSq) {
      const norm = Math.sqrt(d(bufs.normSq)[0]);
      if (norm > s.maxNorm) clip = s.maxNorm / norm;
    }
    const bc1 = 1 - s.beta1 ** s.step, bc2 = 1 - s.beta2 ** s.step;
    for (let i = 0; i < n; i++) {
      const gi = g[i] * clip;
      ms[i] = s.beta1 * ms[i] + (1 - s.beta1) * gi;
      vs[i] = s.beta2 * vs[i] + (1 - s.beta2) * gi * gi;
      const mh = ms[i] / bc1, vh = vs[i] / bc2;
      p[i] = p[i] - s.lr * (mh / (Math.sqrt(vh) + s.eps) + s.weightDecay * p[i]);
    }
  }

  random(out: DeviceBuffer, { n, dist, seed, offset }: RandomSpec): void {
    fillRandom(d(out).subarray(0, n), dist, seed, offset);
  }

  sdeUpdate(bufs: SamplerBuffers, c: SdeUpdateSpec): void {
    const a = d(bufs.z), b = d(bufs.s), e = d(bufs.noise), o = d(bufs.out);
    for (let i = 0; i < c.n; i++) o[i] = c.cz * a[i] + c.cs * b[i] + c.cn * e[i];
  }

  langevinUpdate(bufs: SamplerBuffers, c: LangevinSpec): void {
    const a = d(bufs.z), b = d(bufs.s), e = d(bufs.noise), o = d(bufs.out);
    const { rows, cols } = c;
    for (let r = 0; r < rows; r++) {
      let ss = 0, nn = 0;
      for (let j = 0; j < cols; j++) {
        ss += b[r * cols + j] ** 2;
        nn += e[r * cols + j] ** 2;
      }
      const eps = ss > 0 ? 2 * c.alpha * (c.snr * c.snr * nn / ss) : 0;
      const sq = Math.sqrt(2 * eps);
      for (let j = 0; j < cols; j++) {
        const k = r * cols + j;
        o[k] = a[k] + eps * b[k] + sq * e[k];
      }
    }
  }
}
