/**
 * Builds the dashboard's request handler from a route set: state, router, middleware, the
 * playground host. No networking and no routes here: the composition root (cli/dashboard.ts) passes
 * the route manifest and binds the handler (cli/serve.ts), so tests call `handler` directly.
 */

import { resolve } from "node:path";
import type { BackendSelector } from "../polyscore/pipeline/run.ts";
import { pipelineSamplerProvider, PlaygroundHost, type SamplerProvider } from "./playground.ts";
import { createRouter, type RouterOptions } from "./router.ts";
import { DEFAULT_LIMITS, type Limits, type ServerState } from "./state.ts";

/** The routes of a server: the generated manifest, the `_app` shell and the middleware. */
export type RouteSet = Pick<RouterOptions<ServerState>, "manifest" | "app" | "middleware">;

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** Creates the backend a run's config names, for the default sampler (cli/backends.ts). */
  selectBackend?: BackendSelector;
  /** The runs folder (default "runs"). */
  runsRoot?: string;
  /** The experiments folder (default "experiments"). */
  experimentsRoot?: string;
  /**
   * Where sessions come from (default: polyscore/pipeline/playground.ts on this thread; the
   * dashboard (cli/dashboard.ts) passes one that runs each session in a worker).
   */
  sampler?: SamplerProvider;
  /** Sampling jobs queued or running before 429 (default 8). */
  maxQueue?: number;
  /** Playground sessions kept open (default 2; each holds one loaded run). */
  maxSessions?: number;
  /** A sampling request's deadline from arrival, ms (default 60,000). */
  deadlineMs?: number;
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
 * const server = createServer(routes, { runsRoot: Deno.makeTempDirSync() });
 * const res = await server.handler(new Request("http://localhost/api/runs"));
 * await server.close();
 * ```
 */
export function createServer(routes: RouteSet, opts: ServerOptions = {}): DashboardServer {
  const state: ServerState = {
    runsRoot: resolve(opts.runsRoot ?? "runs"),
    experimentsRoot: resolve(opts.experimentsRoot ?? "experiments"),
    playground: new PlaygroundHost({
      provider: opts.sampler ?? pipelineSamplerProvider(opts.selectBackend),
      maxQueue: opts.maxQueue,
      maxSessions: opts.maxSessions,
      deadlineMs: opts.deadlineMs,
    }),
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    pollMs: opts.pollMs ?? 500,
    streams: new Set(),
    allowedHosts: new Set(opts.allowedHosts ?? []),
  };
  const handler = createRouter<ServerState>({ ...routes, state });
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
