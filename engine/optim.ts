/**
 * Adam / AdamW with optional global-norm gradient clipping, one fused kernel per parameter.
 * Clipping computes ‖g‖² on the device and the kernel scales by min(1, maxNorm/‖g‖) itself, so a
 * step never waits for the device.
 */
import type { DeviceBuffer } from "./backend.ts";
import { fmtShape, Tensor } from "./tensor.ts";

/** Optimizer settings (PyTorch's defaults). */
export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW); 0 = Adam. */
  weightDecay?: number;
  /** Clip gradients to this global L2 norm; 0 = no clipping. */
  maxGradNorm?: number;
}

/** Adam/AdamW over a fixed list of parameters. */
export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
  /** Number of steps taken (the bias-correction counter; restored from checkpoints). */
  step = 0;
  readonly m: Tensor[];
  readonly v: Tensor[];
  #normSq: DeviceBuffer | null = null;

  constructor(readonly params: readonly Tensor[], opts: AdamOptions = {}) {
    this.lr = opts.lr ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.maxGradNorm = opts.maxGradNorm ?? 0;
    const check = (name: string, v: number, ok: boolean) => {
      if (!ok || !Number.isFinite(v)) {
        throw new RangeError(`Cannot create Adam: ${name} is out of range: current value is ${v}`);
      }
    };
    check("learning rate", this.lr, this.lr >= 0);
    check("beta1", this.beta1, this.beta1 >= 0 && this.beta1 < 1);
    check("beta2", this.beta2, this.beta2 >= 0 && this.beta2 < 1);
    check("eps", this.eps, this.eps > 0);
    check("weight decay", this.weightDecay, this.weightDecay >= 0);
    check("max grad norm", this.maxGradNorm, this.maxGradNorm >= 0);
    if (params.length === 0) throw new RangeError("Cannot create Adam: no parameters given");
    this.m = params.map((p) => Tensor.full(p.backend, p.shape, 0));
    this.v = params.map((p) => Tensor.full(p.backend, p.shape, 0));
    if (this.maxGradNorm > 0) this.#normSq = params[0].backend.alloc(1);
  }

  /** Applies one update from the parameters' `.grad` (parameters without a gradient are skipped). */
  update(): void {
    this.step++;
    const be = this.params[0].backend;
    if (this.#normSq) {
      let first = true;
      for (const p of this.params) {
        if (!p.grad) continue;
        be.sumSquares(p.grad.buf, this.#normSq, { n: p.size, accumulate: !first });
        first = false;
      }
    }
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      if (p.grad.size !== p.size) {
        throw new TypeError(
          `Cannot update parameter ${i}: gradient ${fmtShape(p.grad.shape)} does not match ${
            fmtShape(p.shape)
          }`,
        );
      }
      const bufs = {
        param: p.buf,
        grad: p.grad.buf,
        m: this.m[i].buf,
        v: this.v[i].buf,
        normSq: this.#normSq,
      };
      be.adam(bufs, {
        n: p.size,
        lr: this.lr,
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        weightDecay: this.weightDecay,
        step: this.step,
        maxNorm: this.maxGradNorm,
      });
    });
  }

  /** Frees the moment buffers. */
  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
    if (this.#normSq) this.params[0].backend.free(this.#normSq);
  }
}

/** Cosine decay from `lr` to `lr·final` over `total` steps, after `warmup` linear steps. */
export function cosineLr(step: number, total: number, lr: number, final = 0, warmup = 0): number {
  if (step < warmup) return lr * (step + 1) / warmup;
  const p = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return lr * (final + (1 - final) * 0.5 * (1 + Math.cos(Math.PI * p)));
}
