/**
 * The optional tools some tests need (wat2wasm, Chromium, Python's safetensors, a WebGPU adapter),
 * detected without spawning anything: a PATH lookup or a file check, so a missing tool can never
 * fail a test module at load time. A test that needs a missing tool is ignored, and its name says
 * which tool is missing and the command that installs it; `deno task setup` installs them all.
 */

/** An optional tool a test needs, and whether this machine has it. */
export interface Requirement {
  /** The tool, as a reader would look for it ("wat2wasm", "Python's safetensors"). */
  readonly tool: string;
  /** Why it is unavailable ("wat2wasm not found on PATH"); null when it is present. */
  readonly missing: string | null;
  /** The command that installs it on Debian (run as root). */
  readonly install: string;
}

/**
 * The first executable file called `name` in the PATH's folders, or null.
 * @param path the search path (default: the PATH environment variable)
 */
export function findCommand(name: string, path = Deno.env.get("PATH") ?? ""): string | null {
  for (const dir of path.split(":")) {
    if (!dir) continue;
    try {
      const st = Deno.statSync(`${dir}/${name}`);
      if (st.isFile && (st.mode === null || (st.mode & 0o111) !== 0)) return `${dir}/${name}`;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** A command on the PATH; `path` is where it was found (null when missing). */
export function commandRequirement(
  name: string,
  install: string,
): Requirement & { path: string | null } {
  const path = findCommand(name);
  return { tool: name, missing: path ? null : `${name} not found on PATH`, install, path };
}

/**
 * A Python module importable by the first `python3` on the PATH, judged by its package folder in
 * that interpreter's site folders (or PYTHONPATH); `python` is the interpreter (null when missing).
 */
export function pythonModuleRequirement(
  module: string,
  install: string,
): Requirement & { python: string | null } {
  const tool = `Python's ${module}`;
  const python = findCommand("python3");
  if (!python) return { tool, missing: "python3 not found on PATH", install, python };
  const dirs = (Deno.env.get("PYTHONPATH") ?? "").split(":").filter(Boolean);
  // A venv's bin/python3 links to the base interpreter: look in both the venv and the base.
  const bases = [python.replace(/\/bin\/python3$/, ""), "/usr/local", "/usr"];
  try {
    bases.splice(1, 0, Deno.realPathSync(python).replace(/\/bin\/[^/]+$/, ""));
  } catch {
    // a dangling link: the PATH folder's prefix only
  }
  // pyenv's python3 is a shim script: its interpreter is the selected version's.
  const pyenvRoot = Deno.env.get("PYENV_ROOT") ?? `${Deno.env.get("HOME")}/.pyenv`;
  if (python.startsWith(`${pyenvRoot}/shims/`)) {
    const selected = Deno.env.get("PYENV_VERSION") ?? safeReadText(`${pyenvRoot}/version`);
    for (const v of (selected ?? "").split(/[\s:]+/).filter(Boolean)) {
      bases.unshift(`${pyenvRoot}/versions/${v}`);
    }
  }
  for (const base of bases) {
    dirs.push(`${base}/lib/python3/dist-packages`);
    for (const lib of safeReadDir(`${base}/lib`)) {
      if (/^python3\.\d+$/.test(lib)) {
        dirs.push(`${base}/lib/${lib}/site-packages`, `${base}/lib/${lib}/dist-packages`);
      }
    }
  }
  const home = Deno.env.get("HOME");
  if (home) {
    for (const lib of safeReadDir(`${home}/.local/lib`)) {
      dirs.push(`${home}/.local/lib/${lib}/site-packages`);
    }
  }
  const found = dirs.some((d) => exists(`${d}/${module}/__init__.py`));
  return {
    tool,
    missing: found ? null : `${tool} not found for ${python}`,
    install,
    python,
  };
}

/** A requirement decided elsewhere (e.g. by trying to create a WebGPU device). */
export function requirement(tool: string, missing: string | null, install: string): Requirement {
  return { tool, missing, install };
}

/**
 * `def` unchanged when every requirement is met; otherwise ignored, its name extended with
 * "(ignored: <why>; install: <command>)".
 */
export function needing(
  reqs: readonly Requirement[],
  def: Deno.TestDefinition,
): Deno.TestDefinition {
  const missing = reqs.filter((r) => r.missing !== null);
  if (missing.length === 0) return def;
  const why = missing.map((r) => r.missing).join("; ");
  const install = [...new Set(missing.map((r) => r.install))].join(" && ");
  return { ...def, name: `${def.name} (ignored: ${why}; install: ${install})`, ignore: true };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function safeReadText(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

function safeReadDir(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch {
    return [];
  }
}
