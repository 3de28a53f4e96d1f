/**
 * The single binary. With DENORT_BIN set, `deno task compile` builds it and the binary runs
 * `--version`, `data polymnist` and `train --preset tiny` from a folder outside the checkout.
 * Without DENORT_BIN the build test is reported as ignored (this machine cannot fetch denort), and
 * the task's refusal is checked instead: a clear message and exit code 1, never a stack trace.
 */
const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const DENORT = Deno.env.get("DENORT_BIN");

async function sh(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

Deno.test({
  name: DENORT
    ? "deno task compile builds a binary that runs --version, data and train outside the checkout"
    : "deno task compile builds a working binary (skipped: DENORT_BIN is not set and Deno's download host is unreachable here)",
  ignore: !DENORT,
  async fn() {
    const out = await Deno.makeTempDir();
    const bin = `${out}/polyscore`;
    const built = await sh(Deno.execPath(), ["run", "-A", "cli/compile.ts", "--out", bin], {
      cwd: ROOT,
    });
    if (built.code !== 0) throw new Error(`compile failed: ${built.text.slice(-2000)}`);
    const work = await Deno.makeTempDir();
    const v = await sh(bin, ["--version"], { cwd: work });
    if (v.code !== 0 || !v.text.includes("polyscore")) throw new Error(`--version: ${v.text}`);
    const d = await sh(bin, ["data", "polymnist", "--limit", "50", "--out", `${work}/pm`], {
      cwd: work,
    });
    if (d.code !== 0) throw new Error(`data: ${d.text.slice(-2000)}`);
    await Deno.stat(`${work}/pm/train/m0`);
    const t = await sh(bin, ["train", "--preset", "tiny", "--runs", `${work}/runs`, "--quiet"], {
      cwd: work,
      env: { POLYSCORE_BACKEND: "wasm" },
    });
    if (t.code !== 0) throw new Error(`train: ${t.text.slice(-2000)}`);
    await Deno.remove(out, { recursive: true });
    await Deno.remove(work, { recursive: true });
  },
});

Deno.test("deno task compile refuses a missing DENORT_BIN with a clear message, not a stack trace", async () => {
  const r = await sh(Deno.execPath(), ["run", "-A", "cli/compile.ts", "--out", "/tmp/never"], {
    cwd: ROOT,
    env: { DENORT_BIN: "/nonexistent/denort" },
  });
  if (r.code !== 1) throw new Error(`exit code ${r.code}: ${r.text}`);
  if (
    !r.text.includes("Cannot compile: DENORT_BIN points to /nonexistent/denort") ||
    r.text.includes("    at ")
  ) {
    throw new Error(`unexpected output: ${r.text}`);
  }
});
