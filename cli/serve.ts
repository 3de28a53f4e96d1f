/**
 * `polyscore serve`: the dashboard on http://127.0.0.1:8000 by default. Binds loopback unless
 * `--host` says otherwise (with a warning: the dashboard has no authentication). Read-only: it has
 * no action that writes or starts anything. Runnable directly: `deno run -A cli/serve.ts`.
 */

import { createDashboard } from "./dashboard.ts";

const HELP = `polyscore serve — the dashboard: runs, live curves, spectra, the sampling playground

Usage: deno task serve [options]

Options:
  --host <name>      interface to bind (default 127.0.0.1; anything else is reachable from the network)
  --port <n>         port (default 8000; 0 picks a free one)
  --runs <dir>       the runs folder (default runs)
  --experiments <dir> the experiments folder (default experiments, or POLYSCORE_EXPERIMENTS)
  --max-queue <n>    sampling requests queued or running before answering 429 (default 8)
  --max-sessions <n> runs kept loaded for sampling, each in its own worker (default 2; the
                     playground shows what one holds)
  --deadline <s>     a sampling request's deadline from arrival, seconds (default 60); past it the
                     request answers 503 and its sampler is stopped
  --help, -h         this help`;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

interface ServeArgs {
  host: string;
  port: number;
  runs: string;
  experiments: string;
  maxQueue: number;
  maxSessions: number;
  deadlineS: number;
}

/** Parses the serve command line; throws RangeError naming the bad flag. */
export function parseServeArgs(args: string[]): ServeArgs | "help" {
  const out: ServeArgs = {
    host: "127.0.0.1",
    port: 8000,
    runs: "runs",
    experiments: Deno.env.get("POLYSCORE_EXPERIMENTS") ?? "experiments",
    maxQueue: 8,
    maxSessions: 2,
    deadlineS: 60,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.includes("=")
      ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
      : [a, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new RangeError(`Cannot parse ${flag}: it needs a value`);
      return v;
    };
    const int = (lo: number, hi: number) => {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < lo || n > hi) {
        throw new RangeError(
          `Cannot parse ${flag}: it must be an integer in [${lo}, ${hi}]: current value is ${v}`,
        );
      }
      return n;
    };
    if (flag === "--help" || flag === "-h") return "help";
    else if (flag === "--host") out.host = value();
    else if (flag === "--port") out.port = int(0, 65535);
    else if (flag === "--runs") out.runs = value();
    else if (flag === "--experiments") out.experiments = value();
    else if (flag === "--max-queue") out.maxQueue = int(1, 1000);
    else if (flag === "--max-sessions") out.maxSessions = int(1, 64);
    else if (flag === "--deadline") out.deadlineS = int(1, 3600);
    else throw new RangeError(`Cannot parse ${a}: unknown option (see --help)`);
  }
  return out;
}

/** Runs the dashboard until SIGINT/SIGTERM; returns the exit code. */
export async function serveCommand(args: string[]): Promise<number> {
  let opts: ServeArgs | "help";
  try {
    opts = parseServeArgs(args);
  } catch (e) {
    console.error(`serve: ${(e as Error).message}`);
    return 2;
  }
  if (opts === "help") {
    console.log(HELP);
    return 0;
  }
  const local = LOOPBACK.has(opts.host);
  if (!local) {
    console.warn(
      `serve: WARNING: binding ${opts.host} makes the dashboard reachable from the network; it has no authentication. Use --host 127.0.0.1 unless you mean it.`,
    );
  }
  const app = createDashboard({
    runsRoot: opts.runs,
    experimentsRoot: opts.experiments,
    maxQueue: opts.maxQueue,
    maxSessions: opts.maxSessions,
    deadlineMs: opts.deadlineS * 1000,
    allowedHosts: local ? ["127.0.0.1", "localhost", "[::1]"] : [],
  });
  const ac = new AbortController();
  let server: Deno.HttpServer;
  try {
    server = serveOn(opts, app, ac);
  } catch (e) {
    await app.close();
    if (e instanceof Deno.errors.AddrInUse || e instanceof Deno.errors.PermissionDenied) {
      console.error(
        `serve: Cannot listen on ${opts.host}:${opts.port}: ${
          e instanceof Deno.errors.AddrInUse
            ? "the port is in use (another dashboard?)"
            : "permission denied (ports below 1024 need privileges)"
        }: stop the other server or choose another with --port N (0 picks a free one)`,
      );
      return 1;
    }
    throw e;
  }
  const stop = () => {
    app.close().finally(() => ac.abort());
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}

function serveOn(
  opts: ServeArgs,
  app: ReturnType<typeof createDashboard>,
  ac: AbortController,
): Deno.HttpServer {
  return Deno.serve({
    hostname: opts.host,
    port: opts.port,
    signal: ac.signal,
    onListen({ hostname, port }) {
      const h = hostname.includes(":") ? `[${hostname}]` : hostname;
      console.log(
        `serve: polyscore dashboard on http://${h}:${port}/ (runs: ${app.state.runsRoot})`,
      );
    },
  }, app.handler);
}

if (import.meta.main) Deno.exit(await serveCommand(Deno.args));
