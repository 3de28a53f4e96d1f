/**
 * Exponential moving average of parameters, kept on the device: after each optimiser step,
 * shadow = d·shadow + (1 − d)·param, one fused `sdeUpdate` per parameter (out aliases z, which the
 * contract allows), so an update never waits for the device. Used for sampling from a score network
 * (MLD: decay 0.999), not for training.
 *
 * The decay warms up as torch_ema's `use_num_updates`: d_n = min(decay, (1 + n)/(10 + n)) for the
 * n-th update (n = 0, 1, …), so a short run is not dominated by the initial weights (0.999⁶⁰⁰ = 0.55).
 */
import { fmtShape, keep, Tensor } from "./tensor.ts";

/** Options of {@link Ema}. */
export interface EmaOptions {
  /** Target decay in (0, 1). */
  decay: number;
  /** Warm the decay up with the update count (torch_ema's `use_num_updates`). Default true. */
  warmup?: boolean;
}

/** The decay of update number `n` (0-based). */
export function emaDecay(decay: number, n: number, warmup = true): number {
  return warmup ? Math.min(decay, (1 + n) / (10 + n)) : decay;
}

/** Shadow copies of `params`, updated by {@link Ema.update}. */
export class Ema {
  readonly decay: number;
  readonly warmup: boolean;
  /** Updates applied so far (drives the warm-up; set it when restoring from a checkpoint). */
  updates = 0;
  readonly shadow: Tensor[];

  constructor(readonly params: readonly Tensor[], opts: EmaOptions) {
    this.decay = opts.decay;
    this.warmup = opts.warmup ?? true;
    if (!(this.decay > 0 && this.decay < 1)) {
      throw new RangeError(
        `Cannot create Ema: decay must be in (0, 1): current value is ${opts.decay}`,
      );
    }
    if (params.length === 0) throw new RangeError("Cannot create Ema: no parameters given");
    // The shadow starts at the current parameters (a copy on the device).
    this.shadow = params.map((p) => {
      const s = keep(Tensor.empty(p.backend, p.shape));
      p.backend.sdeUpdate({ z: p.buf, s: p.buf, noise: p.buf, out: s.buf }, {
        n: p.size,
        cz: 1,
        cs: 0,
        cn: 0,
      });
      return s;
    });
  }

  /** shadow = d·shadow + (1 − d)·param for every parameter; enqueues work only. */
  update(): void {
    const d = emaDecay(this.decay, this.updates, this.warmup);
    this.updates++;
    this.params.forEach((p, i) => {
      const s = this.shadow[i];
      p.backend.sdeUpdate({ z: s.buf, s: p.buf, noise: p.buf, out: s.buf }, {
        n: p.size,
        cz: d,
        cs: 1 - d,
        cn: 0,
      });
    });
  }

  /** Writes the shadow values into `targets` (same shapes, e.g. the parameters themselves). */
  copyTo(targets: readonly Tensor[] = this.params): void {
    if (targets.length !== this.shadow.length) {
      throw new TypeError(
        `Cannot copy EMA weights: expected ${this.shadow.length} tensors: current count is ${targets.length}`,
      );
    }
    targets.forEach((t, i) => {
      const s = this.shadow[i];
      if (t.size !== s.size) {
        throw new TypeError(
          `Cannot copy EMA weights: tensor ${i} is ${fmtShape(t.shape)}, the shadow is ${
            fmtShape(s.shape)
          }`,
        );
      }
      t.backend.sdeUpdate({ z: s.buf, s: s.buf, noise: s.buf, out: t.buf }, {
        n: s.size,
        cz: 1,
        cs: 0,
        cn: 0,
      });
    });
  }

  /** Frees the shadow buffers. */
  dispose(): void {
    for (const s of this.shadow) s.dispose();
  }
}
