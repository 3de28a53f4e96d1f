/**
 * gh-19 defect 2 end to end through the CLI: a run that diverges (NaN) is repaired the way its
 * error says — `--resume ID --set <stage>.lr=…` — and finishes; the override is in the run's
 * events and config.json; unsafe keys and `--resume` with `--preset` are refused with one line.
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
