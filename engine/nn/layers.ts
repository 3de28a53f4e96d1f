/**
 * Layers: Linear, Conv2d, ConvTranspose2d, LayerNorm, GroupNorm. Initialisation follows PyTorch's
 * defaults (weights and biases U(−1/√fan_in, 1/√fan_in)); weight layouts are PyTorch's.
 */
import { conv2d, convTranspose2d, groupNorm, layerNorm, linear } from "../ops/mod.ts";
import type { Tensor } from "../tensor.ts";
import { type Init, Module } from "./module.ts";

/** y = x·Wᵀ + b; W (O, I), b (O). */
export class Linear extends Module {
  readonly weight: Tensor; // (O, I)
  readonly bias: Tensor | null; // (O)
  constructor(init: Init, readonly inFeatures: number, readonly outFeatures: number, bias = true) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param("weight", init.uniform([outFeatures, inFeatures], bound));
    this.bias = bias ? this.param("bias", init.uniform([outFeatures], bound)) : null;
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** 2-D convolution; weight (O, C, K, K). */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    init: Init,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    readonly opts: { stride?: number; padding?: number; bias?: boolean } = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(inChannels * kernel * kernel);
    this.weight = this.param(
      "weight",
      init.uniform([outChannels, inChannels, kernel, kernel], bound),
    );
    this.bias = opts.bias === false ? null : this.param("bias", init.uniform([outChannels], bound));
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.opts);
  }
}

/** Transposed 2-D convolution; weight (C, O, K, K) as in PyTorch. */
export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    init: Init,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    readonly opts: { stride?: number; padding?: number; outputPadding?: number; bias?: boolean } =
      {},
  ) {
    super();
    // PyTorch computes fan_in of a transposed conv from weight.size(1)·K·K.
    const bound = 1 / Math.sqrt(outChannels * kernel * kernel);
    this.weight = this.param(
      "weight",
      init.uniform([inChannels, outChannels, kernel, kernel], bound),
    );
    this.bias = opts.bias === false ? null : this.param("bias", init.uniform([outChannels], bound));
  }
  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, this.opts);
  }
}

/** Layer norm over the last axis with learned scale and shift. */
export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(init: Init, readonly features: number, readonly eps = 1e-5) {
    super();
    this.weight = this.param("weight", init.constant([features], 1));
    this.bias = this.param("bias", init.constant([features], 0));
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** Group norm over (B, C, …) with learned per-channel scale and shift. */
export class GroupNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(init: Init, readonly groups: number, readonly channels: number, readonly eps = 1e-5) {
    super();
    this.weight = this.param("weight", init.constant([channels], 1));
    this.bias = this.param("bias", init.constant([channels], 0));
  }
  forward(x: Tensor): Tensor {
    return groupNorm(x, this.groups, this.weight, this.bias, this.eps);
  }
}
