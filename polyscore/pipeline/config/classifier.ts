/**
 * The config section of the evaluation classifiers (stage 2): settings, base defaults, allowed
 * values and checks. Imports only the shared checks; the presets and `--set` build on it.
 */

import { atMost, ConfigError, MAX_WIDTH, positive, positiveInt } from "./checks.ts";

/** Settings of the evaluation classifiers (stage 2). */
export interface ClassifierConfig {
  hidden: number[];
  features: number;
  steps: number;
  batch: number;
  lr: number;
  /** Final learning rate as a fraction of lr (cosine decay). */
  lrFinal: number;
  /** Clip each step's gradients to this global L2 norm; 0 = no clipping. */
  maxGradNorm: number;
  /** "group": group norm before every conv activation; "none". */
  norm: "none" | "group";
  /**
   * Augmentation: each training image is translated by a random whole-pixel offset in
   * [−shift, shift]² (edges replicated); 0 = none. Test accuracy is on unshifted images.
   */
  shift: number;
  /** Channels of a 3×3 stride-1 conv at full resolution before the stride-2 convs; 0 = none. */
  stem: number;
  /** Kernel size of the stride-2 convs (odd; 3 = the plain network). */
  kernel: number;
}

/** The base defaults, before any preset or override. */
export const CLASSIFIER_BASE: ClassifierConfig = {
  hidden: [16, 32, 64],
  features: 128,
  steps: 1200,
  batch: 64,
  lr: 2e-3,
  lrFinal: 0.05,
  maxGradNorm: 0,
  norm: "none",
  shift: 0,
  stem: 0,
  kernel: 3,
};

/** Allowed values of the section's enumerated keys. */
export const CLASSIFIER_CHOICES: Record<string, readonly string[]> = {
  "classifier.norm": ["none", "group"],
};

/** Checks the section; throws a ConfigError naming the first bad key. */
export function validateClassifier(c: ClassifierConfig): void {
  c.hidden.forEach((h, i) => {
    positiveInt(`classifier.hidden[${i}]`, h);
    atMost(`classifier.hidden[${i}]`, h, MAX_WIDTH, "a layer width");
  });
  atMost("classifier.features", c.features, MAX_WIDTH, "a layer width");
  positive("classifier.maxGradNorm", c.maxGradNorm, true);
  positiveInt("classifier.steps", c.steps);
  positiveInt("classifier.batch", c.batch);
  positiveInt("classifier.features", c.features);
  positive("classifier.lr", c.lr);
  positive("classifier.lrFinal", c.lrFinal, true);
  positiveInt("classifier.shift", c.shift, 0);
  atMost("classifier.shift", c.shift, 8, "a shift in pixels");
  positiveInt("classifier.stem", c.stem, 0);
  atMost("classifier.stem", c.stem, MAX_WIDTH, "a layer width");
  positiveInt("classifier.kernel", c.kernel);
  atMost("classifier.kernel", c.kernel, 7, "a kernel size");
  if (c.kernel % 2 === 0) {
    throw new ConfigError(
      `Invalid config: classifier.kernel must be odd (the padding (k − 1)/2 keeps the sizes of 3×3): current value is ${c.kernel}; try 3 or 5`,
    );
  }
}
