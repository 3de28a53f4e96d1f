/**
 * The dashboard under sampling load (gh-19 defect 1), on loopback against a real tiny run and the
 * real sampler: 50 concurrent maximum sampling requests (the server's largest steps × count) while a
 * probe reads /api/runs every 100 ms. The probe must stay fast (sampling runs in a worker, not on
 * the request loop): its worst latency is printed against the goal of 250 ms, its p95 must be
 * ≤ 250 ms and it must keep its cadence (on a machine so busy that a sampling job takes seconds,
 * the bounds are fractions of the mean job instead: a sampler on the request loop holds each probe
 * for about a job, and lets one through per job); the bounded queue must refuse the overflow with
 * 429 and a `Retry-After`, and every answer is 200 or 429. Prints the probe's latencies, the counts
 * and the process RSS before and after. Bounded: every request has a timeout and the test a
 * deadline, scaled by the machine's load (tests/_slow.ts).
 */

import assert from "node:assert/strict";
import { createDashboard } from "../cli/dashboard.ts";
import { DEFAULT_LIMITS } from "../server/state.ts";
import { trainTiny } from "./_tiny_run.ts";
import { patient } from "./_slow.ts";

if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", "/tmp");

/** The probe's goal, ms (the issue's). */
const PROBE_GOAL_MS = 250;

Deno.test({
  name: "gh-19: 50 concurrent maximum samples → 200/429 with Retry-After; /api/runs stays fast",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const root = Deno.makeTempDirSync({ prefix: "sampling_load_" });
    await trainTiny(root, "tiny");
    // Hang guards, not measurements: 8 queued maximum jobs on a busy machine take minutes.
    const guardMs = patient(60_000);
    const app = createDashboard({ runsRoot: root, maxQueue: 8, deadlineMs: guardMs });
    const ac = new AbortController();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
      app.handler,
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    const deadline = AbortSignal.timeout(1.5 * guardMs);
    const signal = () => AbortSignal.any([deadline, AbortSignal.timeout(guardMs)]);
    try {
      const rssBefore = Deno.memoryUsage().rss;
      // The probe: one GET /api/runs every 100 ms until told to stop.
      const probe: number[] = [];
      let probing = true;
      const probeStart = performance.now();
      const probeLoop = (async () => {
        while (probing) {
          const t0 = performance.now();
          const res = await fetch(`${base}/api/runs`, { signal: signal() });
          await res.body?.cancel();
          assert.equal(res.status, 200);
          probe.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      await new Promise((r) => setTimeout(r, 300)); // a few probes before the load
      const body = JSON.stringify({
        method: "sbm-ae",
        observed: [{ modality: 0, index: 1 }],
        steps: DEFAULT_LIMITS.maxSteps,
        count: DEFAULT_LIMITS.maxCount,
        seed: 1,
      });
      const t0 = performance.now();
      const answers = await Promise.all(Array.from({ length: 50 }, async () => {
        const res = await fetch(`${base}/api/playground/tiny/sample`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: signal(),
        });
        const text = await res.text();
        return { status: res.status, retryAfter: res.headers.get("retry-after"), text };
      }));
      const wall = performance.now() - t0;
      await new Promise((r) => setTimeout(r, 300)); // a few probes after
      probing = false;
      await probeLoop;
      const probeWall = performance.now() - probeStart;
      const rssAfter = Deno.memoryUsage().rss;

      const ok = answers.filter((a) => a.status === 200);
      const full = answers.filter((a) => a.status === 429);
      // Jobs run one at a time: the mean job (the session's opening included) of this machine now.
      const jobMs = wall / Math.max(1, ok.length);
      const worst = Math.max(...probe);
      const sorted = [...probe].sort((a, b) => a - b);
      console.log(
        `sampling load: 50 × (steps ${DEFAULT_LIMITS.maxSteps}, count ${DEFAULT_LIMITS.maxCount}) in ${
          wall.toFixed(0)
        } ms (${
          jobMs.toFixed(0)
        } ms a job): ${ok.length}×200, ${full.length}×429; probe /api/runs n=${probe.length} p50=${
          sorted[Math.floor(sorted.length / 2)].toFixed(1)
        } ms max=${worst.toFixed(1)} ms (goal ≤ ${PROBE_GOAL_MS} ms: ${
          worst <= PROBE_GOAL_MS ? "met" : "not met"
        }); RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MiB`,
      );
      const other = answers.filter((a) => a.status !== 200 && a.status !== 429);
      assert.deepEqual(other.map((a) => `${a.status}: ${a.text.slice(0, 200)}`), []);
      assert.ok(ok.length >= 1, "some samples were served");
      assert.ok(full.length >= 1, "the bounded queue refused the overflow");
      for (const a of full) assert.match(a.retryAfter ?? "", /^[1-9]\d*$/, "429 has Retry-After");
      for (const a of ok) {
        const out = JSON.parse(a.text).outputs;
        assert.equal(out[0].images.length, DEFAULT_LIMITS.maxCount);
      }
      // The goal (worst ≤ 250 ms) is printed above; what is asserted must also hold when CI runs
      // every test file in parallel on 2 cores (there the worst probe, descheduled, reached
      // ~350 ms while p50 stayed ~3 ms). A sampler on the request loop lets about one probe
      // through per job (measured with pipelineSamplerProvider in place of the worker: jobs of
      // 359 ms, one probe per 437 ms, failing the cadence). On a machine so loaded (load average
      // 15 on 2 cores) that a job takes seconds, a probe is descheduled for longer than 250 ms
      // too: the bounds grow to a quarter and a third of a job, still below what a blocked loop
      // gives (a probe per job).
      const p95 = sorted[Math.floor(0.95 * (sorted.length - 1))];
      const p95Bound = Math.max(PROBE_GOAL_MS, jobMs / 4);
      assert.ok(
        p95 <= p95Bound,
        `the probe's p95 ${p95.toFixed(0)} ms is over ${p95Bound.toFixed(0)} (a job: ${
          jobMs.toFixed(0)
        } ms)`,
      );
      const period = probeWall / probe.length, periodBound = Math.max(200, jobMs / 3);
      assert.ok(
        period <= periodBound,
        `one probe per ${period.toFixed(0)} ms (every 100 ms + latency; bound ${
          periodBound.toFixed(0)
        } ms, a job ${jobMs.toFixed(0)} ms)`,
      );
    } finally {
      await app.close();
      ac.abort();
      await server.finished;
      Deno.removeSync(root, { recursive: true });
    }
  },
});
