/** Differentiable ops, all backends. */
export * from "./elementwise.ts";
export * from "./shape.ts";
export * from "./matmul.ts";
export * from "./norm.ts";
export * from "./loss.ts";
export * from "./random.ts";
