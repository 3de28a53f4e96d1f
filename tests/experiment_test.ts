/**
 * End to end: `polyscore experiment experiments/tiny.json` through the real CLI, killed with
 * SIGKILL while its second grid point trains its priors, then run again. The second point must
 * have started from the first point's autoencoder checkpoints (hard-linked, restored, never
 * trained), the killed point must resume rather than restart, and the report and plots must be
 * written with both points.
 */
import { DatabaseSync } from "node:sqlite";
import { decodePng } from "../polyscore/data/png.ts";
import { PALETTE } from "../polyscore/report/plot.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const FILE = new URL("../experiments/tiny.json", import.meta.url).pathname;
const env = {
  XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp",
  POLYSCORE_BACKEND: "wasm",
};

function experiment(runs: string, out: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "experiment", FILE, "--runs", runs, "--out", out, "--quiet"],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

function query<T>(db: string, sql: string, ...args: string[]): T[] {
  try {
    const d = new DatabaseSync(db, { readOnly: true });
    try {
      return d.prepare(sql).all(...args) as T[];
    } finally {
      d.close();
    }
  } catch {
    return [];
  }
}

function stageOf(dir: string): string {
  return query<{ value: string }>(
    `${dir}/run.sqlite`,
    "SELECT value FROM meta WHERE key = 'stage'",
  )[0]?.value ?? "";
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("experiment: the second grid point reuses the first's autoencoders; a kill resumes; report and plots are written", async () => {
  const root = await Deno.makeTempDir();
  const runs = `${root}/runs`, out = `${root}/experiments`;
  const p1 = `${runs}/tiny-p01`;
  // Kill the first invocation while point 1 trains its priors (after its autoencoders).
  const first = experiment(runs, out);
  let killedAt = "";
  const t0 = Date.now();
  while (Date.now() - t0 < 240_000) {
    const s = stageOf(p1);
    if (s.startsWith("prior/")) {
      first.kill("SIGKILL");
      killedAt = s;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const o1 = await first.output();
  if (!killedAt) {
    throw new Error(
      `point 1 never reached its priors (exit ${o1.code}): ${text(o1.stderr).slice(-2000)}`,
    );
  }
  const status = query<{ value: string }>(
    `${p1}/run.sqlite`,
    "SELECT value FROM meta WHERE key = 'status'",
  )[0]?.value;
  if (status !== "running") throw new Error(`killed point 1 has status ${status}, not running`);

  const o2 = await experiment(runs, out).output();
  const err2 = text(o2.stderr);
  if (!o2.success) throw new Error(`second invocation failed: ${err2.slice(-2000)}`);
  if (!/point 1\/2 .*finished earlier/.test(err2)) {
    throw new Error(`point 0 was not skipped on the second invocation: ${err2}`);
  }
  if (!/point 2\/2 .*resuming run tiny-p01/.test(err2)) {
    throw new Error(`point 1 was not resumed (killed at ${killedAt}): ${err2}`);
  }

  // Reuse: the autoencoder checkpoints are the first point's files (hard links), restored in
  // every session of point 1 (before the kill and after it), never trained.
  for (const m of ["m0", "m1"]) {
    const a = Deno.statSync(`${runs}/tiny-p00/checkpoints/ae_${m}.safetensors`);
    const b = Deno.statSync(`${p1}/checkpoints/ae_${m}.safetensors`);
    if (a.ino !== b.ino) throw new Error(`point 1's ae_${m} is not a link to point 0's`);
  }
  const events = query<{ stage: string; message: string }>(
    `${p1}/run.sqlite`,
    "SELECT stage, message FROM events ORDER BY id",
  );
  const sessions = events.filter((e) => e.stage === "run" && /^resuming run/.test(e.message));
  for (const m of ["m0", "m1"]) {
    const ae = events.filter((e) => e.stage === `ae/${m}`);
    const restored = ae.filter((e) => /restored from checkpoint/.test(e.message));
    if (sessions.length !== 2 || restored.length !== 2 || ae.length !== 2) {
      throw new Error(
        `point 1 trained autoencoder ${m} (${sessions.length} sessions): ${JSON.stringify(ae)}`,
      );
    }
  }
  if (!events.some((e) => /reused autoencoders of run tiny-p00/.test(e.message))) {
    throw new Error(`point 1 records no reuse: ${JSON.stringify(events.slice(0, 10))}`);
  }
  // The resumed priors continued from a checkpoint or restarted cleanly: each step once.
  const dup = query<{ c: number }>(
    `${p1}/run.sqlite`,
    "SELECT COUNT(*) AS c FROM metrics WHERE name = 'loss' GROUP BY stage, step HAVING c > 1",
  );
  if (dup.length) throw new Error(`point 1 has duplicated metric steps after the resume`);

  // The report: both points finished, the reuse recorded, the plots drawn with both methods.
  const rep = JSON.parse(Deno.readTextFileSync(`${out}/tiny/experiment.json`));
  if (rep.points.length !== 2 || rep.points.some((p: { status: string }) => p.status !== "done")) {
    throw new Error(
      `experiment.json points: ${
        JSON.stringify(rep.points.map((p: { status: string }) => p.status))
      }`,
    );
  }
  if (rep.points[1].reused.autoencoders !== "tiny-p00") {
    throw new Error(`experiment.json reused: ${JSON.stringify(rep.points[1].reused)}`);
  }
  const d = rep.points[0].methods["sbm-srr"].paired_vs_baseline?.["1"];
  if (!d || !(d.lo <= d.diff && d.diff <= d.hi)) {
    throw new Error(`no paired SBM-SRR − SBM-AE with its CI: ${JSON.stringify(d)}`);
  }
  const md = Deno.readTextFileSync(`${out}/tiny/experiment.md`);
  for (
    const want of [
      "2 of 2 grid points finished",
      "Δ sbm-srr − sbm-ae",
      "Lift ceiling",
      "SBM-SRR's lift uses zero",
      "| N(0, I) complement | zero complement |",
      "Fréchet distance of the conditional samples",
    ]
  ) {
    if (!md.includes(want)) throw new Error(`experiment.md lacks "${want}"`);
  }
  for (const f of ["coherence.png", "paired.png", "frechet.png", "epsilon.png"]) {
    if (!rep.plots.includes(f)) throw new Error(`plot ${f} missing: ${rep.plots}`);
  }
  const img = decodePng(Deno.readFileSync(`${out}/tiny/coherence.png`));
  const has = (c: readonly number[]) => {
    for (let i = 0; i < img.width * img.height; i++) {
      const j = i * img.channels;
      if (img.data[j] === c[0] && img.data[j + 1] === c[1] && img.data[j + 2] === c[2]) return true;
    }
    return false;
  };
  if (!has(PALETTE[0]) || !has(PALETTE[1])) {
    throw new Error("coherence.png does not draw both methods' colours");
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("experiment CLI: --dry-run lists the points; a missing file, bad JSON or a bad key end in one line", async () => {
  const root = await Deno.makeTempDir();
  const run = async (...args: string[]) => {
    const o = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "experiment", ...args, "--runs", `${root}/r`, "--out", `${root}/e`],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: o.code, out: text(o.stdout), err: text(o.stderr) };
  };
  const dry = await run(FILE, "--dry-run");
  if (
    dry.code !== 0 ||
    !/tiny-p00 +reduction\.epsilonFraction=0\.05\ntiny-p01 +reduction\.epsilonFraction=0\.2\n/.test(
      dry.out,
    )
  ) {
    throw new Error(`--dry-run: ${dry.code} ${dry.out} ${dry.err}`);
  }
  const cases: [string, RegExp][] = [
    [`${root}/none.json`, /^polyscore experiment: Cannot read experiment file .*none\.json/],
    [
      `${root}/bad.json`,
      /^polyscore experiment: Cannot read experiment file .*bad\.json: not JSON/,
    ],
    [
      `${root}/key.json`,
      /^polyscore experiment: Cannot expand experiment key: grid point 1 \(ae\.latent=0\)/,
    ],
  ];
  Deno.writeTextFileSync(`${root}/bad.json`, "{ grid");
  Deno.writeTextFileSync(
    `${root}/key.json`,
    JSON.stringify({ preset: "tiny", grid: { "ae.latent": [8, 0] } }),
  );
  for (const [file, re] of cases) {
    const r = await run(file);
    if (r.code !== 1 || !re.test(r.err) || r.err.trim().split("\n").length !== 1) {
      throw new Error(`${file}: exit ${r.code}, stderr ${r.err}`);
    }
  }
  // --set joins the file's "set": an axis key is refused, a bad value fails the grid's check, a
  // value without "=" is a usage error.
  const sets: [string[], number, RegExp][] = [
    [
      ["reduction.epsilonFraction=0.1"],
      1,
      /"reduction\.epsilonFraction" is both in set and in grid/,
    ],
    [["ae.latent=0"], 1, /^polyscore experiment: Cannot expand experiment tiny: grid point 0/],
    [["seeds"], 2, /--set expects KEY=VALUE: current value is "seeds"/],
  ];
  for (const [kvs, code, re] of sets) {
    const r = await run(FILE, ...kvs.flatMap((kv) => ["--set", kv]), "--dry-run");
    if (r.code !== code || !re.test(r.err)) {
      throw new Error(`--set ${kvs}: exit ${r.code}, stderr ${r.err}`);
    }
  }
  // Nothing was created for the refused files.
  try {
    Deno.statSync(`${root}/r`);
    throw new Error("a refused experiment created its runs folder");
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.remove(root, { recursive: true });
});
