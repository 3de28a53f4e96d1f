/**
 * Evaluation classifiers ("oracles"): a conv net for image modalities (digit classes, or
 * multi-label attributes for CelebA images) and the penultimate features used by the Fréchet
 * distance. Optionally a stem (a conv 3×3 stride 1 to `stem` channels, ReLU) at full resolution;
 * then conv `kernel`×`kernel` (odd; 3 by default) stride 2 through `hidden` channels with ReLU
 * (after a group norm with `norm: "group"`), flatten, linear `features`, ReLU, linear to the
 * classes. The options' defaults build the plain network, whose checkpoints keep their parameter
 * names and shapes.
 */
import { Conv2d, GroupNorm, Linear } from "../../engine/nn/layers.ts";
import { type Init, Module } from "../../engine/nn/module.ts";
import * as ops from "../../engine/ops/mod.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { encoderSizes, normGroups } from "./conv_vae.ts";

/** The classifier's architecture options; the defaults are the plain network. */
export interface ClassifierOptions {
  /** "group": a group norm before every stride-2 conv's activation. */
  norm?: "none" | "group";
  /** Channels of a 3×3 stride-1 conv before the stride-2 stack; 0 = none. */
  stem?: number;
  /** Kernel size of the stride-2 convs (odd, padding (k − 1)/2: the sizes stay those of 3×3). */
  kernel?: number;
}

/** Conv classifier over (C, H, W) inputs. */
export class ConvClassifier extends Module {
  readonly stem: Conv2d | null;
  readonly convs: Conv2d[];
  readonly norms: (GroupNorm | null)[];
  readonly fc: Linear;
  readonly out: Linear;

  constructor(
    init: Init,
    readonly shape: readonly number[],
    readonly hidden: readonly number[],
    readonly features: number,
    readonly classes: number,
    opts: ClassifierOptions = {},
  ) {
    super();
    const { norm = "none", stem = 0, kernel = 3 } = opts;
    if (!Number.isInteger(kernel) || kernel < 1 || kernel % 2 === 0) {
      throw new RangeError(`ConvClassifier: kernel must be an odd positive integer, got ${kernel}`);
    }
    const [c, h, w] = shape;
    this.stem = stem > 0 ? this.child("stem", new Conv2d(init, c, stem, 3, { padding: 1 })) : null;
    const chans = [stem > 0 ? stem : c, ...hidden];
    const padding = (kernel - 1) / 2;
    this.convs = hidden.map((_, i) =>
      this.child(
        `conv${i}`,
        new Conv2d(init, chans[i], chans[i + 1], kernel, { stride: 2, padding }),
      )
    );
    this.norms = hidden.map((h, i) =>
      norm === "group" ? this.child(`conv${i}_norm`, new GroupNorm(init, normGroups(h), h)) : null
    );
    const hs = encoderSizes(h, hidden.length), ws = encoderSizes(w, hidden.length);
    const flat = hidden[hidden.length - 1] * hs[hidden.length] * ws[hidden.length];
    this.fc = this.child("fc", new Linear(init, flat, features));
    this.out = this.child("out", new Linear(init, features, classes));
  }

  /** Penultimate features (B, features), after ReLU. */
  featuresOf(x: Tensor): Tensor {
    let h = this.stem ? ops.relu(this.stem.forward(x)) : x;
    this.convs.forEach((conv, i) => {
      const y = conv.forward(h);
      h = ops.relu(this.norms[i] ? this.norms[i]!.forward(y) : y);
    });
    return ops.relu(this.fc.forward(ops.reshape(h, [x.shape[0], -1])));
  }

  /** Class logits (B, classes). */
  forward(x: Tensor): Tensor {
    return this.out.forward(this.featuresOf(x));
  }
}
