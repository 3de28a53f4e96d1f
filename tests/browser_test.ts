/**
 * The dashboard in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core): a real
 * tiny training run (`cli/main.ts train --preset tiny` with fewer steps) is listed, its page shows
 * loss charts, sample grids, the coherence and spectra charts; a run written live updates its chart
 * over SSE; the playground, on the real sampler, produces samples after a click. Screenshots go to
 * test-artifacts/ (git-ignored). Ignored, saying so in its name, when `chromium` is not on the PATH.
 * Every step waits on a condition; the waits' timeouts are hang guards scaled by the machine's load
 * (tests/_slow.ts), so a busy machine (load 15 on 2 cores) does not fail it.
 */

import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { RunStore } from "../polyscore/runs/store.ts";
import { createDashboard } from "../cli/dashboard.ts";
import { trainLoop } from "./_fixtures.ts";
import { trainTiny } from "./_tiny_run.ts";
import { commandRequirement, needing } from "../engine/testing_tools.ts";
import { patient } from "./_slow.ts";

const CHROMIUM = commandRequirement("chromium", "apt-get install chromium");
// WebGPU probing (backend auto-selection in the sampler) wants this; CI sets it too.
if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", "/tmp");
const ARTIFACTS = new URL("../test-artifacts/", import.meta.url).pathname;

Deno.test(needing([CHROMIUM], {
  name:
    "dashboard in Chromium: runs list, run page charts and samples, live SSE, playground sampling",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    Deno.mkdirSync(ARTIFACTS, { recursive: true });
    const root = Deno.makeTempDirSync({ prefix: "browser_runs_" });
    const userDir = Deno.makeTempDirSync({ prefix: "chromium_" });
    const t0 = performance.now();
    await trainTiny(root, "tiny");
    const trainSeconds = (performance.now() - t0) / 1000;
    const app = createDashboard({ runsRoot: root, pollMs: 200 });
    const ac = new AbortController();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
      app.handler,
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    const browser = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM.path!,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
      viewport: { width: 1280, height: 900 },
    });
    const errors: string[] = [];
    let live: RunStore | null = null;
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(patient(60_000)); // CI runs this beside other tests on 2 cores
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });

      // Runs list.
      await page.goto(`${base}/`);
      await page.waitForSelector('#runs-table tr[data-run="tiny"]');
      assert.equal(await page.textContent('tr[data-run="tiny"] .badge'), "done");
      assert.match(
        (await page.textContent('tr[data-run="tiny"] .key-metrics'))!,
        /sbm-ae coh@1/,
      );
      await page.screenshot({ path: `${ARTIFACTS}runs_list.png`, fullPage: true });

      // Run page: hydrated charts (uPlot draws into canvas), loaded sample grids.
      await page.goto(`${base}/runs/tiny`);
      await page.waitForSelector("html[data-hydrated]");
      await page.waitForSelector(".live-run .uplot canvas");
      await page.waitForSelector("#coherence-chart .uplot canvas");
      await page.waitForSelector("#spectra-chart .uplot canvas");
      const charts = await page.locator(".live-run .uplot").count();
      assert.ok(charts >= 8, `one chart per (stage, metric): ${charts}`);
      await page.waitForFunction(() => {
        const imgs = [...document.querySelectorAll<HTMLImageElement>("#sample-grid img")];
        return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
      });
      const grids = await page.locator("#sample-grid img").count();
      assert.ok(grids >= 3, `sample grids: ${grids}`);
      await page.screenshot({ path: `${ARTIFACTS}run_page.png`, fullPage: true });
      // gh-19 #11: the results come first; the spectra mark the rank cut-offs.
      await page.screenshot({ path: `${ARTIFACTS}run_page_top.png` });
      await page.locator("#reduction").screenshot({ path: `${ARTIFACTS}run_page_reduction.png` });
      const order = await page.evaluate(() => {
        const y = (sel: string) => document.querySelector(sel)!.getBoundingClientRect().top;
        return { results: y("#results"), curves: y(".live-run") };
      });
      assert.ok(order.results < order.curves, `results above the curves: ${JSON.stringify(order)}`);

      // A live run: rows written while the page is open arrive over SSE.
      live = RunStore.create(root, { id: "live", config: {}, preset: "tiny", backend: "wasm" });
      trainLoop(live, "ae/m0", 10, 3);
      await page.goto(`${base}/runs/live`);
      await page.waitForSelector("html[data-hydrated]");
      await page.waitForSelector(".live.on");
      trainLoop(live, "ae/m0", 30, 3, 11);
      trainLoop(live, "prior/sbm-ae", 20, 4);
      live.event("info", "prior/sbm-ae", "live event from the test");
      await page.waitForFunction(() =>
        Number(document.querySelector(".live-run")?.getAttribute("data-version")) > 0
      );
      await page.waitForSelector("text=live event from the test");
      await page.waitForFunction(() => document.querySelectorAll(".live-run .uplot").length >= 4);
      await page.screenshot({ path: `${ARTIFACTS}run_live.png`, fullPage: true });
      // The live page reloads itself 1.5 s after its run finishes, which would abort a navigation
      // racing with it: wait for that load, listening from before the run finishes (on a busy
      // machine the reload can come before the badge check returns).
      const reloaded = page.waitForEvent("load");
      live.setStatus("done");
      await page.waitForSelector(".live-run .badge.status-done");
      await reloaded;

      // Playground on the real sampler: observe m0, sample m1.
      await page.goto(`${base}/playground?run=tiny`);
      await page.waitForSelector("html[data-hydrated]");
      await page.waitForSelector("#sample-button");
      await page.fill('input[name="steps"]', "20");
      await page.fill('input[name="count"]', "4");
      await page.click("#sample-button");
      await page.waitForSelector("#sample-results img.sample, #sample-error");
      if (await page.locator("#sample-error").count() > 0) {
        assert.fail(`playground error: ${await page.textContent("#sample-error")}`);
      }
      await page.waitForFunction(() => {
        const imgs = [...document.querySelectorAll<HTMLImageElement>("#sample-results img.sample")];
        return imgs.length === 4 && imgs.every((i) => i.complete && i.naturalWidth === 28);
      });
      await page.screenshot({ path: `${ARTIFACTS}playground.png`, fullPage: true });

      // Draw an observation for m0 instead of a test example, and sample again.
      await page.check('input[name="draw-0"]');
      const pad = (await page.locator(".drawpad canvas").boundingBox())!;
      await page.mouse.move(pad.x + 30, pad.y + 20);
      await page.mouse.down();
      await page.mouse.move(pad.x + 80, pad.y + 20, { steps: 5 });
      await page.mouse.move(pad.x + 50, pad.y + 95, { steps: 5 });
      await page.mouse.up();
      await page.click(".drawpad button >> text=use drawing");
      await page.waitForFunction(() =>
        document.querySelector<HTMLImageElement>("img.thumb")?.src.startsWith("data:image/png")
      );
      await page.fill('input[name="seed"]', "3");
      const before = await page.getAttribute("#sample-results img.sample", "src");
      await page.click("#sample-button");
      await page.waitForFunction(
        (old) => {
          const img = document.querySelector<HTMLImageElement>("#sample-results img.sample");
          return !!img && img.src !== old && img.complete && img.naturalWidth === 28;
        },
        before,
      );
      await page.screenshot({ path: `${ARTIFACTS}playground_drawn.png`, fullPage: true });
      assert.deepEqual(errors, [], "no page errors");
      console.log(
        `browser test: tiny training ${trainSeconds.toFixed(1)} s, total ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s`,
      );
    } catch (e) {
      const pages = browser.pages();
      await pages.at(-1)?.screenshot({ path: `${ARTIFACTS}failure.png`, fullPage: true }).catch(
        () => {},
      );
      throw e;
    } finally {
      live?.close();
      await browser.close();
      await app.close();
      ac.abort();
      await server.finished;
      Deno.removeSync(root, { recursive: true });
      Deno.removeSync(userDir, { recursive: true });
    }
  },
}));

