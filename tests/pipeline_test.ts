/**
 * End to end: the tiny preset through the real CLI (2 modalities, 1k tuples), the report's fields
 * and that conditioning beats the independent floor by more than 3 standard errors, `polyscore
 * eval` on that run (bitwise reproduction, numbered reports, refused keys), and `kill -9` during
 * stage 1 and during stage 3 followed by `--resume`: the run completes and every stage's metrics
 * have each step exactly once (no gap, no duplicate).
 */
import { DatabaseSync } from "node:sqlite";
import { finish, meta } from "./_cli_run.ts";
import { patient } from "./_slow.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const env = {
  XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp",
  POLYSCORE_BACKEND: "wasm",
};

function train(root: string, extra: string[]): Deno.ChildProcess {
  // A resumed run keeps its own config: --preset is refused with --resume (gh-19).
  const preset = extra.includes("--resume") ? [] : ["--preset", "tiny"];
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "train", ...preset, "--runs", root, "--quiet", ...extra],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * Waits until the run reaches `stage` with progress ≥ p, then kills it with SIGKILL. Waits on the
 * condition, not on the clock: it fails as soon as the process exits or the run moves past `stage`
 * without being seen there; the deadline (scaled by the machine's load, tests/_slow.ts) only
 * guards against a hung process.
 */
async function killAt(
  p: Deno.ChildProcess,
  dir: string,
  stage: string,
  progress: number,
): Promise<void> {
  const deadline = Date.now() + patient(300_000);
  let exited = false, seen = false, last = "";
  p.status.then(() => exited = true);
  const kill = () => {
    try {
      p.kill("SIGKILL");
    } catch {
      // It exited on its own meanwhile.
    }
  };
  const stop = async (why: string) => {
    kill();
    const out = await p.output();
    throw new Error(
      `the run never reached ${stage} at ${progress}: ${why} (last seen: ${last}): ${
        new TextDecoder().decode(out.stderr).slice(-1000)
      }`,
    );
  };
  while (Date.now() < deadline) {
    const m = meta(dir);
    if (m.stage === stage && Number(m.progress) >= progress) {
      kill();
      await p.output();
      return;
    }
    if (m.stage) last = `${m.stage} at ${m.progress}`;
    if (m.stage === stage) seen = true;
    else if (seen && m.stage) return await stop("it moved past the stage between two looks");
    if (exited) return await stop("the process exited");
    await new Promise((r) => setTimeout(r, 20));
  }
  await stop("deadline");
}

function assertStepsOnce(dir: string, stage: string, every: number, total: number): void {
  const db = new DatabaseSync(`${dir}/run.sqlite`, { readOnly: true });
  const rows = db.prepare(
    "SELECT step, COUNT(*) AS c FROM metrics WHERE stage = ? AND name = 'loss' GROUP BY step ORDER BY step",
  )
    .all(stage) as { step: number; c: number }[];
  db.close();
  const want = Array.from({ length: Math.floor(total / every) }, (_, i) => (i + 1) * every);
  const got = rows.map((r) => r.step);
  if (JSON.stringify(got) !== JSON.stringify(want) || rows.some((r) => r.c !== 1)) {
    throw new Error(
      `${stage}: steps ${JSON.stringify(rows)} are not each of ${JSON.stringify(want)} once`,
    );
  }
}

/** The tiny run shared by the report test and the eval test (trained once per file). */
let tinyRun: Promise<string> | null = null;
function trainTiny(): Promise<string> {
  tinyRun ??= (async () => {
    const root = await Deno.makeTempDir();
    await finish(train(root, ["--id", "e2e"]), "train");
    return root;
  })();
  return tinyRun;
}

Deno.test("train --preset tiny writes a complete report in which conditioning beats the floor", async () => {
  const root = await trainTiny();
  const report = JSON.parse(await Deno.readTextFile(`${root}/e2e/report.json`));
  for (const m of ["sbm-ae", "sbm-srr", "whitened", "independent"]) {
    const r = report.methods[m];
    if (!r || typeof r.coherence_by_given["1"] !== "number") throw new Error(`method ${m} missing`);
    if (r.fd_by_modality.length !== 2 || r.fd_vs_reconstruction.length !== 2) {
      throw new Error(`${m}: Fréchet distances have ${r.fd_by_modality.length} entries`);
    }
  }
  if (report.classifier_accuracy.length !== 2 || report.backend !== "wasm") {
    throw new Error("bad report header");
  }
  if (!(report.reduction.total_rank <= report.reduction.total_dim && report.reduction.bound >= 0)) {
    throw new Error(`bad reduction: ${JSON.stringify(report.reduction)}`);
  }
  // The linear probe (label ← z_m) reads the digit from 8 latent dimensions far above chance
  // (0.1): 0.69 / 0.62 when measured; a probe fed mismatched labels scores ≈ 0.1.
  const probe = report.linear_probe;
  if (!(probe?.length === 2 && probe.every((a: number) => a > 0.3 && a <= 1))) {
    throw new Error(`bad linear probe: ${JSON.stringify(probe)}`);
  }
  const red = report.reduction;
  if (!(red.held_out?.trace > 0 && red.held_out.tuples === 512 && red.held_out.bound >= 0)) {
    throw new Error(`bad held-out H: ${JSON.stringify(red.held_out)}`);
  }
  const gp = red.gaussian_part;
  if (!(gp?.relative_frobenius >= 0 && gp.principal_angles_deg.length === 2)) {
    throw new Error(`bad Gaussian part: ${JSON.stringify(gp)}`);
  }
  // The full-rank lift returns the test latents bit for bit (f64 round trip) and the encoder's
  // rows do not depend on the batch, so its ceiling is the reconstruction ceiling exactly. This
  // checks the plumbing; the known answers of the lift are in polyscore/eval/lift_ceiling_test.ts.
  const full = red.lift_ceiling?.points.find((p: { label: string }) => p.label === "full rank");
  for (const noise of ["gaussian", "zero"]) {
    if (JSON.stringify(full?.[noise]) !== JSON.stringify(report.reconstruction_ceiling)) {
      throw new Error(
        `full-rank lift ceiling (${noise}) ${JSON.stringify(full?.[noise])} is not the ` +
          `reconstruction ceiling ${JSON.stringify(report.reconstruction_ceiling)}`,
      );
    }
  }
  // The science: SBM-AE's given-1 coherence exceeds the independent floor (unobserved latents
  // from N(0, I), the observed one ignored) by more than 3 standard errors of the paired
  // difference on the same 512 test tuples. A sampler that ignored the observed modality would
  // score at the floor (checked by breaking latentMethod's mask: the difference drops to ≈ 0).
  const ae = report.methods["sbm-ae"].coherence_by_given["1"];
  const floor = report.methods["independent"].coherence_by_given["1"];
  const d = report.paired.find((p: { a: string; b: string; given: string }) =>
    p.a === "sbm-ae" && p.b === "independent" && p.given === "1"
  );
  if (report.protocol.tuples_by_given["1"] !== 512 || !d) {
    throw new Error(`protocol: ${JSON.stringify(report.protocol)}; paired row ${d}`);
  }
  if (!(ae - floor > 3 * d.se && d.significant && d.se > 0)) {
    throw new Error(
      `SBM-AE given 1 (${ae}) does not beat the floor (${floor}) by 3 SE (${d.se}): ${
        JSON.stringify(d)
      }`,
    );
  }
  const md = await Deno.readTextFile(`${root}/e2e/report.md`);
  for (
    const section of [
      "Conditional coherence",
      "Paired differences",
      "Incremental protocol",
      "Lift ceiling",
      "held-out",
      "linear probe (label ← z_m)",
    ]
  ) {
    if (!md.includes(section)) throw new Error(`report.md lacks "${section}"`);
  }
  await Deno.stat(`${root}/e2e/samples/sbm-ae_given_m0.png`);
  await Deno.stat(`${root}/e2e/checkpoints/ae_m0.safetensors`);
});

function evalRun(root: string, extra: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "eval", "--runs", root, "--run", "e2e", "--quiet", ...extra],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("polyscore eval re-evaluates the tiny run from its checkpoints into numbered reports", async () => {
  const root = await trainTiny();
  try {
    const dir = `${root}/e2e`;
    const before = await Deno.readTextFile(`${dir}/report.json`);
    const ckpts = [...Deno.readDirSync(`${dir}/checkpoints`)].map((e) => e.name).sort();
    // No overrides: the same plan and seeds reproduce the original coherence bit for bit.
    const plain = await evalRun(root, []);
    if (!plain.success) throw new Error(new TextDecoder().decode(plain.stderr).slice(-2000));
    const orig = JSON.parse(before),
      again = JSON.parse(Deno.readTextFileSync(`${dir}/report.eval1.json`));
    for (const m of Object.keys(orig.methods)) {
      const a = JSON.stringify(orig.methods[m].coherence_by_subset);
      const b = JSON.stringify(again.methods[m].coherence_by_subset);
      if (a !== b) throw new Error(`${m}: re-evaluation gives ${b}, the run gave ${a}`);
    }
    // A sampler override: a new report, the first one untouched, the override recorded.
    const eval1 = Deno.readTextFileSync(`${dir}/report.eval1.json`);
    const quirk = await evalRun(root, [
      "--set",
      "prior.observedNoise=code_quirk",
      "--methods",
      "sbm-ae",
    ]);
    if (!quirk.success) throw new Error(new TextDecoder().decode(quirk.stderr).slice(-2000));
    const r2 = JSON.parse(Deno.readTextFileSync(`${dir}/report.eval2.json`));
    if (
      JSON.stringify(r2.reevaluation) !==
        JSON.stringify({
          overrides: { "prior.observedNoise": "code_quirk" },
          methods: ["sbm-ae"],
          file: "report.eval2.json",
        }) || Object.keys(r2.methods).join() !== "sbm-ae"
    ) throw new Error(`report.eval2.json: ${JSON.stringify(r2.reevaluation)}`);
    if (Deno.readTextFileSync(`${dir}/report.eval1.json`) !== eval1) {
      throw new Error("report.eval1.json was overwritten");
    }
    Deno.statSync(`${dir}/report.eval2.md`);
    // A key that changes what was trained is refused by name; nothing is written or trained.
    const bad = await evalRun(root, ["--set", "prior.steps=5"]);
    const err = new TextDecoder().decode(bad.stderr);
    if (bad.code !== 1 || !err.includes('"prior.steps"')) throw new Error(`refusal: ${err}`);
    if (Deno.readTextFileSync(`${dir}/report.json`) !== before) {
      throw new Error("report.json changed");
    }
    const after = [...Deno.readDirSync(`${dir}/checkpoints`)].map((e) => e.name).sort();
    if (after.join() !== ckpts.join()) throw new Error(`checkpoints changed: ${after}`);
    try {
      Deno.statSync(`${dir}/report.eval3.json`);
      throw new Error("a refused re-evaluation wrote report.eval3.json");
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    // --against: the run against itself pairs every tuple with itself: difference exactly 0.
    // --variant: the same priors under other sampler settings in the same eval; one with the
    // default sampler spelt out is the same evaluation (difference exactly 0), and the report
    // records each variant's cost in network calls (tiny: 20 steps + 20 final corrector steps).
    const self = await evalRun(root, [
      "--against",
      "e2e",
      "--methods",
      "sbm-ae",
      "--variant",
      "same:prior.sampler=pc",
      "--variant",
      "ode5:prior.sampler=ode;prior.sampleSteps=5",
      // Only reduction keys, and sbm-ae does not use the reduction: skipped, not evaluated again.
      "--variant",
      "noise:reduction.complement=noise",
    ]);
    if (!self.success) throw new Error(new TextDecoder().decode(self.stderr).slice(-2000));
    const r3 = JSON.parse(Deno.readTextFileSync(`${dir}/report.eval3.json`));
    const pair = r3.paired.find((p: { a: string; b: string }) =>
      p.a === "sbm-ae" && p.b === "sbm-ae@e2e"
    );
    if (
      !pair || pair.diff !== 0 || pair.lo !== 0 || pair.hi !== 0 ||
      r3.reevaluation.against !== "e2e"
    ) {
      throw new Error(
        `--against itself: ${JSON.stringify(pair)} ${JSON.stringify(r3.reevaluation)}`,
      );
    }
    const same = r3.paired.find((p: { a: string; b: string }) =>
      p.a === "sbm-ae" && p.b === "sbm-ae@same"
    );
    const variants = JSON.stringify(r3.reevaluation.variants);
    if (
      !same || same.diff !== 0 || same.lo !== 0 || same.hi !== 0 ||
      !r3.methods["sbm-ae@ode5"] || r3.methods["sbm-ae@noise"] || r3.prior.nfe !== 60 ||
      variants !== JSON.stringify({
          same: { overrides: { "prior.sampler": "pc" }, nfe: 60 },
          ode5: { overrides: { "prior.sampler": "ode", "prior.sampleSteps": "5" }, nfe: 30 },
        })
    ) {
      throw new Error(`--variant: ${JSON.stringify(same)} ${variants} nfe ${r3.prior.nfe}`);
    }
    // A reduction.complement variant rebuilds SBM-SRR's lift: bitwise what `--set` gives (eval5
    // against eval4), and not the default's (zero) numbers (the tiny ranks discard dimensions).
    const setZero = await evalRun(root, [
      "--methods",
      "sbm-srr",
      "--set",
      "reduction.complement=noise",
    ]);
    const varZero = await evalRun(root, [
      "--methods",
      "sbm-srr",
      "--variant",
      "noise:reduction.complement=noise",
    ]);
    if (!setZero.success || !varZero.success) {
      throw new Error(
        [setZero, varZero].map((o) => new TextDecoder().decode(o.stderr)).join("").slice(-2000),
      );
    }
    const r4 = JSON.parse(Deno.readTextFileSync(`${dir}/report.eval4.json`));
    const r5 = JSON.parse(Deno.readTextFileSync(`${dir}/report.eval5.json`));
    const bySubset = (
      r: { methods: Record<string, { coherence_by_subset: unknown }> },
      m: string,
    ) => JSON.stringify(r.methods[m]?.coherence_by_subset);
    if (
      bySubset(r5, "sbm-srr@noise") !== bySubset(r4, "sbm-srr") ||
      bySubset(r5, "sbm-srr@noise") === bySubset(r5, "sbm-srr")
    ) {
      throw new Error(
        `complement variant: @noise ${bySubset(r5, "sbm-srr@noise")}, --set ${
          bySubset(r4, "sbm-srr")
        }, default ${bySubset(r5, "sbm-srr")}`,
      );
    }
    const badVariant = await evalRun(root, ["--variant", "x:prior.width=8"]);
    const why = new TextDecoder().decode(badVariant.stderr);
    if (badVariant.code !== 1 || !why.includes('"prior.width"')) {
      throw new Error(`--variant refusal: ${why}`);
    }
    // prior.scoreScaleAuto: γ chosen per seed from the grid against the train tuples' agreement
    // (polyscore/eval/score_scale.ts); that γ fixed gives bitwise the same coherence, because the
    // choice draws samples of its own and leaves the evaluation's alone.
    const auto = await evalRun(root, [
      "--methods",
      "sbm-ae",
      "--variant",
      "auto:prior.scoreScaleAuto=true;prior.scoreScaleGrid=1,2;prior.scoreScaleSamples=64",
    ]);
    if (!auto.success) throw new Error(new TextDecoder().decode(auto.stderr).slice(-2000));
    const r6 = JSON.parse(Deno.readTextFileSync(`${dir}/report.eval6.json`));
    const choice = r6.methods["sbm-ae@auto"]?.score_scale_choice_by_seed?.[0];
    if (
      !choice || ![1, 2].includes(choice.chosen) || !(choice.tried.length >= 1) ||
      choice.tried.length > 2 || !(choice.target >= 0 && choice.target <= 1) ||
      choice.samples !== 64 || r6.methods["sbm-ae"].score_scale_choice_by_seed[0] !== null ||
      r6.methods["sbm-ae"].score_scale_by_seed[0] !== 1 ||
      r6.methods["sbm-ae@auto"].score_scale_by_seed[0] !== choice.chosen ||
      !Deno.readTextFileSync(`${dir}/report.eval6.md`).includes("Score factor chosen from the data")
    ) {
      throw new Error(`scoreScaleAuto: ${JSON.stringify(r6.methods["sbm-ae@auto"])}`);
    }
    const fixed = await evalRun(root, [
      "--methods",
      "sbm-ae",
      "--set",
      `prior.scoreScale=${choice.chosen}`,
    ]);
    if (!fixed.success) throw new Error(new TextDecoder().decode(fixed.stderr).slice(-2000));
    const r7 = JSON.parse(Deno.readTextFileSync(`${dir}/report.eval7.json`));
    if (bySubset(r7, "sbm-ae") !== bySubset(r6, "sbm-ae@auto")) {
      throw new Error(
        `scoreScaleAuto's γ fixed: ${bySubset(r7, "sbm-ae")} vs ${bySubset(r6, "sbm-ae@auto")}`,
      );
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("kill -9 during stage 1 and stage 3, then --resume: the run completes with each step once", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/killed`;
  const sets = [
    "--set",
    "ae.steps=1500",
    "--set",
    "prior.steps=2500",
    "--set",
    "methods=sbm-ae,independent",
    "--set",
    "reduction.enabled=false",
  ];
  // Tiny's two autoencoders train side by side in modality workers (the default), under one stage.
  await killAt(train(root, ["--id", "killed", ...sets]), dir, "ae/2 modalities", 0.5);
  if (meta(dir).status !== "running") throw new Error("the killed run should still say running");
  await killAt(train(root, ["--resume", "killed"]), dir, "prior/sbm-ae", 0.4);
  await finish(train(root, ["--resume", "killed"]), "resume");
  if (meta(dir).status !== "done") throw new Error(`status after resume: ${meta(dir).status}`);
  // metricsEvery = min(50, steps/20); every step reported exactly once across the three processes.
  assertStepsOnce(dir, "ae/m0", 50, 1500);
  assertStepsOnce(dir, "ae/m1", 50, 1500);
  assertStepsOnce(dir, "prior/sbm-ae", 50, 2500);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/report.json`));
  if (typeof report.methods["sbm-ae"].coherence_by_given["1"] !== "number") {
    throw new Error("no report");
  }
  await Deno.remove(root, { recursive: true });
});
