/**
 * A real tiny training run (`cli/main.ts train --preset tiny` with fewer steps, a few seconds) for
 * tests that need real checkpoints: the browser test and the sampling load test.
 */

/** Trains run `id` under `root`; throws with the tail of stderr when training fails. */
export async function trainTiny(root: string, id: string, extra: string[] = []): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../cli/main.ts", import.meta.url).pathname,
      "train",
      "--preset",
      "tiny",
      "--runs",
      root,
      "--id",
      id,
      "--quiet",
      "--set",
      "ae.steps=60",
      "--set",
      "classifier.steps=40",
      "--set",
      "prior.steps=100",
      "--set",
      "reduction.steps=40",
      ...extra,
    ],
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot train the tiny run: ${new TextDecoder().decode(out.stderr).slice(-2000)}`,
    );
  }
}