Deno.test(needing([CHROMIUM], {
  name:
    "gh-19: live views pick up a new run and a resumed run; a refused stream says so and retries",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const root = Deno.makeTempDirSync({ prefix: "browser_live_" });
    const userDir = Deno.makeTempDirSync({ prefix: "chromium_" });
    // One live stream at most, so a second live page is refused.
    const app = createDashboard({ runsRoot: root, pollMs: 200, limits: { maxStreams: 1 } });
    const ac = new AbortController();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
      app.handler,
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    const browser = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM.path!,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
      viewport: { width: 1280, height: 900 },
    });
    const stores: RunStore[] = [];
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(patient(30_000));
      // A runs list opened before any run exists shows the run once it starts.
      await page.goto(`${base}/`);
      await page.waitForSelector("html[data-hydrated]");
      const fresh = RunStore.create(root, {
        id: "new-1",
        config: {},
        preset: "tiny",
        backend: "wasm",
      });
      stores.push(fresh);
      await page.waitForSelector('#runs-table tr[data-run="new-1"]');

      // A resumable run (its trainer is gone) goes live when it is resumed.
      fresh.setMeta("pid", "2147483646"); // no such process: the run reads as resumable
      trainLoop(fresh, "ae/m0", 10, 3);
      await page.goto(`${base}/runs/new-1`);
      await page.waitForSelector("html[data-hydrated]");
      await page.waitForSelector(".live-run .badge.status-resumable");
      fresh.setStatus("running"); // what `--resume` does first
      await page.waitForSelector(".live.on");
      trainLoop(fresh, "ae/m0", 20, 3, 11);
      fresh.event("info", "ae/m0", "after the resume");
      await page.waitForSelector("text=after the resume");

      // A second live page is refused (one stream at most): it says so, and goes live once the
      // first page leaves.
      const second = await browser.newPage();
      second.setDefaultTimeout(patient(30_000));
      await second.goto(`${base}/runs/new-1`);
      await second.waitForSelector("html[data-hydrated]");
      await second.waitForSelector(".live-notice >> text=refused");
      await second.screenshot({ path: `${ARTIFACTS}run_live_refused.png` });
      await page.close();
      await second.waitForSelector(".live.on");
      fresh.setStatus("done");
    } finally {
      for (const s of stores) s.close();
      await browser.close();
      await app.close();
      ac.abort();
      await server.finished;
      Deno.removeSync(root, { recursive: true });
      Deno.removeSync(userDir, { recursive: true });
    }
  },
}));
