/**
 * Builds polyscore's Rust crates to WebAssembly and writes the committed artifacts in `wasm/lib/`.
 *
 * ```sh
 * deno task wasm              # rebuild every crate and overwrite wasm/lib/
 * deno task wasm linalg       # rebuild only the named crate(s)
 * deno task wasm --check      # rebuild into a temp dir; exit 1 naming any stale artifact (CI)
 * ```
 *
 * Uses Debian's toolchain (`/usr/bin/cargo` with `RUSTC=/usr/bin/rustc`, which ships the
 * wasm32-unknown-unknown standard library); override with `POLYSCORE_CARGO` / `POLYSCORE_RUSTC`.
 * Builds are byte-reproducible: fixed codegen settings in each Cargo.toml (`lto`, one codegen
 * unit, `strip`, `panic = "abort"`) and `--remap-path-prefix` for every machine-specific path.
 *
 * @module
 */

/** One crate built to WebAssembly. */
export interface CrateSpec {
  /** Short name, used on the command line and in messages. */
  name: string;
  /** Crate directory, relative to the repository root. */
  dir: string;
  /** Rust target triple. */
  target: string;
  /** Extra rustc flags, for example `["-C", "target-feature=+simd128"]`. */
  rustflags: string[];
  /** Linker arguments, each passed as `-C link-arg=<arg>` (for example `--shared-memory`). */
  linkArgs: string[];
  /** Extra cargo arguments after `build` (for example `["--features", "x"]`). */
  cargoArgs: string[];
  /** File cargo writes under `<target-dir>/<target>/release/`. */
  artifact: string;
  /** Committed output path, relative to the repository root. */
  output: string;
}

/**
 * Flags of a crate whose module worker threads instantiate over one shared, imported memory (up to
 * 4 GiB), each thread setting its own `__stack_pointer`.
 */
const THREADED_RUSTFLAGS = ["-C", "target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals"];
const THREADED_LINK_ARGS = [
  "--shared-memory",
  "--import-memory",
  "--max-memory=4294967296",
  "--export=__stack_pointer",
];

/** Every crate `deno task wasm` builds. Add new crates here. */
export const CRATES: CrateSpec[] = [
  {
    name: "linalg",
    dir: "wasm/linalg",
    target: "wasm32-unknown-unknown",
    // Threaded, so that workers can run eigh's parallel regions (par.rs).
    rustflags: THREADED_RUSTFLAGS,
    linkArgs: THREADED_LINK_ARGS,
    cargoArgs: [],
    artifact: "polyscore_linalg.wasm",
    output: "wasm/lib/linalg.wasm",
  },
  {
    name: "cpu",
    dir: "wasm/cpu",
    target: "wasm32-unknown-unknown",
    rustflags: THREADED_RUSTFLAGS,
    // The TS allocator owns the heap above __heap_base.
    linkArgs: [...THREADED_LINK_ARGS, "--export=__heap_base"],
    cargoArgs: [],
    artifact: "cpu.wasm",
    output: "wasm/lib/cpu.wasm",
  },
];

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");
const CARGO = Deno.env.get("POLYSCORE_CARGO") ?? "/usr/bin/cargo";
const RUSTC = Deno.env.get("POLYSCORE_RUSTC") ?? "/usr/bin/rustc";

/**
 * Builds one crate with cargo into `targetDir` and returns the artifact's bytes.
 *
 * @param crate the crate to build.
 * @param targetDir cargo's `--target-dir` (absolute).
 * @returns the built artifact.
 */
export async function buildCrate(crate: CrateSpec, targetDir: string): Promise<Uint8Array> {
  const crateDir = `${ROOT}/${crate.dir}`;
  const home = Deno.env.get("CARGO_HOME") ?? `${Deno.env.get("HOME") ?? "/root"}/.cargo`;
  const rustflags = [
    ...crate.rustflags,
    ...crate.linkArgs.map((arg) => `-Clink-arg=${arg}`),
    `--remap-path-prefix=${crateDir}=/polyscore/${crate.dir}`,
    `--remap-path-prefix=${targetDir}=/polyscore/target`,
    `--remap-path-prefix=${home}=/cargo`,
  ];
  const args = [
    "build",
    "--release",
    "--locked",
    "--offline",
    "--target",
    crate.target,
    "--target-dir",
    targetDir,
    ...crate.cargoArgs,
  ];
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(CARGO, {
      args,
      cwd: crateDir,
      env: {
        RUSTC,
        // Unit-separated, so paths with spaces survive; overrides RUSTFLAGS and config files.
        CARGO_ENCODED_RUSTFLAGS: rustflags.join("\x1f"),
        CARGO_INCREMENTAL: "0",
      },
      stdout: "inherit",
      stderr: "inherit",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `Cannot build crate ${crate.name}: ${CARGO} does not exist: install Debian's cargo, rustc,` +
          ` libstd-rust-dev-wasm32 and lld, or set POLYSCORE_CARGO`,
      );
    }
    throw error;
  }
  if (!output.success) {
    throw new Error(
      `Cannot build crate ${crate.name}: cargo ${args.join(" ")} failed in ${crate.dir}:` +
        ` exit code is ${output.code}`,
    );
  }
  return await Deno.readFile(`${targetDir}/${crate.target}/release/${crate.artifact}`);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function readOrNull(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * Rebuilds the selected crates. With `check`, builds into a temporary directory and returns the
 * outputs whose committed bytes differ (or are missing) instead of writing anything.
 *
 * @param names crate names to build (all when empty).
 * @param check compare with the committed artifacts instead of overwriting them.
 * @returns the stale outputs (always empty without `check`).
 */
export async function buildAll(names: string[], check: boolean): Promise<string[]> {
  const unknown = names.filter((name) => !CRATES.some((crate) => crate.name === name));
  if (unknown.length > 0) {
    throw new RangeError(
      `Cannot build wasm: unknown crate ${unknown.join(", ")}: known crates are ${
        CRATES.map((crate) => crate.name).join(", ")
      }`,
    );
  }
  const selected = names.length === 0 ? CRATES : CRATES.filter((c) => names.includes(c.name));
  const stale: string[] = [];
  const tempDir = check ? await Deno.makeTempDir({ prefix: "polyscore-wasm-check-" }) : null;
  try {
    for (const crate of selected) {
      const targetDir = tempDir ? `${tempDir}/${crate.name}` : `${ROOT}/${crate.dir}/target`;
      const built = await buildCrate(crate, targetDir);
      const outputPath = `${ROOT}/${crate.output}`;
      if (check) {
        const committed = await readOrNull(outputPath);
        if (committed === null || !equalBytes(committed, built)) {
          stale.push(crate.output);
          console.error(
            `${crate.output} is stale: committed ${committed?.length ?? "no"} bytes,` +
              ` rebuilt ${built.length} bytes`,
          );
        } else {
          console.error(`${crate.output} is up to date (${built.length} bytes)`);
        }
      } else {
        await Deno.mkdir(outputPath.replace(/\/[^/]*$/, ""), { recursive: true });
        await Deno.writeFile(outputPath, built);
        console.error(`wrote ${crate.output} (${built.length} bytes)`);
      }
    }
  } finally {
    if (tempDir) await Deno.remove(tempDir, { recursive: true });
  }
  return stale;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const names = Deno.args.filter((arg) => arg !== "--check");
  const stale = await buildAll(names, check);
  if (stale.length > 0) {
    console.error(
      `Cannot pass the wasm check: stale artifact(s) ${stale.join(", ")}:` +
        ` run 'deno task wasm' and commit wasm/lib/`,
    );
    Deno.exit(1);
  }
}
