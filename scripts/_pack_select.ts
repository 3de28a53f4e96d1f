/**
 * What the offline pack carries, as pure functions: the runtime modules and npm packages reached
 * from the entry points in `deno info --json`'s module graph (dynamic and local type-only imports
 * included, the left-out modules and everything only they reach excluded), and the launcher
 * script.
 */

/** The part of `deno info --json` this reads. */
export interface ModuleGraph {
  roots: string[];
  modules: {
    specifier: string;
    dependencies?: {
      code?: { specifier: string };
      /** Type-only imports: kept when local, so the carried sources type-check as they do here. */
      type?: { specifier: string };
      isDynamic?: boolean;
    }[];
  }[];
  redirects?: Record<string, string>;
}

/** The selection: project-relative paths of local modules, and bare npm package names. */
export interface RuntimeSelection {
  files: string[];
  npmPackages: string[];
}

/** The package name of an npm specifier ("npm:/@scope/name@1.2.3/sub" → "@scope/name"). */
export function npmPackageName(specifier: string): string {
  const s = specifier.replace(/^npm:\/?/, "");
  const parts = s.split("/");
  const head = s.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  const at = head.lastIndexOf("@");
  return at > 0 ? head.slice(0, at) : head;
}

/**
 * Walks the graph from its roots; `leftOut` (project-relative paths) are not entered.
 * @throws {RangeError} when a root is itself left out or lies outside `root`
 */
export function selectRuntime(
  graph: ModuleGraph,
  root: string,
  leftOut: readonly string[],
): RuntimeSelection {
  const base = `file://${root.endsWith("/") ? root : `${root}/`}`;
  const byUrl = new Map(graph.modules.map((m) => [m.specifier, m]));
  const skip = new Set(leftOut.map((p) => base + p));
  const files = new Set<string>();
  const npm = new Set<string>();
  for (const r of graph.roots) {
    if (skip.has(r) || !r.startsWith(base)) {
      throw new RangeError(
        `Cannot select the pack's modules: root ${r} is left out or outside ${base}`,
      );
    }
  }
  const seen = new Set<string>();
  const todo = [...graph.roots];
  while (todo.length) {
    let url = todo.pop()!;
    url = graph.redirects?.[url] ?? url;
    if (seen.has(url) || skip.has(url)) continue;
    seen.add(url);
    if (url.startsWith("npm:")) {
      npm.add(npmPackageName(url));
      continue;
    }
    if (!url.startsWith(base)) continue;
    files.add(decodeURIComponent(url.slice(base.length)));
    for (const d of byUrl.get(url)?.dependencies ?? []) {
      if (d.code?.specifier) todo.push(d.code.specifier);
      if (d.type?.specifier?.startsWith(base)) todo.push(d.type.specifier);
    }
  }
  return { files: [...files].sort(), npmPackages: [...npm].sort() };
}

/**
 * The launcher `./polyscore`: runs the carried Deno on the carried sources with `--cached-only`
 * (nothing is fetched), the carried Vulkan loader first on LD_LIBRARY_PATH, and Deno's cache in
 * the pack (or POLYSCORE_DENO_DIR where the pack's folder is read-only).
 */
export function packLauncher(): string {
  return `#!/bin/sh
# polyscore offline pack: runs the carried Deno on the carried sources; nothing is downloaded.
# Usage: ./polyscore train --preset tiny | ./polyscore doctor | ./polyscore bench gpu | --help
# The GPU's Vulkan driver (ICD) must come from the host: NVIDIA's container toolkit mounts it when
# the container asks for NVIDIA_DRIVER_CAPABILITIES=all (or graphics); ./polyscore doctor checks.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$HERE/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DENO_DIR="\${POLYSCORE_DENO_DIR:-$HERE/deno_dir}"
export DENO_NO_UPDATE_CHECK=1
# Mesa's drivers complain without it; a private folder will do.
if [ -z "\${XDG_RUNTIME_DIR:-}" ]; then
  XDG_RUNTIME_DIR=$(mktemp -d)
  export XDG_RUNTIME_DIR
fi
exec "$HERE/bin/deno" run -A --cached-only --v8-flags=--expose-gc \\
  --config "$HERE/app/deno.json" "$HERE/app/cli/main.ts" "$@"
`;
}
