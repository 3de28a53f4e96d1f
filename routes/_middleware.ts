/**
 * Every request passes here (Fresh's `_middleware.ts`): only GET/HEAD/POST, bounded URL length, a Host
 * check against DNS rebinding when bound to loopback, and security headers on every answer.
 */

import { define } from "../server/define.ts";
import { errorResponse } from "../server/http.ts";

const MAX_URL = 4096;

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/** The middleware. */
export const handler = define.middleware(async (ctx, next) => {
  const { req, url, state } = ctx;
  let res: Response;
  if (req.method !== "GET" && req.method !== "HEAD" && req.method !== "POST") {
    res = errorResponse(
      405,
      `Cannot ${req.method.slice(0, 20)}: only GET, HEAD and POST are served`,
    );
  } else if (req.url.length > MAX_URL) {
    res = errorResponse(400, `Cannot read URL: it is longer than ${MAX_URL} characters`);
  } else if (state.allowedHosts.size > 0 && !state.allowedHosts.has(url.hostname)) {
    res = errorResponse(
      400,
      `Cannot serve host ${url.hostname.slice(0, 100)}: this server answers only ${
        [...state.allowedHosts].join(", ")
      }`,
    );
  } else {
    res = await next();
  }
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) headers.set(k, v);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
});
