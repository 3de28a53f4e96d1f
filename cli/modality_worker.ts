/**
 * The entry module of the modality workers (polyscore/pipeline/modality_workers.ts): each trains
 * one autoencoder or classifier on its own 1-thread Wasm backend, so two of them use both cores
 * where one network on two threads does not.
 */
/// <reference lib="deno.worker" />

import { serveModalityJobs } from "../polyscore/pipeline/modality_worker_serve.ts";
import { createWasmCpuBackend } from "../wasm/cpu/mod.ts";

serveModalityJobs(() => createWasmCpuBackend({ threads: 1 }));
