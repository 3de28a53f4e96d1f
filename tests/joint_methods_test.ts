/**
 * End to end for the joint-posterior baselines (MoPoE, MVTCAE): the tiny preset through the real
 * CLI with `--set methods=independent,mopoe,mvtcae`, each method's given-1 coherence against the
 * independent floor (more than 3 standard errors of the paired difference on the same 512 test
 * tuples), `polyscore eval` restoring their checkpoints bit for bit, and `kill -9` during MoPoE's
 * training followed by `--resume`: every step recorded exactly once.
 */
import { DatabaseSync } from "node:sqlite";
import { finish, meta } from "./_cli_run.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const env = {
  XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp",
  POLYSCORE_BACKEND: "wasm",
};
// The joint methods train their own networks: the unimodal autoencoders and the reduction are not
// what these tests check, so they are kept short (the classifiers that score them are not).
const SETS = [
  "--set",
  "methods=independent,mopoe,mvtcae",
  "--set",
  "ae.steps=20",
  "--set",
  "reduction.enabled=false",
];

function cli(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args, "--quiet"],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("mopoe and mvtcae: a tiny run beats the floor, and polyscore eval restores them bit for bit", async () => {
  const root = await Deno.makeTempDir();
  try {
    await finish(cli(["train", "--preset", "tiny", "--runs", root, "--id", "j", ...SETS]), "train");
    const dir = `${root}/j`;
    const report = JSON.parse(await Deno.readTextFile(`${dir}/report.json`));
    const floor = report.methods["independent"].coherence_by_given["1"];
    for (const m of ["mopoe", "mvtcae"]) {
      const coh = report.methods[m]?.coherence_by_given["1"];
      const d = report.paired.find((p: { a: string; b: string; given: string }) =>
        p.given === "1" && [p.a, p.b].sort().join() === [m, "independent"].sort().join()
      );
      // A generator that ignored the observed modality would score at the floor (checked by
      // fusing the prior expert alone in subsetPosterior: both differences drop to ≈ 0).
      if (!d || !(coh - floor > 3 * d.se && d.se > 0 && d.significant)) {
        throw new Error(`${m} given 1 (${coh}) vs floor ${floor}: ${JSON.stringify(d)}`);
      }
      if (report.methods[m].fd_by_modality.length !== 2) {
        throw new Error(`${m}: no Fréchet distances`);
      }
      await Deno.stat(`${dir}/checkpoints/joint_${m}.safetensors`);
      await Deno.stat(`${dir}/samples/${m}_given_m0.png`);
    }
    if (report.protocol.tuples_by_given["1"] !== 512) throw new Error("protocol changed");
    // Restored from the checkpoints (no training), same plan and seeds: the same coherence.
    await finish(cli(["eval", "--runs", root, "--run", "j", "--methods", "mopoe,mvtcae"]), "eval");
    const again = JSON.parse(await Deno.readTextFile(`${dir}/report.eval1.json`));
    for (const m of ["mopoe", "mvtcae"]) {
      const a = JSON.stringify(report.methods[m].coherence_by_subset);
      const b = JSON.stringify(again.methods[m].coherence_by_subset);
      if (a !== b) throw new Error(`${m}: re-evaluation gives ${b}, the run gave ${a}`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("kill -9 during MoPoE's training, then --resume: the run completes with each step once", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/k`;
  try {
    const p = cli([
      "train",
      "--preset",
      "tiny",
      "--runs",
      root,
      "--id",
      "k",
      ...SETS,
      "--set",
      "methods=mopoe",
      "--set",
      "joint.steps=400",
    ]);
    let exited = false;
    const status = p.status.then(() => exited = true);
    const t0 = Date.now();
    for (;;) {
      const m = meta(dir);
      if (m.stage === "joint/mopoe" && Number(m.progress) >= 0.4) break;
      if (exited || Date.now() - t0 > 240_000) {
        if (!exited) p.kill("SIGKILL");
        const out = await p.output();
        throw new Error(
          `never reached joint/mopoe: ${JSON.stringify(m)}: ${
            new TextDecoder().decode(out.stderr).slice(-1500)
          }`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    p.kill("SIGKILL");
    await p.output();
    await status;
    await finish(cli(["train", "--runs", root, "--resume", "k"]), "resume");
    if (meta(dir).status !== "done") throw new Error(`status after resume: ${meta(dir).status}`);
    const db = new DatabaseSync(`${dir}/run.sqlite`, { readOnly: true });
    // The resumed process continued from the killed one's checkpoint, not from step 0.
    const resumed = db.prepare(
      "SELECT message FROM events WHERE stage = 'joint/mopoe' AND message LIKE 'resuming at step %'",
    ).all() as { message: string }[];
    const at = Number(resumed[0]?.message.match(/step (\d+)/)?.[1]);
    if (resumed.length !== 1 || !(at > 0 && at < 400)) {
      db.close();
      throw new Error(`expected one resume of joint/mopoe mid-way: ${JSON.stringify(resumed)}`);
    }
    const rows = db.prepare(
      "SELECT step, COUNT(*) AS c FROM metrics WHERE stage = 'joint/mopoe' AND name = 'loss' GROUP BY step ORDER BY step",
    ).all() as { step: number; c: number }[];
    db.close();
    // metricsEvery = min(50, steps/20) = 20.
    const want = Array.from({ length: 20 }, (_, i) => (i + 1) * 20);
    if (
      JSON.stringify(rows.map((r) => r.step)) !== JSON.stringify(want) ||
      rows.some((r) => r.c !== 1)
    ) {
      throw new Error(`joint/mopoe steps ${JSON.stringify(rows)} are not each of ${want} once`);
    }
    const report = JSON.parse(await Deno.readTextFile(`${dir}/report.json`));
    if (typeof report.methods["mopoe"].coherence_by_given["1"] !== "number") {
      throw new Error("no report");
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
