/**
 * Every kernel object, for pipeline warm-up and the schema test.
 */

import type { KernelDef } from "../kernel.ts";
import { ADAM } from "./adam.ts";
import { AFFINE } from "./affine.ts";
import { BINARY } from "./binary.ts";
import { COPY_BLOCKS } from "./copy_blocks.ts";
import { FILL } from "./fill.ts";
import { COL2IM, IM2COL } from "./im2col.ts";
import { LOG_SOFTMAX } from "./log_softmax.ts";
import { MATMUL_KERNELS } from "./matmul.ts";
import { NORM_BACKWARD, NORM_FORWARD } from "./norm.ts";
import { PERMUTE } from "./permute.ts";
import { RANDOM } from "./random.ts";
import { REDUCE_SUM } from "./reduce_sum.ts";
import { LANGEVIN_UPDATE, SDE_UPDATE } from "./sampler.ts";
import { SUM_SQUARES } from "./sum_squares.ts";
import { TIME_EMBEDDING } from "./time_embedding.ts";
import { UNARY } from "./unary.ts";

/** All kernel objects of the WebGPU backend. */
export const ALL_KERNELS: readonly KernelDef[] = [
  FILL,
  AFFINE,
  COPY_BLOCKS,
  ...Object.values(UNARY),
  BINARY,
  PERMUTE,
  ...Object.values(REDUCE_SUM),
  SUM_SQUARES,
  ...Object.values(MATMUL_KERNELS),
  IM2COL,
  COL2IM,
  NORM_FORWARD,
  ...Object.values(NORM_BACKWARD),
  ...Object.values(LOG_SOFTMAX),
  TIME_EMBEDDING,
  ADAM,
  RANDOM,
  SDE_UPDATE,
  LANGEVIN_UPDATE,
];
