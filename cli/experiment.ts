/**
 * `polyscore experiment FILE`: runs the grid an experiment file declares (polyscore/experiment/),
 * sharing autoencoders, classifiers, latents and score-ratio networks between grid points with the
 * same producing config, and writes `<experiments>/<id>/experiment.{json,md}` with PNG plots.
 * Running it again continues a killed experiment.
 */
import { parseArgs } from "node:util";
import { expandGrid, parseExperiment } from "../polyscore/experiment/spec.ts";
import { assetUrl } from "../engine/assets.ts";
import { runExperiment } from "../polyscore/experiment/runner.ts";
import { InputError } from "../polyscore/errors.ts";
import { defaultModalityWorkers, selectBackend } from "./backends.ts";

const HELP = `Usage: polyscore experiment FILE [options]      (deno task experiment FILE)

Runs every point of the grid FILE declares — one pipeline run each, runs/<id>-pNN — reusing the
autoencoders, classifiers, latents and score-ratio network of an earlier point whose producing
config keys are equal, then writes <experiments>/<id>/experiment.{json,md} and PNG plots
(coherence and the paired difference against SBM-AE by number of given modalities with 95% CIs,
Fréchet distance per modality, rank and estimated bound against ε). Run it again to continue a
killed experiment: finished points are skipped, a killed point resumes like train --resume.

FILE (JSON):
  { "id": "mission",                       (default: the file name)
    "about": "what the experiment asks",
    "preset": "extended-quick",            (any train preset)
    "set": { "seeds": 3, "methods": "sbm-ae,sbm-srr,whitened,independent" },
    "grid": { "modalities": [5, 10], "ae.latent": [32, 64] } }
  Any config key (polyscore train --list-keys) may be an axis: reduction.epsilonFraction,
  reduction.ranks, seed, prior.conditioning, prior.ema, …

Options:
  --runs DIR          runs folder (default: runs, or POLYSCORE_RUNS)
  --out DIR           experiments folder (default: experiments, or POLYSCORE_EXPERIMENTS)
  --set KEY=VALUE     add to (or replace in) the file's "set" (repeatable), e.g. --set data=DIR
                      for a released PolyMNIST folder; a key that is also an axis is refused
  --dry-run           list the grid points and exit
  --quiet             no progress bars (the per-point lines stay)
  --help              this help`;

/** Runs the experiment command; returns the exit code. */
export async function experimentCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      runs: { type: "string" },
      out: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      set: { type: "string", multiple: true, default: [] },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(
      `polyscore experiment: expects one experiment file: current value is ${
        positionals.length ? positionals.join(" ") : "none"
      } (see --help)`,
    );
    return 2;
  }
  const file = positionals[0];
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (e) {
    throw new InputError(`Cannot read experiment file ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`Cannot read experiment file ${file}: not JSON (${(e as Error).message})`);
  }
  // --set adds to the file's fixed overrides (e.g. a data folder that differs per machine); the
  // file's checks apply to the merged set, so a key that is also an axis is refused.
  const sets: Record<string, string> = {};
  for (const kv of values.set) {
    const eq = kv.indexOf("=");
    if (eq <= 0) {
      console.error(`polyscore experiment: --set expects KEY=VALUE: current value is "${kv}"`);
      return 2;
    }
    sets[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (
    Object.keys(sets).length && json !== null && typeof json === "object" && !Array.isArray(json)
  ) {
    const o = json as Record<string, unknown>;
    const fileSet = o.set !== null && typeof o.set === "object" && !Array.isArray(o.set)
      ? o.set
      : {};
    json = { ...o, set: { ...fileSet, ...sets } };
  }
  const spec = parseExperiment(json, file);
  if (values["dry-run"]) {
    for (const p of expandGrid(spec)) {
      console.log(
        `${spec.id}-p${String(p.index).padStart(2, "0")}  ${
          Object.entries(p.values).map(([k, v]) => `${k}=${v}`).join(" ")
        }`,
      );
    }
    return 0;
  }
  const { dir, done, total } = await runExperiment(spec, {
    runsRoot: values.runs ?? Deno.env.get("POLYSCORE_RUNS") ?? "runs",
    experimentsRoot: values.out ?? Deno.env.get("POLYSCORE_EXPERIMENTS") ?? "experiments",
    file,
    quiet: values.quiet,
    selectBackend,
    modalityWorkers: { url: assetUrl("cli/modality_worker.ts"), count: defaultModalityWorkers() },
  });
  console.log(`Experiment ${spec.id}: ${done} of ${total} points finished: ${dir}/experiment.md`);
  return 0;
}

if (import.meta.main) {
  const { main } = await import("./main.ts");
  Deno.exit(await main(["experiment", ...Deno.args]));
}
