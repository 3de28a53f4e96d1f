/**
 * Every dashboard route through the handler (no network): pages, JSON APIs, the live SSE stream,
 * files, static assets, the playground (with a test double of the sampler) and malformed input —
 * every bad request is a 400 with a reason (or 404/405/429 where that is the truth), never a 500.
 */

import assert from "node:assert/strict";
import { RunStore } from "../polyscore/runs/store.ts";
import { build } from "../app/build.ts";
import { createDashboard } from "../cli/dashboard.ts";
import type { DashboardServer } from "../server/server.ts";
import { makeDoneRun, trainLoop } from "./_fixtures.ts";
import { playgroundDouble } from "./_playground_double.ts";
import { plotPanels } from "../polyscore/report/plot.ts";

const BASE = "http://localhost";

function setup(opts: { maxQueue?: number; delayMs?: number } = {}) {
  const root = Deno.makeTempDirSync({ prefix: "routes_" });
  makeDoneRun(root, "done-1");
  const sampler = playgroundDouble({ delayMs: opts.delayMs });
  const server = createDashboard({ runsRoot: root, sampler, maxQueue: opts.maxQueue, pollMs: 30 });
  return { root, sampler, server };
}

async function teardown(root: string, server: DashboardServer) {
  await server.close();
  Deno.removeSync(root, { recursive: true });
}

async function get(server: DashboardServer, path: string, init: RequestInit = {}) {
  const res = await server.handler(new Request(BASE + path, init));
  const type = res.headers.get("content-type") ?? "";
  const body = type.includes("json")
    ? await res.json()
    : type.startsWith("image/")
    ? new Uint8Array(await res.arrayBuffer())
    : await res.text();
  return { status: res.status, type, body, headers: res.headers };
}

