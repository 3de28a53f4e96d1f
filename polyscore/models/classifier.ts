/**
 * Evaluation classifiers ("oracles"): a conv net for image modalities (digit classes, or
 * multi-label attributes for CelebA images) and the penultimate features used by the Fréchet
 * distance. Conv 3×3 stride 2 through `hidden` channels with ReLU (after a group norm with
 * `norm: "group"`; off by default, so older checkpoints keep their parameter names), flatten,
 * linear `features`, ReLU, linear to the classes.
 */
import { Conv2d, GroupNorm, Linear } from "../../engine/nn/layers.ts";
import { type Init, Module } from "../../engine/nn/module.ts";
import * as ops from "../../engine/ops/mod.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { encoderSizes, normGroups } from "./conv_vae.ts";

/** Conv classifier over (C, H, W) inputs. */
export class ConvClassifier extends Module {
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
    norm: "none" | "group" = "none",
  ) {
    super();
    const [c, h, w] = shape;
    const chans = [c, ...hidden];
    this.convs = hidden.map((_, i) =>
      this.child(`conv${i}`, new Conv2d(init, chans[i], chans[i + 1], 3, { stride: 2, padding: 1 }))
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
    let h = x;
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
