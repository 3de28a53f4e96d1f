/**
 * Request validation and responses shared by the route files: an HttpError that the router turns into
 * `{ "error": reason }` with its status, bounded body reading, and typed parameter parsers. Every
 * parser throws HttpError(400) naming the parameter, so a malformed request never reaches the engine.
 */

import { validateSegment } from "../polyscore/runs/files.ts";

/** An error with an HTTP status; the router answers it as JSON `{ error }`. */
export class HttpError extends Error {
  readonly status: number;
  /** Extra response headers (e.g. `retry-after` on 429/503). */
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.headers = headers;
  }
}

/** A JSON response (no caching). */
export function json(data: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(data), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

/** The `{ error }` response of a failed request. */
export function errorResponse(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return json({ error: message }, status, headers);
}

/** Validates a run id from a URL parameter → 400 with the reason when invalid. */
export function runIdParam(value: string | undefined | null): string {
  try {
    return validateSegment(value ?? "", "run id");
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
}

/**
 * An integer query/body value in [min, max]; `fallback` when absent (undefined → required). With
 * `json`, only JSON numbers are accepted (a string "10" is refused).
 */
export function intParam(
  name: string,
  raw: unknown,
  min: number,
  max: number,
  fallback?: number,
  json = false,
): number {
  if (raw === null || raw === undefined || raw === "") {
    if (fallback !== undefined) return fallback;
    throw new HttpError(400, `Cannot read ${name}: it is required`);
  }
  const v = typeof raw === "number"
    ? raw
    : typeof raw === "string" && !json && /^-?\d{1,16}$/.test(raw)
    ? Number(raw)
    : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new HttpError(
      400,
      `Cannot read ${name}: it must be an integer in [${min}, ${max}]: current value is ${
        JSON.stringify(raw).slice(0, 40)
      }`,
    );
  }
  return v;
}

/**
 * Reads a request body of at most `maxBytes`, refusing larger ones early → 400; a body that has not
 * arrived within `timeoutMs` → 408.
 */
export async function readBody(
  req: Request,
  maxBytes: number,
  timeoutMs = 30_000,
): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new HttpError(400, `Cannot read body: it is ${declared} bytes, more than ${maxBytes}`);
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), timeoutMs));
  try {
    return await readChunks(reader, maxBytes, timedOut, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

async function readChunks(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
  timedOut: Promise<"timeout">,
  timeoutMs: number,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    let chunk: ReadableStreamReadResult<Uint8Array> | "timeout";
    try {
      chunk = await Promise.race([reader.read(), timedOut]);
    } catch {
      // The client closed the connection mid-body (or sent less than its Content-Length).
      throw new HttpError(400, `Cannot read body: it ended early, after ${total} bytes`);
    }
    if (chunk === "timeout") {
      await reader.cancel().catch(() => {});
      throw new HttpError(
        408,
        `Cannot read body: it did not arrive within ${timeoutMs / 1000} s (${total} bytes came)`,
      );
    }
    const { done, value } = chunk;
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new HttpError(400, `Cannot read body: it is more than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * Reads a JSON object body (content-type application/json, at most `maxBytes`) → 400; 408 when it
 * has not arrived within `timeoutMs`.
 */
export async function readJsonObject(
  req: Request,
  maxBytes: number,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(
      400,
      `Cannot read body: content-type must be application/json: current value is ${
        type.slice(0, 60) || "none"
      }`,
    );
  }
  const bytes = await readBody(req, maxBytes, timeoutMs);
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new HttpError(
      400,
      `Cannot read body: it is not valid JSON: ${(e as Error).message.slice(0, 120)}`,
    );
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new HttpError(400, "Cannot read body: it must be a JSON object");
  }
  return v as Record<string, unknown>;
}
