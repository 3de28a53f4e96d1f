/**
 * polyscore's one entry point: `polyscore <command> [options]`. The deno tasks and the compiled
 * binary both run this file, so they cannot drift apart. Each command lives in its own module,
 * loaded only when used.
 */
import { VERSION } from "../engine/version.ts";

const COMMANDS: Record<string, { about: string; run: (args: string[]) => Promise<number> }> = {
  train: {
    about:
      "run the pipeline: autoencoders, classifiers, joint score priors (SBM-AE, SBM-SRR), evaluation",
    run: async (a) => (await import("./train.ts")).trainCommand(a),
  },
  experiment: {
    about:
      "run a grid of pipeline runs (methods × M × latent × ε × seeds × any key) and its report",
    run: async (a) => (await import("./experiment.ts")).experimentCommand(a),
  },
  serve: {
    about: "the dashboard: runs, live curves, spectra, the sampling playground",
    run: async (a) => (await import("./serve.ts")).serveCommand(a),
  },
  data: {
    about: "generate PolyMNIST, inspect datasets, write sample grids",
    run: async (a) => (await import("./data.ts")).dataCommand(a),
  },
  sample: {
    about: "generate missing modalities from a finished run (conditional or unconditional)",
    run: async (a) => (await import("./sample.ts")).sampleCommand(a),
  },
  eval: {
    about: "re-evaluate a finished run from its checkpoints with other sampler/evaluation settings",
    run: async (a) => (await import("./eval.ts")).evalCommand(a),
  },
  plot: {
    about: "several finished runs' coherence by number of given modalities in one PNG",
    run: async (a) => (await import("./plot.ts")).plotCommand(a),
  },
  doctor: {
    about: "what this machine offers: Deno, WebGPU adapters (or why none), auto's backend, CPU",
    run: async (a) => (await import("./doctor.ts")).doctorCommand(a),
  },
  bench: {
    about: "benchmarks against peers measured in the same run (matmul, eigh, cpu, gpu)",
    run: async (a) => (await import("../bench/mod.ts")).benchCommand(a),
  },
};

const HELP =
  `polyscore ${VERSION} — learning the correlation among the modalities of multimodal data

Usage: polyscore <command> [options]      (deno task <command> runs the same)

Commands:
${Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(10)} ${v.about}`).join("\n")}

Options:
  --help, -h     this help (every command has its own: polyscore <command> --help)
  --version, -V  print the version`;

/** Runs the command line; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    console.log(HELP);
    return cmd ? 0 : 2;
  }
  if (cmd === "--version" || cmd === "-V") {
    console.log(`polyscore ${VERSION}`);
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    console.error(
      `polyscore: unknown command "${cmd}": commands are ${Object.keys(COMMANDS).join(", ")}`,
    );
    return 2;
  }
  try {
    return await c.run(rest);
  } catch (e) {
    // Expected failures carry a message meant for the user; anything else keeps its stack.
    const err = e as Error;
    const known = [
      "ConfigError",
      "RangeError",
      "TypeError",
      "NonFiniteLossError",
      "DivergedStageError",
      "RunBusyError",
      "InputError",
      "NotFound",
      "GpuUnavailableError",
      "ReportFormatError",
    ];
    console.error(`polyscore ${cmd}: ${known.includes(err.name) ? err.message : err.stack ?? err}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
