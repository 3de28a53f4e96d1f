/**
 * End to end (tiny preset, few steps): the reduction options of issue 16 through the real CLI —
 * the "prior-score" estimator trains the SBM-AE prior once (the reduction trains it, the sbm-ae
 * method restores it), the ranks chosen by the lift ceiling are saved and restored, the report
 * records the estimator, the complement and the conditional lift ceilings, and `polyscore eval`
 * may change the complement (and nothing it would have to retrain).
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { trainTiny } from "./_tiny_run.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;

function events(dir: string, stage: string): string[] {
  const db = new DatabaseSync(`${dir}/run.sqlite`, { readOnly: true });
  const rows = db.prepare("SELECT message FROM events WHERE stage = ? ORDER BY id").all(stage) as {
    message: string;
  }[];
  db.close();
  return rows.map((r) => r.message);
}

async function evalRun(root: string, id: string, sets: string[]) {
  return await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "eval", "--runs", root, "--run", id, "--methods", "sbm-srr", ...sets],
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("reduction options: prior-score estimator, lift-ceiling ranks, conditional complement, eval", async () => {
  const root = await Deno.makeTempDir({ prefix: "polyscore-srr-" });
  try {
    const id = "srr";
    await trainTiny(root, id, [
      "--set",
      "methods=sbm-ae,sbm-srr",
      "--set",
      "reduction.estimator=prior-score",
      "--set",
      "reduction.select=lift-ceiling",
      "--set",
      "reduction.complement=conditional",
    ]);
    const dir = `${root}/${id}`;
    const ck = [...Deno.readDirSync(`${dir}/checkpoints`)].map((e) => e.name).sort();
    assert.ok(ck.includes("reduction_ranks.safetensors"), `checkpoints ${ck}`);
    assert.ok(!ck.includes("score_ratio.safetensors"), "no score-ratio network is trained");
    // Trained once, in the reduction; the method restores it.
    assert.deepEqual(events(dir, "prior/sbm-ae"), ["restored from checkpoint prior_sbm-ae"]);
    const report = JSON.parse(Deno.readTextFileSync(`${dir}/report.json`));
    const red = report.reduction;
    assert.equal(red.estimator, "prior-score");
    assert.equal(red.complement, "conditional");
    assert.equal(red.epsilon_fraction, null);
    const sel = red.lift_selection;
    assert.ok(sel.points.length >= 1, "the search measured at least one total rank");
    const total = red.ranks.reduce((a: number, b: number) => a + b, 0);
    // The chosen total passes the gap, and every smaller total tried fails it.
    for (const p of sel.points) {
      const passes = p.lift >= sel.full - sel.gap;
      if (p.total_rank < total) assert.ok(!passes, `total ${p.total_rank} passed but was not kept`);
      if (p.total_rank === total) assert.ok(passes);
    }
    const chosen = red.lift_ceiling.points.find((p: { label: string }) => p.label === "chosen");
    assert.equal(chosen.conditional.length, 2);
    assert.equal(chosen.conditional_mean.length, 2);
    assert.match(Deno.readTextFileSync(`${dir}/report.md`), /`prior-score` estimator/);
    // Ranks chosen by the lift ceiling have no ε: the log line says so (it printed "ε = NaN").
    const line = events(dir, "reduction").find((m) => m.startsWith("tr H = "));
    assert.match(line ?? "", /ε = none \(ranks fixed\), ranks \[/);
    assert.doesNotMatch(line ?? "", /NaN/);

    // eval restores the saved ranks and the prior-score H, and may change the complement.
    const out = await evalRun(root, id, ["--set", "reduction.complement=zero"]);
    assert.ok(out.success, new TextDecoder().decode(out.stderr).slice(-1500));
    const ev = JSON.parse(Deno.readTextFileSync(`${dir}/report.eval1.json`));
    assert.equal(ev.reduction.complement, "zero");
    assert.deepEqual(ev.reduction.ranks, red.ranks);
    const refused = await evalRun(root, id, ["--set", "reduction.estimator=score-ratio"]);
    assert.ok(!refused.success);
    assert.match(
      new TextDecoder().decode(refused.stderr),
      /Cannot re-evaluate with "reduction.estimator": it changes what was trained/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
