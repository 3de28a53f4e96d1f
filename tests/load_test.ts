/**
 * A bounded load test on loopback: 50 concurrent sampling requests and 1,000 malformed requests
 * (bad JSON, bad fields, out-of-range numbers, oversized bodies, path escapes, bad queries, raw
 * garbage on the socket) against a real `Deno.serve` of the dashboard with the sampler test double.
 * Every answer must be 200, 400 or 429, and the server must still serve afterwards. Latencies are
 * printed. Stops by itself: every request has a timeout and the whole test a deadline.
 */

import assert from "node:assert/strict";
import { createDashboard } from "../cli/dashboard.ts";
import { makeDoneRun } from "./_fixtures.ts";
import { playgroundDouble } from "./_playground_double.ts";

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

function summary(name: string, ms: number[]): string {
  return `${name}: n=${ms.length} p50=${pct(ms, 0.5).toFixed(1)} ms p95=${
    pct(ms, 0.95).toFixed(1)
  } ms max=${Math.max(...ms).toFixed(1)} ms`;
}

/** Runs `jobs` with at most `limit` in flight. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  }));
  return out;
}

async function rawGarbage(port: number, payload: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(payload));
    const buf = new Uint8Array(256);
    const n = await Promise.race([
      conn.read(buf),
      new Promise<null>((r) => setTimeout(() => r(null), 5000)),
    ]);
    const head = n ? new TextDecoder().decode(buf.subarray(0, n)) : "";
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    return m ? Number(m[1]) : 0; // 0: the server closed the connection without an answer
  } finally {
    conn.close();
  }
}

Deno.test({
  name: "load: 50 concurrent samples + 1,000 malformed requests → only 200/400/429, still serving",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const root = Deno.makeTempDirSync({ prefix: "load_runs_" });
    makeDoneRun(root, "run-1");
    const sampler = playgroundDouble({ delayMs: 5 });
    const app = createDashboard({ runsRoot: root, sampler, maxQueue: 8 });
    const ac = new AbortController();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
      app.handler,
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    const deadline = AbortSignal.timeout(50_000);
    const timed = async (
      url: string,
      init: RequestInit = {},
    ): Promise<{ status: number; ms: number }> => {
      const t0 = performance.now();
      const res = await fetch(base + url, {
        ...init,
        signal: AbortSignal.any([deadline, AbortSignal.timeout(10_000)]),
      });
      await res.body?.cancel();
      return { status: res.status, ms: performance.now() - t0 };
    };
    const postJson = (url: string, body: string) =>
      timed(url, { method: "POST", headers: { "content-type": "application/json" }, body });
    try {
      // 50 concurrent valid sampling requests.
      const good = JSON.stringify({
        method: "sbm-ae",
        observed: [{ modality: 0, index: 3 }],
        steps: 10,
        count: 2,
        seed: 1,
      });
      const t0 = performance.now();
      const samples = await Promise.all(
        Array.from({ length: 50 }, () => postJson("/api/playground/run-1/sample", good)),
      );
      const sampleWall = performance.now() - t0;

      // 1,000 malformed requests, 50 in flight.
      const bodies = [
        "{",
        "[]",
        "null",
        '"x"',
        JSON.stringify({ method: "nope", observed: [], steps: 1, count: 1 }),
        JSON.stringify({
          method: "sbm-ae",
          observed: [{ modality: 0, index: 3 }],
          steps: 0,
          count: 1,
        }),
        JSON.stringify({
          method: "sbm-ae",
          observed: [{ modality: 0, index: 3 }],
          steps: 10,
          count: 1e6,
        }),
        JSON.stringify({
          method: "sbm-ae",
          observed: [{ modality: 99, index: 0 }],
          steps: 10,
          count: 1,
        }),
        JSON.stringify({
          method: "sbm-ae",
          observed: [{ modality: 0, index: -1 }],
          steps: 10,
          count: 1,
        }),
        JSON.stringify({
          method: "sbm-ae",
          observed: [{ modality: 0, data: "%%%" }],
          steps: 10,
          count: 1,
        }),
        JSON.stringify({
          method: "sbm-ae",
          observed: [{ modality: 0, data: "AAAA" }],
          steps: 10,
          count: 1,
        }),
        JSON.stringify({ method: "sbm-ae", observed: "all", steps: 10, count: 1 }),
        "\u0000\u0001binary",
      ];
      const gets = [
        "/runs/..%2F..%2Fetc%2Fpasswd",
        "/runs/%2e%2e%2f",
        "/runs/a%00b",
        "/runs/%E0%A4%A",
        "/api/runs/run-1/metrics?after=-1",
        "/api/runs/run-1/metrics?limit=999999",
        "/api/runs/run-1/metrics?stage=%3Cscript%3E",
        "/api/runs/run-1/events?afterMetric=abc",
        "/api/runs/run-1/files/run.sqlite",
        "/api/runs/run-1/files/..%2F..%2Fdeno.json",
        "/api/runs/run-1/files/checkpoints/x.safetensors",
        "/api/playground/run-1/example?modality=x&index=0",
        "/api/playground/run-1/example?modality=0&index=99999",
        "/api/playground/bad%20id",
        `/runs/${"x".repeat(300)}`,
      ];
      const jobs: (() => Promise<{ status: number; ms: number; kind: string }>)[] = [];
      for (let i = 0; i < 1000; i++) {
        const k = i % 20;
        if (k < 10) {
          const b = bodies[i % bodies.length];
          jobs.push(async () => ({
            ...(await postJson("/api/playground/run-1/sample", b)),
            kind: "bad body",
          }));
        } else if (k < 17) {
          const u = gets[i % gets.length];
          jobs.push(async () => ({ ...(await timed(u)), kind: "bad url" }));
        } else if (k === 17) {
          jobs.push(async () => ({
            ...(await timed("/api/playground/run-1/sample", {
              method: "POST",
              headers: { "content-type": "text/plain" },
              body: good,
            })),
            kind: "bad type",
          }));
        } else if (k === 18 && i % 200 === 18) {
          // A few oversized bodies (1.2 MB each).
          const big = JSON.stringify({ method: "sbm-ae", pad: "x".repeat(1_200_000) });
          jobs.push(async () => ({
            ...(await postJson("/api/playground/run-1/sample", big)),
            kind: "oversized",
          }));
        } else {
          const garbage = [
            "GARBAGE\r\n\r\n",
            "GET /\r\n\r\n",
            "GET / HTTP/9.9\r\n\r\n",
            "POST /api/playground/run-1/sample HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
          ][i % 4];
          jobs.push(async () => {
            const t = performance.now();
            return {
              status: await rawGarbage(server.addr.port, garbage),
              ms: performance.now() - t,
              kind: "raw",
            };
          });
        }
      }
      const t1 = performance.now();
      const bad = await pool(jobs, 50);
      const badWall = performance.now() - t1;

      const allowed = new Set([200, 400, 429]);
      const sampleCodes = samples.map((r) => r.status);
      assert.ok(
        sampleCodes.every((c) => c === 200 || c === 429),
        `sample codes: ${[...new Set(sampleCodes)]}`,
      );
      assert.ok(sampleCodes.includes(200));
      const badCodes = new Map<number, number>();
      for (const r of bad) badCodes.set(r.status, (badCodes.get(r.status) ?? 0) + 1);
      const unexpected = bad.filter((r) => !allowed.has(r.status)).map((r) =>
        `${r.kind}:${r.status}`
      );
      assert.deepEqual(unexpected, []);
      assert.deepEqual(
        bad.filter((r) => r.status === 200).map((r) => r.kind),
        [],
        "no malformed request succeeded",
      );
      assert.equal(sampler.stats.maxRunning, 1, "never two samplers at once");

      // Still serving.
      assert.equal((await timed("/")).status, 200);
      assert.equal((await postJson("/api/playground/run-1/sample", good)).status, 200);

      console.log(
        [
          `load: 50 concurrent samples in ${sampleWall.toFixed(0)} ms: ${
            sampleCodes.filter((c) => c === 200).length
          }×200, ${sampleCodes.filter((c) => c === 429).length}×429`,
          summary("  sample latency", samples.map((r) => r.ms)),
          `load: 1000 malformed in ${badWall.toFixed(0)} ms (50 in flight): ${
            [...badCodes].map(([c, n]) => `${n}×${c}`).join(", ")
          }`,
          ...["bad body", "bad url", "bad type", "oversized", "raw"].map((k) =>
            summary(`  ${k}`, bad.filter((r) => r.kind === k).map((r) => r.ms))
          ),
        ].join("\n"),
      );
    } finally {
      await app.close();
      ac.abort();
      await server.finished;
      Deno.removeSync(root, { recursive: true });
    }
  },
});
