/**
 * The dashboard's sampler worker: one loaded run (polyscore/pipeline/playground.ts, on the backend
 * cli/backends.ts chooses) served over messages (server/sampler_worker_host.ts), so loading and
 * sampling never block the server's request loop.
 */
/// <reference lib="deno.worker" />

import { openPlayground } from "../polyscore/pipeline/playground.ts";
import { serveSessionInWorker } from "../server/sampler_worker_host.ts";
import { selectBackend } from "./backends.ts";

serveSessionInWorker((runDir) => openPlayground(runDir, { selectBackend }));
