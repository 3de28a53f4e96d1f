/**
 * `polyscore bench [suite…]`: benchmarks against peers measured in the same run, one JSON line per
 * case: {"suite","case","metric","ours","peer","peer_name","ratio"} (ratio > 1: we are better).
 * Suites: matmul (WGSL vs TF.js WebGPU), eigh (Wasm vs ml-matrix and numpy/LAPACK), cpu (the Wasm
 * backend vs PyTorch CPU). Timings never decide a test; absolute GPU numbers need a real GPU.
 */
const SUITES: Record<string, () => Promise<void>> = {
  matmul: async () => (await import("./matmul.ts")).runMatmulBench(),
  eigh: async () => {
    await (await import("./eigh.ts")).runEighBench();
  },
  cpu: async () => (await import("./cpu.ts")).runCpuBench(),
};

/** Runs the named suites (all when none is named); returns the exit code. */
export async function benchCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(`Usage: polyscore bench [${Object.keys(SUITES).join("|")} …]   (default: all)`);
    return 0;
  }
  const names = args.length ? args : Object.keys(SUITES);
  for (const n of names) {
    if (!SUITES[n]) {
      console.error(
        `polyscore bench: unknown suite "${n}": suites are ${Object.keys(SUITES).join(", ")}`,
      );
      return 2;
    }
  }
  for (const n of names) await SUITES[n]();
  return 0;
}

if (import.meta.main) Deno.exit(await benchCommand(Deno.args));
