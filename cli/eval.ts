/**
 * `polyscore eval`: re-evaluates a finished run from its checkpoints (nothing is trained) with
 * overridden sampler and evaluation settings, writing report.evalN.{json,md} beside the original.
 */
import { parseArgs } from "node:util";
import { selectBackend } from "./backends.ts";
import { EVAL_ONLY_KEYS, reevaluateRun } from "../polyscore/pipeline/reevaluate.ts";
import { printSummary } from "./train.ts";

const HELP = `Usage: polyscore eval --run ID [options]

Re-evaluates a finished run: its autoencoders, classifiers, reduction and priors are restored from
the checkpoints (nothing is trained), and a new numbered report is written beside the original
(runs/<id>/report.eval1.json and .md, then eval2, …; nothing is overwritten).

Options:
  --run ID            the run (a folder under --runs)
  --runs DIR          runs folder (default: runs, or POLYSCORE_RUNS)
  --set KEY=VALUE     override a sampler or evaluation key (repeatable); allowed:
                      ${EVAL_ONLY_KEYS.join(", ")}
                      e.g. --set prior.observedNoise=code_quirk --set eval.outcomesPerGiven=5000
  --methods A,B       evaluate only these of the run's methods (default: all)
  --against ID        also evaluate these methods of run ID (same autoencoders: bitwise the same
                      latents; same seeds), reported as "<method>@ID" on the same tuples and call
                      seeds, so the report's paired table gives each difference against run ID
  --variant LABEL:KEY=VALUE[;KEY=VALUE]
                      also evaluate the same priors with these overrides (on top of --set;
                      repeatable), reported as "<method>@LABEL" on the same tuples and call seeds,
                      so the paired table compares e.g. samplers within one eval; e.g.
                      --variant ode25:prior.sampler=ode;prior.sampleSteps=25
  --quiet             no progress lines`;

/** Runs the eval command; returns the exit code. */
export async function evalCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      run: { type: "string" },
      runs: { type: "string" },
      set: { type: "string", multiple: true, default: [] },
      methods: { type: "string" },
      against: { type: "string" },
      variant: { type: "string", multiple: true, default: [] },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.run) {
    console.error("polyscore eval: --run ID is required (a finished run)\n\n" + HELP);
    return 2;
  }
  const overrides: Record<string, string> = {};
  for (const kv of values.set ?? []) {
    const eq = kv.indexOf("=");
    if (eq < 1) {
      console.error(`polyscore eval: --set expects KEY=VALUE: current value is "${kv}"`);
      return 2;
    }
    overrides[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const variants: Record<string, Record<string, string>> = {};
  for (const spec of values.variant ?? []) {
    const colon = spec.indexOf(":");
    const pairs = spec.slice(colon + 1).split(";").filter((s) => s.trim() !== "");
    if (colon < 1 || !pairs.length || pairs.some((kv) => kv.indexOf("=") < 1)) {
      console.error(
        `polyscore eval: --variant expects LABEL:KEY=VALUE[;KEY=VALUE]: current value is "${spec}"`,
      );
      return 2;
    }
    variants[spec.slice(0, colon)] = Object.fromEntries(
      pairs.map((kv) => [kv.slice(0, kv.indexOf("=")).trim(), kv.slice(kv.indexOf("=") + 1)]),
    );
  }
  const runsRoot = values.runs ?? Deno.env.get("POLYSCORE_RUNS") ?? "runs";
  const { report, json, markdown } = await reevaluateRun(runsRoot, values.run, {
    overrides,
    methods: values.methods?.split(",").map((s) => s.trim()).filter((s) => s),
    selectBackend,
    quiet: values.quiet,
    against: values.against,
    variants,
  });
  printSummary(report);
  console.log(
    `\nRe-evaluated run ${values.run} in ${report.wall_seconds.toFixed(1)} s: ` +
      `${runsRoot}/${values.run}/${markdown} (and ${json})`,
  );
  return 0;
}

if (import.meta.main) {
  const { main } = await import("./main.ts");
  Deno.exit(await main(["eval", ...Deno.args]));
}
