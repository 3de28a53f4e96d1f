/**
 * Runs: the store every training run writes (`runs/<id>/`: config, SQLite metrics/events,
 * safetensors checkpoints, files) and the safetensors codec. See store.ts for the folder layout.
 */

export * from "./store.ts";
export * from "./safetensors.ts";
export { readFileOrNull, resolveInside, validateSegment, writeFileAtomic } from "./files.ts";
