/**
 * The dashboard as this project assembles it: the generated route manifest, the `_app` shell and
 * the middleware of routes/, on the server of server/, with backends chosen by cli/backends.ts.
 * cli/serve.ts binds it to a port; tests call its handler directly.
 */

import App from "../routes/_app.tsx";
import { handler as middleware } from "../routes/_middleware.ts";
import { manifest } from "../routes/_manifest.gen.ts";
import type { RouteModule } from "../server/router.ts";
import { createServer, type DashboardServer, type ServerOptions } from "../server/server.ts";
import type { ServerState } from "../server/state.ts";
import { assetUrl } from "../engine/assets.ts";
import { workerSamplerProvider } from "../server/sampler_worker_host.ts";
import { selectBackend } from "./backends.ts";

/**
 * Creates the dashboard's handler over `opts.runsRoot` (see {@link ServerOptions}). Unless
 * `opts.sampler` says otherwise, every playground session loads and samples in its own worker
 * (cli/sampler_worker.ts): the request loop never runs a sampler.
 */
export function createDashboard(opts: ServerOptions = {}): DashboardServer {
  return createServer(
    { manifest: manifest as Record<string, RouteModule<ServerState>>, app: App, middleware },
    { selectBackend, sampler: workerSamplerProvider(assetUrl("cli/sampler_worker.ts")), ...opts },
  );
}
