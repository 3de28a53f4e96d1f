/**
 * `polyscore train`: runs the pipeline from a preset with overrides, or resumes a killed run.
 * Prints a progress bar per stage and a summary table at the end.
 */
import { parseArgs } from "node:util";
import { assetUrl } from "../engine/assets.ts";
import { listKeys, PRESETS, resolveConfig } from "../polyscore/pipeline/config/mod.ts";
import type { Report } from "../polyscore/report/report.ts";
import { defaultModalityWorkers, selectBackend } from "./backends.ts";
import { runPipeline, type Stage, STAGES } from "../polyscore/pipeline/run.ts";

const HELP = `Usage: polyscore train [options]          (deno task train [options])

Runs the whole pipeline: unimodal autoencoders, evaluation classifiers, latents, the score-ratio
reduction, the joint score priors (SBM-AE, SBM-SRR and the whitened full-rank control, equal
budgets), evaluation against the independent floor, and the report (runs/<id>/report.{json,md}).

Options:
  --preset NAME       ${
  Object.entries(PRESETS).map(([k, v]) => `${k}: ${v.about}`).join("\n                      ")
}
                      (default: quick)
  --set KEY=VALUE     override any config key (repeatable), e.g. --set prior.steps=6000
  --backend NAME      auto (default), webgpu, wasm, reference
  --data SOURCE       polymnist (generated), polymnist10, mnist, or a folder (released PolyMNIST
                      layout, or CelebAMask-HQ)
  --backgrounds DIR   JPEG/PNG backgrounds for generated PolyMNIST
  --seed N            seed of data, autoencoders and classifiers (default 1)
  --seeds N           number of prior/sampling seeds (mean ± std over them)
  --stages LAST       stop after this stage: ${STAGES.join(", ")}
  --resume ID         continue a killed or failed run from its last checkpoints, with its saved
                      config; --set may change the keys that are safe mid-run (learning rates,
                      *.maxGradNorm, steps of unfinished stages, eval.*, sampler settings), each
                      recorded in the run's events; other keys and --preset are refused
  --id ID             name the new run (default: a timestamp)
  --runs DIR          runs folder (default: runs, or POLYSCORE_RUNS)
  --workers N         on the Wasm backend, train up to N autoencoders (and classifiers) at once,
                      each in a worker on one thread; the same bits as one at a time (default: all
                      of them on a machine with 2 or more cores; 1: one at a time on all threads)
  --quiet             no progress bars
  --list-keys         print every config key
  --help              this help

Environment: POLYSCORE_BACKEND overrides the backend; POLYSCORE_MNIST_DIR the MNIST folder.`;

/** Runs the train command; returns the exit code. */
export async function trainCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      preset: { type: "string" },
      set: { type: "string", multiple: true, default: [] },
      backend: { type: "string" },
      data: { type: "string" },
      backgrounds: { type: "string" },
      seed: { type: "string" },
      seeds: { type: "string" },
      stages: { type: "string" },
      resume: { type: "string" },
      id: { type: "string" },
      runs: { type: "string" },
      workers: { type: "string" },
      quiet: { type: "boolean", default: false },
      "list-keys": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values["list-keys"]) {
    console.log(listKeys().join("\n"));
    return 0;
  }
  const overrides: Record<string, string> = {};
  for (const kv of values.set ?? []) {
    const eq = kv.indexOf("=");
    if (eq < 1) {
      console.error(`polyscore train: --set expects KEY=VALUE: current value is "${kv}"`);
      return 2;
    }
    overrides[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  for (const k of ["backend", "data", "backgrounds", "seed", "seeds"] as const) {
    if (values[k] !== undefined) overrides[k] = values[k]!;
  }
  if (values.stages && !STAGES.includes(values.stages as Stage)) {
    console.error(
      `polyscore train: --stages must be one of ${
        STAGES.join(", ")
      }: current value is "${values.stages}"`,
    );
    return 2;
  }
  if (values.resume !== undefined && values.preset !== undefined) {
    console.error(
      `polyscore train: --preset cannot be used with --resume: a resumed run keeps the config it started with (run ${values.resume}); change safe keys with --set, or start a new run with --preset ${values.preset}`,
    );
    return 2;
  }
  const workers = values.workers === undefined ? defaultModalityWorkers() : Number(values.workers);
  if (values.workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) {
    console.error(
      `polyscore train: --workers must be a whole number ≥ 1 (1: one modality at a time): current value is "${values.workers}"`,
    );
    return 2;
  }
  // On resume the saved config is the base; the overrides are checked against it by the pipeline.
  const cfg = values.resume === undefined
    ? resolveConfig(values.preset ?? "quick", overrides)
    : null;
  const runsRoot = values.runs ?? Deno.env.get("POLYSCORE_RUNS") ?? "runs";
  const { id, dir, report } = await runPipeline(cfg, {
    runsRoot,
    resume: values.resume,
    resumeOverrides: overrides,
    id: values.id,
    until: values.stages as Stage | undefined,
    quiet: values.quiet,
    selectBackend,
    modalityWorkers: { url: assetUrl("cli/modality_worker.ts"), count: workers },
  });
  if (!report) {
    console.log(`Run ${id} stopped after stage ${values.stages}: ${dir}`);
    return 0;
  }
  printSummary(report);
  console.log(
    `\nRun ${id} finished in ${report.wall_seconds.toFixed(0)} s: ${dir}/report.md`,
  );
  return 0;
}

/** Prints the coherence table of a report (train and eval share it). */
export function printSummary(report: Report): void {
  const methods = report.methods;
  const names = Object.keys(methods);
  const givens = Object.keys(methods[names[0]].coherence_by_given);
  const rows = [["method", ...givens.map((g) => `given ${g}`), "uncond."]];
  for (const n of names) {
    const by = methods[n].coherence_by_given;
    const u = methods[n].unconditional_coherence;
    rows.push([n, ...givens.map((g) => by[g].toFixed(3)), u === null ? "–" : u.toFixed(3)]);
  }
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  console.log("\nConditional coherence by number of given modalities:");
  for (const r of rows) console.log("  " + r.map((c, j) => c.padEnd(widths[j])).join("  "));
  const acc = report.classifier_accuracy;
  console.log(`Classifier accuracy: ${acc.map((a) => a?.toFixed(3) ?? "–").join(" ")}`);
  const red = report.reduction;
  if (red) {
    console.log(
      `SBM-SRR ranks [${red.ranks}] (${red.total_rank} of ${red.total_dim}), estimated bound ${
        red.bound.toFixed(4)
      }`,
    );
  }
}

if (import.meta.main) {
  const { main } = await import("./main.ts");
  Deno.exit(await main(["train", ...Deno.args]));
}
