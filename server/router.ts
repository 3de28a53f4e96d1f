/**
 * Fresh's file-system routing, by hand: route files (`routes/runs/[id].tsx`) become URL patterns
 * (`/runs/:id`), `[...rest]` a catch-all; `_`-prefixed files are not routes. A route module exports
 * `handler` (per-method functions) and/or a default page component. Static patterns win over
 * dynamic ones. The file list comes from the generated `_manifest.gen.ts` (static imports, so a
 * compiled binary holds every route).
 */

import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import type {
  AppProps,
  Context,
  Handlers,
  Middleware,
  PageComponent,
  PageData,
} from "../app/define.ts";
import type { FunctionComponent } from "preact";
import { errorResponse, HttpError } from "./http.ts";

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * An error answer: JSON `{ error }` for the API and for clients that do not ask for HTML; a small
 * HTML page (with the same message and a way back) for a browser asking for a page.
 */
function answerError(
  req: Request,
  url: URL,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const page = !url.pathname.startsWith("/api/") && !url.pathname.startsWith("/static/") &&
    (req.headers.get("accept") ?? "").includes("text/html");
  if (!page) return errorResponse(status, message, headers);
  const body =
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>polyscore · ${status}</title>` +
    `<link rel="stylesheet" href="/static/style.css"></head><body><main><h1>${status}</h1>` +
    `<p class="error">${
      escapeHtml(message)
    }</p><p><a href="/">back to the runs</a></p></main></body></html>`;
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

/** A route module as the manifest lists it. */
export interface RouteModule<State> {
  // deno-lint-ignore no-explicit-any
  handler?: Handlers<any, State>;
  // deno-lint-ignore no-explicit-any
  default?: PageComponent<any, State>;
}

/** A compiled route. */
export interface Route<State> {
  file: string;
  pattern: string;
  urlPattern: URLPattern;
  module: RouteModule<State>;
  rank: number[];
}

/** `runs/[id].tsx` → `/runs/:id`; `index.tsx` → `/`; `files/[...path].ts` → `/files/:path+`. */
export function fileToPattern(file: string): string {
  const noExt = file.replace(/\.(tsx|ts)$/, "");
  const parts = noExt.split("/").filter((p) => p !== "index");
  const out = parts.map((p) => {
    const rest = /^\[\.\.\.([A-Za-z_][A-Za-z0-9_]*)\]$/.exec(p);
    if (rest) return `:${rest[1]}+`;
    const param = /^\[([A-Za-z_][A-Za-z0-9_]*)\]$/.exec(p);
    if (param) return `:${param[1]}`;
    if (!/^[A-Za-z0-9._-]+$/.test(p)) {
      throw new TypeError(
        `Cannot route file ${file}: segment "${p}" is neither a name nor [param]`,
      );
    }
    return p;
  });
  return "/" + out.join("/");
}

function rankOf(pattern: string): number[] {
  // Per segment: static 0, param 1, catch-all 2; compared lexicographically, shorter first on ties.
  return pattern.split("/").slice(1).map((s) => s.endsWith("+") ? 2 : s.startsWith(":") ? 1 : 0);
}

function compareRank(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Builds the route table from a manifest (file → module), most specific first. */
export function buildRoutes<State>(manifest: Record<string, RouteModule<State>>): Route<State>[] {
  const routes = Object.entries(manifest)
    .filter(([file]) => !file.split("/").some((s) => s.startsWith("_")))
    .map(([file, module]) => {
      const pattern = fileToPattern(file);
      return {
        file,
        pattern,
        urlPattern: new URLPattern({ pathname: pattern }),
        module,
        rank: rankOf(pattern),
      };
    });
  routes.sort((a, b) => compareRank(a.rank, b.rank) || a.pattern.localeCompare(b.pattern));
  return routes;
}

/** Router options. */
export interface RouterOptions<State> {
  manifest: Record<string, RouteModule<State>>;
  app: FunctionComponent<AppProps>;
  middleware?: Middleware<State>;
  state: State;
}

function decodeParams(groups: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(groups)) {
    if (v === undefined) continue;
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      throw new HttpError(400, `Cannot read URL parameter ${k}: it is not valid percent-encoding`);
    }
  }
  return out;
}

/**
 * Returns the request handler: middleware → matching route → handler or page. HttpErrors become
 * `{ error }` JSON with their status; anything else is logged and answered 500 without details.
 */
export function createRouter<State>(
  opts: RouterOptions<State>,
): (req: Request) => Promise<Response> {
  const routes = buildRoutes(opts.manifest);
  const App = opts.app;

  async function dispatch(ctx: Context<State>): Promise<Response> {
    const method = ctx.req.method === "HEAD" ? "GET" : ctx.req.method;
    for (const r of routes) {
      const m = r.urlPattern.exec({ pathname: ctx.url.pathname });
      if (!m) continue;
      ctx.params = decodeParams(m.pathname.groups);
      const handler = r.module.handler?.[method as "GET" | "POST"];
      const Page = r.module.default;
      if (!handler && !(Page && method === "GET")) {
        const allowed = Object.keys(r.module.handler ?? { GET: 1 }).join(", ");
        return new Response(
          JSON.stringify({ error: `Cannot ${ctx.req.method} ${r.pattern}: allowed: ${allowed}` }),
          {
            status: 405,
            headers: { allow: allowed, "content-type": "application/json; charset=utf-8" },
          },
        );
      }
      // deno-lint-ignore no-explicit-any
      let result: Response | PageData<any> = { data: undefined };
      if (handler) result = await handler(ctx);
      if (result instanceof Response) return result;
      if (!Page) throw new Error(`Route ${r.file} returned page data but has no page component`);
      const body = "<!DOCTYPE html>" +
        renderToString(
          h(App, {
            title: result.title ?? "polyscore",
            refresh: result.refresh,
            children: h(Page, {
              data: result.data,
              url: ctx.url,
              params: ctx.params,
              state: ctx.state,
            }),
          }),
        );
      return new Response(body, {
        status: result.status ?? 200,
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      });
    }
    return answerError(ctx.req, ctx.url, 404, `Cannot find ${ctx.url.pathname.slice(0, 200)}`);
  }

  return async (req: Request): Promise<Response> => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return errorResponse(400, "Cannot read URL");
    }
    const ctx: Context<State> = { req, url, params: {}, state: opts.state };
    const guarded = async () => {
      try {
        return await dispatch(ctx);
      } catch (e) {
        if (e instanceof HttpError) return answerError(req, url, e.status, e.message, e.headers);
        console.error(`serve: ${req.method} ${url.pathname}:`, e);
        return errorResponse(500, "Cannot answer: internal error (see the server log)");
      }
    };
    let res: Response;
    try {
      res = opts.middleware ? await opts.middleware(ctx, guarded) : await guarded();
    } catch (e) {
      if (e instanceof HttpError) res = errorResponse(e.status, e.message, e.headers);
      else {
        console.error(`serve: middleware: ${req.method} ${url.pathname}:`, e);
        res = errorResponse(500, "Cannot answer: internal error (see the server log)");
      }
    }
    if (req.method === "HEAD") {
      return new Response(null, { status: res.status, headers: res.headers });
    }
    return res;
  };
}
