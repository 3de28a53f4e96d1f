/**
 * GET /api/runs/:id/events?afterMetric=&afterEvent= — the one live route (server-sent events).
 * Streams `metrics` ({rows}), `log` ({events}) and `status` ({status, stage, progress, message})
 * while the run is running, polling the run's SQLite (WAL) every pollMs; sends `end` and closes when
 * it is not. Each message's id is "metricRowid:eventId", so a reconnecting EventSource resumes
 * (Last-Event-ID) with nothing repeated. At most limits.maxStreams streams at once (429 beyond).
 */

import { deriveStatus, RunStore } from "../../../../polyscore/runs/store.ts";
import { define } from "../../../../server/define.ts";
import { HttpError, intParam } from "../../../../server/http.ts";
import { runDir } from "../../../../server/runs.ts";

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

export const handler = define.handlers({
  GET(ctx) {
    const { state } = ctx;
    runDir(state, ctx.params.id);
    const q = ctx.url.searchParams;
    let afterMetric = intParam("afterMetric", q.get("afterMetric"), 0, Number.MAX_SAFE_INTEGER, 0);
    let afterEvent = intParam("afterEvent", q.get("afterEvent"), 0, Number.MAX_SAFE_INTEGER, 0);
    const last = ctx.req.headers.get("last-event-id");
    if (last !== null) {
      const m = /^(\d{1,15}):(\d{1,15})$/.exec(last);
      if (!m) {
        throw new HttpError(
          400,
          `Cannot read Last-Event-ID: it must be "metric:event": current value is ${
            JSON.stringify(last.slice(0, 40))
          }`,
        );
      }
      afterMetric = Number(m[1]);
      afterEvent = Number(m[2]);
    }
    if (state.streams.size >= state.limits.maxStreams) {
      throw new HttpError(
        429,
        `Cannot open a live stream: ${state.streams.size} are open already; try again shortly`,
        { "retry-after": "5" },
      );
    }
    const store = RunStore.open(state.runsRoot, ctx.params.id, { readOnly: true });
    const ac = new AbortController();
    state.streams.add(ac);
    ctx.req.signal?.addEventListener("abort", () => ac.abort());
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        const send = (event: string, data: unknown) =>
          controller.enqueue(
            enc.encode(
              `event: ${event}\nid: ${afterMetric}:${afterEvent}\ndata: ${
                JSON.stringify(data)
              }\n\n`,
            ),
          );
        let lastStatus = "";
        let lastPing = Date.now();
        try {
          controller.enqueue(enc.encode("retry: 2000\n\n"));
          while (!ac.signal.aborted) {
            const rows = store.metrics({ afterRowId: afterMetric, limit: 5000 });
            if (rows.length > 0) {
              afterMetric = rows.at(-1)!.rowid;
              send("metrics", {
                rows: rows.map((
                  r,
                ) => [r.rowid, r.stage, r.step, r.name, Number.isFinite(r.value) ? r.value : null]),
              });
            }
            const events = store.events(afterEvent, 500);
            if (events.length > 0) {
              afterEvent = events.at(-1)!.id;
              send("log", { events });
            }
            const meta = store.meta();
            const status = {
              status: deriveStatus(meta),
              stage: meta.stage ?? "",
              progress: Number(meta.progress ?? 0),
              message: meta.message ?? "",
            };
            const key = JSON.stringify(status);
            if (key !== lastStatus) {
              lastStatus = key;
              send("status", status);
            }
            if (status.status !== "running" && rows.length < 5000 && events.length < 500) {
              send("end", status);
              break;
            }
            if (Date.now() - lastPing > 15_000) {
              controller.enqueue(enc.encode(": ping\n\n"));
              lastPing = Date.now();
            }
            await sleep(state.pollMs, ac.signal);
          }
        } catch (e) {
          if (!ac.signal.aborted) console.error(`serve: events stream of ${ctx.params.id}:`, e);
        } finally {
          store.close();
          state.streams.delete(ac);
          try {
            controller.close();
          } catch {
            // Already closed by the client.
          }
        }
      },
      cancel() {
        ac.abort();
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  },
});
