/**
 * The playground test double served from a worker (as the server's real sampler is): options come
 * from this module's URL query, e.g. `_playground_double_worker.ts?spinMs=300&openSpinMs=500`.
 */

import { serveSessionInWorker } from "../server/sampler_worker_host.ts";
import { playgroundDouble } from "./_playground_double.ts";

const q = new URL(import.meta.url).searchParams;
const num = (k: string) => (q.has(k) ? Number(q.get(k)) : undefined);
const double = playgroundDouble({
  delayMs: num("delayMs") ?? 0,
  spinMs: num("spinMs"),
  spinMsPerStep: num("spinMsPerStep"),
  openSpinMs: num("openSpinMs"),
});
serveSessionInWorker((runDir) => double.open(runDir));
