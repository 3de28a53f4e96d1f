/**
 * `polyscore bench [suite…] [--flags]`: benchmarks against peers measured in the same run, one JSON
 * line per case: {"suite","case","metric","ours","peer","peer_name","ratio"} (ratio > 1: we are
 * better). Suites: matmul (WGSL vs TF.js WebGPU), eigh (Wasm vs ml-matrix and numpy/LAPACK), cpu
 * (the Wasm backend vs PyTorch CPU), spin (the Wasm backend's polling threads vs blocking ones), gpu (WebGPU vs the Wasm backend on the pipeline's networks),
 * base (this checkout's Wasm kernels vs another checkout's, `--base DIR`, bit for bit); flags after
 * the suite names go to gpu or base. Timings never decide a test; absolute GPU numbers need a
 * real GPU. The offline pack (`deno task pack`) carries only the gpu suite: the others' peers stay
 * out.
 */
const SUITES: Record<string, (flags: string[]) => Promise<unknown>> = {
  matmul: async () => (await import("./matmul.ts")).runMatmulBench(),
  eigh: async () => (await import("./eigh.ts")).runEighBench(),
  cpu: async () => (await import("./cpu.ts")).runCpuBench(),
  spin: async () => (await import("./spin.ts")).runSpinBench(),
  gpu: async (flags) => (await import("./gpu.ts")).runGpuBench(flags),
  base: async (flags) => (await import("./base.ts")).runBaseBench(flags),
};

/** The suites that take flags (each run alone when flags are given). */
const TAKES_FLAGS = ["gpu", "base"];

const USAGE = `Usage: polyscore bench [${
  Object.keys(SUITES).join("|")
} …] [flags]   (default: all but base)
polyscore bench gpu --help lists the gpu suite's flags
polyscore bench base --base DIR [--rounds N] [--cases ae,prior]: this checkout's Wasm kernels against DIR's`;

/** Runs the named suites (all when none is named); returns the exit code. */
export async function benchCommand(args: string[]): Promise<number> {
  const firstFlag = args.findIndex((a) => a.startsWith("-"));
  const named = firstFlag < 0 ? args : args.slice(0, firstFlag);
  const flags = firstFlag < 0 ? [] : args.slice(firstFlag);
  if (named.length === 0 && (flags.includes("--help") || flags.includes("-h"))) {
    console.log(USAGE);
    return 0;
  }
  // base needs --base DIR, so "all" leaves it out.
  const names = named.length ? named : Object.keys(SUITES).filter((n) => n !== "base");
  for (const n of names) {
    if (!SUITES[n]) {
      console.error(
        `polyscore bench: unknown suite "${n}": suites are ${Object.keys(SUITES).join(", ")}`,
      );
      return 2;
    }
  }
  if (flags.length && (names.length !== 1 || !TAKES_FLAGS.includes(names[0]))) {
    console.error(
      `polyscore bench: flags go to one suite of ${TAKES_FLAGS.join(", ")} named alone: ` +
        `current suites are ${names.join(", ")} and flags ${flags.join(" ")}`,
    );
    return 2;
  }
  for (const n of names) {
    try {
      const code = await SUITES[n](flags);
      if (typeof code === "number" && code !== 0) return code;
    } catch (e) {
      // The offline pack leaves the peer suites' files out: say so instead of a module error.
      if ((e as Error).message?.includes("Module not found") && n !== "gpu") {
        console.error(
          `polyscore bench: the ${n} suite is not in this copy (the offline pack carries only ` +
            `bench gpu): run it from a checkout`,
        );
        return 1;
      }
      throw e;
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await benchCommand(Deno.args));
