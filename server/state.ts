/**
 * The server's state, shared by every request: where the runs live, the playground host (sessions +
 * the one sampler queue), limits, and the open live streams (closed on shutdown).
 */

import type { PlaygroundHost } from "./playground.ts";

/** Limits applied to every request. */
export interface Limits {
  /** Largest accepted request body, bytes (default 1 MiB; an upload is at most this). */
  maxBodyBytes: number;
  /** Largest number of samples per request (default 16). */
  maxCount: number;
  /** Largest number of sampler steps (default 1000). */
  maxSteps: number;
  /** Concurrent live (SSE) streams (default 32); more → 429. */
  maxStreams: number;
  /** Metric points per series sent with a page (longer series are downsampled; default 600). */
  maxPoints: number;
  /**
   * Time a request body may take to arrive, ms (default 30,000): a client that sends slowly or
   * stalls is answered 408 instead of holding the request open. (Slow headers are Deno.serve's.)
   */
  bodyTimeoutMs: number;
}

/** Default limits. */
export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1 << 20,
  maxCount: 16,
  maxSteps: 1000,
  maxStreams: 32,
  maxPoints: 600,
  bodyTimeoutMs: 30_000,
};

/** Shared server state. */
export interface ServerState {
  runsRoot: string;
  /** The experiments folder (`polyscore experiment` reports: `<id>/experiment.json`). */
  experimentsRoot: string;
  playground: PlaygroundHost;
  limits: Limits;
  /** Live-stream poll interval, ms. */
  pollMs: number;
  /** Open SSE streams; aborted on shutdown. */
  streams: Set<AbortController>;
  /** Hostnames accepted in the Host header (DNS-rebinding guard); empty = any. */
  allowedHosts: Set<string>;
}
