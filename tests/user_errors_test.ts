/**
 * gh-19 defects 8 and 10: ordinary user mistakes end with one clear line (what failed, the value,
 * the fix) and a non-zero exit, never a stack trace: port in use, a missing data folder, an empty
 * MNIST folder, a read-only runs folder, `sample` on a run in a read-only folder (without --out),
 * `sample --given` with every modality, sizes that would grow memory without bound, and a bad
 * `train --workers`. The
 * read-only cases use a read-only bind mount and are skipped where mounting is not allowed.
 */

import assert from "node:assert/strict";
import { trainTiny } from "./_tiny_run.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: res.code, out: dec.decode(res.stdout) + dec.decode(res.stderr) };
}

/** One line, no stack frames. */
function assertOneLine(out: string, re: RegExp): void {
  assert.match(out, re);
  assert.doesNotMatch(out, /\n\s+at /, `a stack trace:\n${out}`);
  assert.equal(out.trim().split("\n").length, 1, out);
}

function sh(cmd: string): boolean {
  return new Deno.Command("sh", { args: ["-c", cmd], stdout: "null", stderr: "null" }).outputSync()
    .success;
}

Deno.test("gh-19: serve on a port in use says so in one line", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const r = await cli(["serve", "--port", String(port), "--runs", Deno.makeTempDirSync()]);
    assert.equal(r.code, 1);
    assertOneLine(r.out, /Cannot listen on 127\.0\.0\.1:\d+: the port is in use.*--port/);
  } finally {
    listener.close();
  }
});

Deno.test("train --workers that is not a whole number ≥ 1 is one line naming the value", async () => {
  for (const bad of ["0", "two", "1.5"]) {
    const r = await cli(["train", "--preset", "tiny", "--workers", bad, "--runs", "/nonexistent"]);
    assert.equal(r.code, 2);
    assertOneLine(r.out, new RegExp(`--workers must be a whole number ≥ 1 .*"${bad}"`));
  }
});

Deno.test("gh-19: a missing data folder and an empty MNIST folder are one line each", async () => {
  const runs = Deno.makeTempDirSync();
  const empty = Deno.makeTempDirSync();
  try {
    const missing = await cli([
      "train",
      "--preset",
      "tiny",
      "--quiet",
      "--runs",
      runs,
      "--data",
      `${empty}/no-such-polymnist`,
    ]);
    assert.equal(missing.code, 1);
    assertOneLine(missing.out, /Cannot open dataset .*no-such-polymnist: not a preset/);
    const mnist = await cli(["train", "--preset", "tiny", "--quiet", "--runs", runs], {
      POLYSCORE_MNIST_DIR: empty,
    });
    assert.equal(mnist.code, 1);
    assertOneLine(mnist.out, /Cannot find MNIST: POLYSCORE_MNIST_DIR=.* lacks some of/);
    const big = await cli([
      "train",
      "--preset",
      "tiny",
      "--runs",
      runs,
      "--set",
      "modalities=1000",
    ]);
    assert.equal(big.code, 1);
    assertOneLine(big.out, /modalities must be <= 32/);
    const wide = await cli([
      "train",
      "--preset",
      "tiny",
      "--runs",
      runs,
      "--set",
      "ae.hidden=999999999",
    ]);
    assert.equal(wide.code, 1);
    assertOneLine(wide.out, /ae\.hidden\[0\] must be <= 8192/);
  } finally {
    Deno.removeSync(runs, { recursive: true });
    Deno.removeSync(empty, { recursive: true });
  }
});

Deno.test({
  name: "gh-19: a read-only runs folder, and sample on a read-only run, are one line each",
  sanitizeResources: false,
  async fn() {
    const src = Deno.makeTempDirSync({ prefix: "ro_src_" });
    const ro = Deno.makeTempDirSync({ prefix: "ro_mnt_" });
    await trainTiny(src, "tiny");
    const given = await cli(["sample", "--run", `${src}/tiny`, "--given", "0,1"]);
    assert.equal(given.code, 1);
    assertOneLine(given.out, /Cannot sample: --given lists every modality \(0,1\)/);
    const mounted = sh(`mount --bind '${src}' '${ro}' && mount -o remount,bind,ro '${ro}'`);
    try {
      if (!mounted) {
        console.log("skipped the read-only cases: this machine does not allow a bind mount");
        return;
      }
      const train = await cli(["train", "--preset", "tiny", "--quiet", "--runs", ro]);
      assert.equal(train.code, 1);
      assertOneLine(train.out, /Cannot create run .*: the runs folder cannot be written.*--runs/);
      const sample = await cli(["sample", "--run", `${ro}/tiny`, "--given", "0"]);
      assert.equal(sample.code, 1);
      assertOneLine(sample.out, /Cannot write samples to .*: pass --out DIR/);
      const out = Deno.makeTempDirSync();
      const ok = await cli(["sample", "--run", `${ro}/tiny`, "--given", "0", "--out", out]);
      assert.equal(ok.code, 0, ok.out);
      Deno.removeSync(out, { recursive: true });
    } finally {
      if (mounted) sh(`umount '${ro}'`);
      Deno.removeSync(ro);
      Deno.removeSync(src, { recursive: true });
    }
  },
});
