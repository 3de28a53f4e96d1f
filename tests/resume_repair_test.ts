/**
 * gh-19 defect 2 end to end through the CLI: a run that diverges (NaN) is repaired the way its
 * error says — `--resume ID --set <stage>.lr=…` — and finishes; the override is in the run's
 * events and config.json; unsafe keys and `--resume` with `--preset` are refused with one line.
 * gh-19 defect 6: a reduction that diverged without a NaN (huge score-ratio learning rate) fails
 * with a clear message instead of finishing "done" with a meaningless bound, and is repaired the
 * same way.
 */

import assert from "node:assert/strict";
import { RunStore } from "../polyscore/runs/store.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const SMALL = [
  "--set",
  "ae.steps=60",
  "--set",
  "classifier.steps=40",
  "--set",
  "prior.steps=100",
  "--set",
  "reduction.steps=40",
];

async function train(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "train", "--quiet", ...args],
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test({
  name: "gh-19: a diverged run is repaired with --resume ID --set ae.lr=…; unsafe keys refused",
  sanitizeResources: false,
  async fn() {
    const root = Deno.makeTempDirSync({ prefix: "resume_repair_" });
    try {
      const failed = await train([
        "--preset",
        "tiny",
        "--runs",
        root,
        "--id",
        "r",
        ...SMALL,
        "--set",
        "ae.lr=1e30",
      ]);
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, /loss became non-finite/);
      assert.match(failed.stderr, /polyscore train --resume r --set ae\.lr=/);
      assert.doesNotMatch(failed.stderr, /\n\s+at /, "one message, no stack");

      const preset = await train(["--resume", "r", "--preset", "tiny", "--runs", root]);
      assert.equal(preset.code, 2);
      assert.match(preset.stderr, /--preset cannot be used with --resume/);
      const unsafe = await train(["--resume", "r", "--runs", root, "--set", "ae.latent=4"]);
      assert.equal(unsafe.code, 1);
      assert.match(unsafe.stderr, /Cannot change "ae\.latent" when resuming/);
      assert.doesNotMatch(unsafe.stderr, /\n\s+at /);

      const repaired = await train(["--resume", "r", "--runs", root, "--set", "ae.lr=0.002"]);
      assert.equal(repaired.code, 0, repaired.stderr);
      const run = RunStore.open(root, "r", { readOnly: true });
      try {
        assert.equal(run.status(), "done");
        assert.equal(run.config<{ ae: { lr: number } }>().ae.lr, 0.002);
        const events = run.events().map((e) => e.message);
        assert.ok(
          events.some((m) => m === "resume override ae.lr: 1e+30 → 0.002"),
          events.join("\n"),
        );
      } finally {
        run.close();
      }
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "gh-19: a diverged reduction fails clearly (not 'done' with a huge bound) and is repaired",
  sanitizeResources: false,
  async fn() {
    const root = Deno.makeTempDirSync({ prefix: "diverged_reduction_" });
    const common = ["--runs", root, "--stages", "reduction"];
    try {
      const failed = await train([
        "--preset",
        "tiny",
        "--id",
        "d",
        ...common,
        ...SMALL,
        "--set",
        "reduction.lr=10",
        "--set",
        "reduction.maxGradNorm=0",
      ]);
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(
        failed.stderr,
        /Cannot use the output of reduction\/score_ratio: the score-ratio loss ended at .* the training diverged/,
      );
      assert.match(failed.stderr, /polyscore train --resume d --set reduction\.lr=/);
      assert.doesNotMatch(failed.stderr, /\n\s+at /, "one message, no stack");
      const run = RunStore.open(root, "d", { readOnly: true });
      assert.equal(run.status(), "failed");
      run.close();

      const repaired = await train(["--resume", "d", ...common, "--set", "reduction.lr=0.001"]);
      assert.equal(repaired.code, 0, repaired.stderr);
      const after = RunStore.open(root, "d", { readOnly: true });
      const events = after.events().map((e) => e.message);
      after.close();
      assert.ok(events.includes("resume override reduction.lr: 10 → 0.001"), events.join("\n"));
      const line = events.findLast((m) => m.startsWith("tr H = "))!;
      assert.ok(Number(/^tr H = ([\d.e+-]+)/.exec(line)![1]) < 10, line);
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "gh-19: a second trainer on a run that is being trained is refused in one line",
  sanitizeResources: false,
  async fn() {
    const root = Deno.makeTempDirSync({ prefix: "two_trainers_" });
    const first = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN,
        "train",
        "--quiet",
        "--preset",
        "tiny",
        "--runs",
        root,
        "--id",
        "busy",
        "--set",
        "ae.steps=100000",
      ],
      env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const t0 = Date.now();
      while (Date.now() - t0 < 60_000) {
        try {
          if (Deno.readTextFileSync(`${root}/busy/trainer.lock`).startsWith("pid ")) break;
        } catch { /* not created yet */ }
        await new Promise((r) => setTimeout(r, 50));
      }
      const second = await train(["--resume", "busy", "--runs", root]);
      assert.equal(second.code, 1, second.stderr);
      assert.match(
        second.stderr,
        new RegExp(`Cannot train run busy: another trainer is writing it \\(pid ${first.pid},`),
      );
      assert.doesNotMatch(second.stderr, /\n\s+at /);
    } finally {
      first.kill("SIGKILL");
      await first.status;
      Deno.removeSync(root, { recursive: true });
    }
  },
});