function post(server: DashboardServer, path: string, body: unknown, type = "application/json") {
  return get(server, path, {
    method: "POST",
    headers: { "content-type": type },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

Deno.test("GET / lists runs with status, preset, stage and key metrics", async () => {
  const { root, server } = setup();
  try {
    const run = RunStore.create(root, {
      id: "live-1",
      config: {},
      preset: "tiny",
      backend: "wasm",
    });
    run.setStage("ae/m0", 0.5);
    const r = await get(server, "/");
    assert.equal(r.status, 200);
    assert.match(r.type, /text\/html/);
    assert.match(r.body, /^<!DOCTYPE html>/);
    assert.match(r.body, /data-run="done-1"/);
    assert.match(r.body, /data-run="live-1"/);
    assert.match(r.body, /status-done/);
    assert.match(r.body, /status-running/);
    assert.match(
      r.body,
      /<meta http-equiv="refresh" content="5"\/>/,
      "refreshes while a run trains",
    );
    assert.match(r.body, /sbm-srr coh@2: <b>0.380<\/b>/);
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    assert.match(r.headers.get("content-security-policy")!, /script-src 'self'/);
    run.close();
    const api = await get(server, "/api/runs");
    assert.equal(api.status, 200);
    assert.deepEqual(api.body.runs.map((x: { id: string }) => x.id).sort(), ["done-1", "live-1"]);
  } finally {
    await teardown(root, server);
  }
});

Deno.test("GET /runs/:id renders curves, samples, coherence, reduction and config", async () => {
  const { root, server } = setup();
  try {
    const r = await get(server, "/runs/done-1");
    assert.equal(r.status, 200);
    assert.match(r.body, /data-island="LiveRun"/);
    assert.match(r.body, /&quot;ae\/m0&quot;/, "series are in the island props");
    assert.match(r.body, /id="sample-grid"/);
    assert.match(r.body, /src="\/api\/runs\/done-1\/files\/samples\/recon_m0.png"/);
    assert.match(r.body, /id="coherence-chart"/);
    assert.match(r.body, /id="reduction"/);
    assert.match(r.body, /Total rank <b>12<\/b> of <b>24<\/b>/);
    assert.match(r.body, /id="h-diagnostics"/);
    assert.match(r.body, /learned, held-out \(100\)<\/td><td>1.100<\/td><td>0.0051<\/td>/);
    assert.match(r.body, /largest basis angle per modality: 3.0°, 4.5°, 6.0°/);
    assert.match(r.body, /id="lift-ceiling"/);
    assert.match(r.body, /<td>chosen<\/td><td>12<\/td><td>0.700 \/ 0.800<\/td>/);
    assert.match(r.body, /id="per-modality"/);
    assert.match(
      r.body,
      /<th>sbm-srr<\/th><td>34\.0<\/td><td>33\.0<\/td><td>44\.0<\/td>/,
      "the conditional FD by given count, then the unconditional one",
    );
    // gh-19 #11: results lead, curves follow; n and intervals; legends; report.md's numbers.
    assert.ok(r.body.indexOf('id="results"') < r.body.indexOf('data-island="LiveRun"'));
    assert.match(r.body, /n = 100 test tuples per subset/);
    assert.match(r.body, /bootstrap over tuples/, "the evaluation's own intervals are used");
    assert.match(r.body, /0\.200<span class="ci"> \[0\.150, 0\.250\]<\/span>/);
    assert.match(r.body, /id="paired-table"/);
    assert.match(
      r.body,
      /\+0\.100 \*<\/td><td>\[0\.060, 0\.140\]/,
      "significant pairs are starred",
    );
    assert.doesNotMatch(r.body, /± 0\.000/, "no ± 0 for a single seed");
    assert.match(r.body, /rows are the modalities in order/);
    assert.match(r.body, /not Inception FID/);
    assert.match(r.body, /id="time-split"/);
    assert.match(
      r.body,
      /id="score-scale"[\s\S]*<th>sbm-srr<\/th><td>1<\/td><td>2<\/td><td>1.75: 0.264, 2: 0.330, 2.5: 0.412<\/td><td>0.331<\/td>/,
      "the γ chosen from the data, with the γ tried",
    );
    assert.match(r.body, /&quot;markers&quot;:\[\{&quot;x&quot;:/, "rank cut-offs are marked");
    assert.match(r.body, /href="\/api\/runs\/done-1\/files\/report.md"/);
    assert.match(r.body, /<script type="module" src="\/static\/islands\/client.js">/);
    const j = await get(server, "/api/runs/done-1");
    assert.equal(j.status, 200);
    assert.equal(j.body.summary.status, "done");
    assert.deepEqual(j.body.samples, ["samples/recon_m0.png", "samples/sbm-ae_given_m0.png"]);
    for (const bad of ["/runs/..%2F..%2Fetc", "/runs/a%00b", "/runs/%ZZ", "/api/runs/.."]) {
      const b = await get(server, bad);
      assert.ok(b.status === 400 || b.status === 404, `${bad}: ${b.status}`);
    }
    assert.equal((await get(server, "/runs/no-such-run")).status, 404);
    const html = await get(server, "/runs/no-such-run", { headers: { accept: "text/html" } });
    assert.equal(html.status, 404);
    assert.match(html.type, /text\/html/, "a browser gets a page, not raw JSON");
    assert.match(html.body, /Cannot find run no-such-run/);
    assert.equal((await get(server, "/runs/bad%20id")).status, 400);
  } finally {
    await teardown(root, server);
  }
});

Deno.test("GET /runs/:id lists every report of the run, re-evaluations in number order", async () => {
  const { root, server } = setup();
  try {
    const dir = `${root}/done-1`;
    const report = await Deno.readTextFile(`${dir}/report.json`);
    for (const n of [10, 2]) Deno.writeTextFileSync(`${dir}/report.eval${n}.json`, report);
    Deno.writeTextFileSync(`${dir}/report.eval2.md`, "# re-evaluation\n");
    const r = await get(server, "/runs/done-1");
    assert.equal(r.status, 200);
    const links = [...r.body.matchAll(/href="\/api\/runs\/done-1\/files\/(report[^"]*)"/g)]
      .map((m) => m[1]);
    assert.deepEqual(links, [
      "report.md",
      "report.json",
      "report.eval2.md",
      "report.eval2.json",
      "report.eval10.json",
    ]);
    const j = await get(server, "/api/runs/done-1");
    assert.deepEqual(j.body.reports[2], { json: "report.eval10.json", markdown: null });
  } finally {
    await teardown(root, server);
  }
});

Deno.test("GET /api/runs/:id/metrics pages rows and validates its query", async () => {
  const { root, server } = setup();
  try {
    const all = await get(server, "/api/runs/done-1/metrics?limit=10000");
    assert.equal(all.status, 200);
    assert.equal(all.body.rows.length, 3 * 60 * 2 + 80 * 2);
    const page = await get(
      server,
      `/api/runs/done-1/metrics?after=${all.body.rows[9][0]}&limit=5&stage=ae/m0`,
    );
    assert.equal(page.body.rows.length, 5);
    assert.ok(
      page.body.rows.every((r: unknown[]) =>
        r[1] === "ae/m0" && (r[0] as number) > all.body.rows[9][0]
      ),
    );
    for (
      const q of [
        "after=-1",
        "after=abc",
        "limit=0",
        "limit=10001",
        "stage=%3Cscript%3E",
        "after=1e3",
        `stage=${"x".repeat(65)}`,
      ]
    ) {
      const r = await get(server, `/api/runs/done-1/metrics?${q}`);
      assert.equal(r.status, 400, q);
      assert.match(r.body.error, /^Cannot read/, q);
    }
  } finally {
    await teardown(root, server);
  }
});

async function readSse(
  res: Response,
  until: (events: { event: string; data: unknown; id: string }[]) => boolean,
) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { event: string; data: unknown; id: string }[] = [];
  let buf = "";
  while (!until(events)) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += value;
    let k;
    while ((k = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, k);
      buf = buf.slice(k + 2);
      const f = Object.fromEntries(
        block.split("\n").filter((l) => !l.startsWith(":")).map((
          l,
        ) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]),
      );
      if (f.event) events.push({ event: f.event, data: JSON.parse(f.data), id: f.id });
    }
  }
  await reader.cancel();
  return events;
}

Deno.test("GET /api/runs/:id/events streams a live run's new metrics and ends when it is done", async () => {
  const { root, server } = setup();
  try {
    const run = RunStore.create(root, {
      id: "live-2",
      config: {},
      preset: "tiny",
      backend: "wasm",
    });
    trainLoop(run, "ae/m0", 5, 1);
    const first = run.metrics().at(-1)!.rowid;
    const res = await server.handler(
      new Request(`${BASE}/api/runs/live-2/events?afterMetric=${first}&afterEvent=0`),
    );
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /text\/event-stream/);
    const writer = (async () => {
      await new Promise((r) => setTimeout(r, 60));
      trainLoop(run, "ae/m0", 5, 1, 6);
      run.event("info", "ae/m0", "halfway");
      await new Promise((r) => setTimeout(r, 60));
      run.setStatus("done");
    })();
    const events = await readSse(res, (ev) => ev.some((e) => e.event === "end"));
    await writer;
    const rows = events.filter((e) => e.event === "metrics").flatMap((e) =>
      (e.data as { rows: unknown[][] }).rows
    );
    assert.deepEqual(
      [...new Set(rows.map((r) => r[2]))],
      [6, 7, 8, 9, 10],
      "only steps after the cursor, none repeated",
    );
    assert.ok(events.some((e) => e.event === "log" && JSON.stringify(e.data).includes("halfway")));
    assert.equal((events.at(-1)!.data as { status: string }).status, "done");
    assert.match(events.at(-1)!.id, /^\d+:\d+$/);
    run.close();
    assert.equal(server.state.streams.size, 0, "stream closed and forgotten");
    // Last-Event-ID resumes after the cursor; a malformed one is a 400.
    const resumed = await server.handler(
      new Request(`${BASE}/api/runs/live-2/events`, {
        headers: { "last-event-id": events.at(-1)!.id },
      }),
    );
    const again = await readSse(resumed, (ev) => ev.some((e) => e.event === "end"));
    assert.equal(again.filter((e) => e.event === "metrics").length, 0);
    const bad = await get(server, "/api/runs/live-2/events", { headers: { "last-event-id": "x" } });
    assert.equal(bad.status, 400);
    assert.equal((await get(server, "/api/runs/live-2/events?afterMetric=-5")).status, 400);
  } finally {
    await teardown(root, server);
  }
});

Deno.test("gh-19: GET /api/runs/:id/files refuses symbolic links that lead outside the run folder", async () => {
  const { root, server } = setup();
  const outside = Deno.makeTempDirSync({ prefix: "outside_" });
  try {
    Deno.writeTextFileSync(`${outside}/secret.txt`, "not a run file\n");
    Deno.symlinkSync(`${outside}/secret.txt`, `${root}/done-1/leak.txt`);
    Deno.symlinkSync("/etc/passwd", `${root}/done-1/samples/passwd.txt`);
    Deno.symlinkSync(outside, `${root}/done-1/linked`);
    // A link that stays inside the run folder is served.
    Deno.symlinkSync(`${root}/done-1/report.json`, `${root}/done-1/alias.json`);
    for (const bad of ["leak.txt", "samples/passwd.txt", "linked/secret.txt"]) {
      const r = await get(server, `/api/runs/done-1/files/${bad}`);
      assert.equal(r.status, 403, `${bad}: ${r.status}`);
      assert.match(r.body.error, /is a link to a place outside its folder/);
      assert.doesNotMatch(JSON.stringify(r.body), /not a run file|root:/);
    }
    assert.equal((await get(server, "/api/runs/done-1/files/alias.json")).status, 200);
  } finally {
    await teardown(root, server);
    Deno.removeSync(outside, { recursive: true });
  }
});

Deno.test("GET /api/runs/:id/files serves run files and nothing outside them", async () => {
  const { root, server } = setup();
  try {
    const png = await get(server, "/api/runs/done-1/files/samples/recon_m0.png");
    assert.equal(png.status, 200);
    assert.equal(png.type, "image/png");
    assert.deepEqual(Array.from((png.body as Uint8Array).subarray(1, 4)), [80, 78, 71]);
    assert.equal((await get(server, "/api/runs/done-1/files/report.json")).status, 200);
    assert.equal((await get(server, "/api/runs/done-1/files/samples/nope.png")).status, 404);
    for (
      const bad of [
        "run.sqlite",
        "checkpoints/x.safetensors",
        "config",
        "%2e%2e/%2e%2e/deno.json",
        "..%2F..%2Fdeno.json",
        "a%5Cb.png",
      ]
    ) {
      const r = await get(server, `/api/runs/done-1/files/${bad}`);
      assert.ok(r.status === 400 || r.status === 404, `${bad}: ${r.status}`);
      assert.notEqual(r.status, 200);
    }
    assert.equal((await get(server, "/static/style.css")).status, 200);
    assert.match((await get(server, "/static/islands/client.js")).type, /javascript/);
    assert.equal((await get(server, "/static/nope.css")).status, 404);
    assert.notEqual((await get(server, "/static/..%2F..%2Fdeno.json")).status, 200);
  } finally {
    await teardown(root, server);
  }
});

Deno.test("playground: info, test examples and sampling through the queue", async () => {
  const { root, server, sampler } = setup();
  try {
    const info = await get(server, "/api/playground/done-1");
    assert.equal(info.status, 200);
    assert.deepEqual(info.body.methods, ["sbm-ae", "sbm-srr"]);
    assert.equal(info.body.modalities.length, 3);
    const ex = await get(server, "/api/playground/done-1/example?modality=1&index=3");
    assert.equal(ex.status, 200);
    assert.equal(ex.type, "image/png");
    const page = await get(server, "/playground?run=done-1");
    assert.equal(page.status, 200);
    assert.match(page.body, /data-island="Playground"/);
    assert.match(page.body, /id="sample-button"/);
    const upload = btoa(String.fromCharCode(...new Uint8Array(3 * 28 * 28).fill(200)));
    const r = await post(server, "/api/playground/done-1/sample", {
      method: "sbm-srr",
      observed: [{ modality: 0, index: 2 }, { modality: 2, data: upload }],
      steps: 10,
      count: 3,
      seed: 7,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.outputs.length, 1);
    assert.equal(r.body.outputs[0].modality, 1);
    assert.equal(r.body.outputs[0].images.length, 3);
    assert.match(r.body.outputs[0].images[0], /^data:image\/png;base64,iVBORw0KGgo/);
    assert.equal(sampler.stats.opened, 1, "the session is opened once and cached");
  } finally {
    await teardown(root, server);
  }
});

Deno.test("playground: malformed requests are 400 with a reason", async () => {
  const { root, server, sampler } = setup();
  try {
    const ok = {
      method: "sbm-ae",
      observed: [{ modality: 0, index: 0 }],
      steps: 10,
      count: 2,
      seed: 1,
    };
    const cases: [string, unknown, string?][] = [
      ["not json", "{nope"],
      ["array body", "[1,2]"],
      ["null body", "null"],
      ["unknown method", { ...ok, method: "gan" }],
      ["method type", { ...ok, method: 3 }],
      ["steps 0", { ...ok, steps: 0 }],
      ["steps huge", { ...ok, steps: 1e9 }],
      ["steps float", { ...ok, steps: 1.5 }],
      ["steps string", { ...ok, steps: "10" }],
      ["count 0", { ...ok, count: 0 }],
      ["count 17", { ...ok, count: 17 }],
      ["seed negative", { ...ok, seed: -1 }],
      ["observed not array", { ...ok, observed: {} }],
      ["all observed", { ...ok, observed: [0, 1, 2].map((m) => ({ modality: m, index: 0 })) }],
      ["duplicate modality", {
        ...ok,
        observed: [{ modality: 0, index: 0 }, { modality: 0, index: 1 }],
      }],
      ["modality out of range", { ...ok, observed: [{ modality: 3, index: 0 }] }],
      ["index out of range", { ...ok, observed: [{ modality: 0, index: 10 }] }],
      ["index and data", { ...ok, observed: [{ modality: 0, index: 0, data: "AAAA" }] }],
      ["neither index nor data", { ...ok, observed: [{ modality: 0 }] }],
      ["bad base64", { ...ok, observed: [{ modality: 0, data: "!!!" }] }],
      ["wrong upload size", { ...ok, observed: [{ modality: 0, data: "AAAA" }] }],
      ["unknown field", { ...ok, extra: 1 }],
      ["unknown observed field", { ...ok, observed: [{ modality: 0, index: 0, path: "/etc" }] }],
      ["observed entry null", { ...ok, observed: [null] }],
      ["proto pollution", JSON.parse('{"__proto__": {"x": 1}, "method": "sbm-ae"}')],
    ];
    for (const [name, body] of cases) {
      const r = await post(server, "/api/playground/done-1/sample", body);
      assert.equal(r.status, 400, `${name}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.match(r.body.error, /^Cannot /, name);
    }
    const wrongType = await post(
      server,
      "/api/playground/done-1/sample",
      JSON.stringify(ok),
      "text/plain",
    );
    assert.equal(wrongType.status, 400);
    const big = await post(
      server,
      "/api/playground/done-1/sample",
      JSON.stringify({ ...ok, pad: "x".repeat(1.2e6) }),
    );
    assert.equal(big.status, 400);
    assert.match(big.body.error, /more than 1048576/);
    for (
      const q of ["modality=9&index=0", "modality=0&index=-1", "modality=a&index=0", "index=0"]
    ) {
      assert.equal((await get(server, `/api/playground/done-1/example?${q}`)).status, 400, q);
    }
    assert.equal(
      (await get(server, "/api/playground/..%2F/example?modality=0&index=0")).status,
      400,
    );
    assert.equal((await get(server, "/api/playground/missing")).status, 404);
    assert.equal((await get(server, "/api/playground/done-1/sample")).status, 405);
    assert.equal((await get(server, "/api/runs", { method: "DELETE" })).status, 405);
    assert.equal(sampler.stats.samples, 0, "no malformed request reached the sampler");
  } finally {
    await teardown(root, server);
  }
});

Deno.test("playground: one sampler at a time; a full queue answers 429", async () => {
  const { root, server, sampler } = setup({ maxQueue: 3, delayMs: 40 });
  try {
    const body = {
      method: "sbm-ae",
      observed: [{ modality: 0, index: 1 }],
      steps: 5,
      count: 1,
      seed: 0,
    };
    assert.equal((await get(server, "/api/playground/done-1")).status, 200); // opens the session
    const [rs, previews] = await Promise.all([
      Promise.all(
        Array.from({ length: 8 }, () => post(server, "/api/playground/done-1/sample", body)),
      ),
      Promise.all(
        Array.from(
          { length: 10 },
          (_, i) => get(server, `/api/playground/done-1/example?modality=${i % 3}&index=${i}`),
        ),
      ),
    ]);
    assert.deepEqual(
      previews.map((r) => r.status),
      new Array(10).fill(200),
      "previews never wait behind samplers",
    );
    const codes = rs.map((r) => r.status).sort();
    assert.ok(codes.every((c) => c === 200 || c === 429), codes.join(","));
    assert.ok(codes.filter((c) => c === 200).length >= 1);
    assert.ok(codes.filter((c) => c === 429).length >= 1, codes.join(","));
    assert.match(rs.find((r) => r.status === 429)!.body.error, /try again/);
    assert.match(rs.find((r) => r.status === 429)!.headers.get("retry-after") ?? "", /^\d+$/);
    assert.equal(sampler.stats.maxRunning, 1, "never two samplers at once");
    assert.equal(server.state.playground.queue.maxRunningSeen, 1);
  } finally {
    await teardown(root, server);
  }
});

Deno.test("HEAD, unknown routes and a foreign Host header", async () => {
  const root = Deno.makeTempDirSync();
  const server = createDashboard({
    runsRoot: root,
    sampler: playgroundDouble(),
    allowedHosts: ["localhost", "127.0.0.1"],
  });
  try {
    const head = await server.handler(new Request(`${BASE}/`, { method: "HEAD" }));
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    assert.equal((await get(server, "/nope")).status, 404);
    const foreign = await server.handler(new Request("http://evil.example/api/runs"));
    assert.equal(foreign.status, 400);
    assert.match((await foreign.json()).error, /Cannot serve host evil.example/);
    const empty = await get(server, "/");
    assert.match(empty.body, /No runs yet/);
    assert.doesNotMatch(empty.body, /http-equiv="refresh"/);
    const pg = await get(server, "/playground");
    assert.equal(pg.status, 200);
  } finally {
    await server.close();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("the committed island bundle, uPlot CSS and route manifest are fresh", async () => {
  const stale = await build(true);
  assert.deepEqual(stale, [], "run 'deno task bundle' and commit the outputs");
});

Deno.test("playground: a run the sampler cannot open is a 409 with the reason, not a crash", async () => {
  const root = Deno.makeTempDirSync();
  makeDoneRun(root, "no-checkpoints");
  const server = createDashboard({ runsRoot: root, pollMs: 30 }); // the real pipeline provider
  try {
    const r = await get(server, "/api/playground/no-checkpoints");
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(r.body.error, /^Cannot open the sampler for this run: /);
    assert.ok(!r.body.error.includes(root), `gh-19: no absolute server path: ${r.body.error}`);
    const page = await get(server, "/playground?run=no-checkpoints");
    assert.equal(page.status, 200);
    assert.match(page.body, /class="error"/);
  } finally {
    await server.close();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("serve arguments: loopback by default, validated --port/--max-queue, unknown flags refused", async () => {
  const { parseServeArgs } = await import("../cli/serve.ts");
  assert.deepEqual(parseServeArgs([]), {
    host: "127.0.0.1",
    port: 8000,
    runs: "runs",
    experiments: Deno.env.get("POLYSCORE_EXPERIMENTS") ?? "experiments",
    maxQueue: 8,
    maxSessions: 2,
    deadlineS: 60,
  });
  assert.deepEqual(
    parseServeArgs([
      "--host",
      "0.0.0.0",
      "--port=9000",
      "--runs",
      "r",
      "--experiments=e",
      "--max-queue",
      "2",
    ]),
    {
      host: "0.0.0.0",
      port: 9000,
      runs: "r",
      experiments: "e",
      maxQueue: 2,
      maxSessions: 2,
      deadlineS: 60,
    },
  );
  assert.equal(parseServeArgs(["--help"]), "help");
  assert.throws(
    () => parseServeArgs(["--port", "70000"]),
    /--port: it must be an integer in \[0, 65535\]/,
  );
  assert.throws(() => parseServeArgs(["--port"]), /needs a value/);
  assert.throws(() => parseServeArgs(["--max-queue", "0"]), RangeError);
  assert.throws(() => parseServeArgs(["--deadline", "0"]), /--deadline: it must be an integer/);
  assert.throws(() => parseServeArgs(["--allow-train"]), /unknown option/);
});

Deno.test("gh-19: a request body cut short is a 400, not a 500", async () => {
  const { root, server } = setup();
  try {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"method": "sbm-ae", "obs'));
        c.error(new Error("connection reset"));
      },
    });
    const r = await get(server, "/api/playground/done-1/sample", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.error, /Cannot read body: it ended early, after \d+ bytes/);
  } finally {
    await teardown(root, server);
  }
});

Deno.test("gh-19: a body that stalls is answered 408 at the body deadline", async () => {
  const root = Deno.makeTempDirSync({ prefix: "routes_" });
  makeDoneRun(root, "done-1");
  const server = createDashboard({
    runsRoot: root,
    sampler: playgroundDouble(),
    pollMs: 30,
    limits: { bodyTimeoutMs: 300 },
  });
  let pull: ReturnType<typeof setTimeout> | undefined;
  try {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"method": "sbm-ae",'));
        pull = setTimeout(() => c.close(), 10_000); // the rest never comes in time
      },
    });
    const t0 = performance.now();
    const r = await get(server, "/api/playground/done-1/sample", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    assert.equal(r.status, 408, JSON.stringify(r.body));
    assert.match(r.body.error, /did not arrive within 0.3 s \(20 bytes came\)/);
    assert.ok(performance.now() - t0 < 3000);
  } finally {
    clearTimeout(pull);
    await teardown(root, server);
  }
});

Deno.test("experiments: the list, one experiment's page with its plots, its files; bad ids and paths refused", async () => {
  const root = Deno.makeTempDirSync({ prefix: "routes_exp_" });
  const exps = `${root}/experiments`;
  Deno.mkdirSync(`${exps}/grid1`, { recursive: true });
  const report = {
    id: "grid1",
    about: "two ε",
    preset: "tiny",
    set: {},
    axes: [{ key: "reduction.epsilonFraction", values: ["0.05", "0.2"] }],
    reproduce: "deno task experiment experiments/grid1.json",
    points: [
      {
        index: 0,
        values: { "reduction.epsilonFraction": "0.05" },
        run_id: "grid1-p00",
        status: "done",
      },
      {
        index: 1,
        values: { "reduction.epsilonFraction": "0.2" },
        run_id: "grid1-p01",
        status: "pending",
      },
    ],
    plots: ["coherence.png"],
  };
  Deno.writeTextFileSync(`${exps}/grid1/experiment.json`, JSON.stringify(report));
  Deno.writeTextFileSync(`${exps}/grid1/experiment.md`, "# Experiment grid1\n| a | b |\n");
  const png = plotPanels([{
    title: "T",
    xLabel: "X",
    yLabel: "Y",
    series: [{ label: "a", x: [1, 2], y: [0.1, 0.2] }],
  }]);
  Deno.writeFileSync(`${exps}/grid1/coherence.png`, png);
  Deno.writeTextFileSync(`${root}/secret.json`, "{}");
  const server = createDashboard({ runsRoot: `${root}/runs`, experimentsRoot: exps, pollMs: 30 });
  try {
    const list = await get(server, "/experiments");
    assert.equal(list.status, 200);
    assert.match(list.body, /href="\/experiments\/grid1"/);
    assert.match(list.body, /1 of 2/);
    const page = await get(server, "/experiments/grid1");
    assert.equal(page.status, 200);
    assert.match(page.body, /src="\/api\/experiments\/grid1\/files\/coherence.png"/);
    assert.match(page.body, /href="\/runs\/grid1-p00"/);
    assert.match(page.body, /# Experiment grid1/);
    const img = await get(server, "/api/experiments/grid1/files/coherence.png");
    assert.equal(img.status, 200);
    assert.equal(img.type, "image/png");
    assert.deepEqual(img.body, png);
    assert.equal((await get(server, "/api/experiments/grid1/files/experiment.md")).status, 200);
    assert.equal((await get(server, "/experiments/nope")).status, 404);
    assert.equal((await get(server, "/experiments/..%2Fx")).status, 400);
    assert.equal(
      (await get(server, "/api/experiments/grid1/files/..%2F..%2Fsecret.json")).status,
      400,
    );
    assert.equal((await get(server, "/api/experiments/grid1/files/spec.txt")).status, 400);
    assert.equal((await get(server, "/api/experiments/grid1/files/missing.png")).status, 404);
  } finally {
    await server.close();
    Deno.removeSync(root, { recursive: true });
  }
});
