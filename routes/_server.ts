/**
 * Builds the dashboard's request handler from the route manifest: state, router, middleware, the
 * playground host. No networking here (cli/serve.ts binds it), so tests call `handler` directly.
 */

import { resolve } from "node:path";
import App from "./_app.tsx";
import { handler as middleware } from "./_middleware.ts";
import { manifest } from "./_manifest.gen.ts";
import { pipelineSamplerProvider, PlaygroundHost, type SamplerProvider } from "./_playground.ts";
import { createRouter, type RouteModule } from "./_router.ts";
import { DEFAULT_LIMITS, type Limits, type ServerState } from "./_state.ts";

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The runs folder (default "runs"). */
  runsRoot?: string;
  /** Where sessions come from (default: engine/pipeline/playground.ts). */
  sampler?: SamplerProvider;
  /** Sampling jobs queued or running before 429 (default 8). */
  maxQueue?: number;
  limits?: Partial<Limits>;
  /** Live-stream poll interval, ms (default 500). */
  pollMs?: number;
  /** Hostnames accepted in the Host header; empty = any (default: any). */
  allowedHosts?: string[];
}

/** A built server: the handler and a way to stop its streams and sessions. */
export interface DashboardServer {
  handler: (req: Request) => Promise<Response>;
  state: ServerState;
  close(): Promise<void>;
}

/**
 * Creates the dashboard handler.
 *
 * @example
 * ```ts
 * const server = createServer({ runsRoot: Deno.makeTempDirSync() });
 * const res = await server.handler(new Request("http://localhost/api/runs"));
 * await server.close();
 * ```
 */
export function createServer(opts: ServerOptions = {}): DashboardServer {
  const state: ServerState = {
    runsRoot: resolve(opts.runsRoot ?? "runs"),
    playground: new PlaygroundHost({
      provider: opts.sampler ?? pipelineSamplerProvider,
      maxQueue: opts.maxQueue,
    }),
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    pollMs: opts.pollMs ?? 500,
    streams: new Set(),
    allowedHosts: new Set(opts.allowedHosts ?? []),
  };
  const handler = createRouter<ServerState>({
    manifest: manifest as Record<string, RouteModule<ServerState>>,
    app: App,
    middleware,
    state,
  });
  return {
    handler,
    state,
    async close() {
      for (const s of state.streams) s.abort();
      state.streams.clear();
      await state.playground.close();
    },
  };
}
