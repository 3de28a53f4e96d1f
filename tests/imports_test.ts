/**
 * Dependency direction, checked by scanning import specifiers (std's lint:circular idea). The
 * layers, lowest first; a module imports only its own folder and the layers below it:
 *
 *   engine          the compute engine (contract, RNG, tensors, ops, nn, optim, reference)
 *   gpu  wasm       the backends and the linear-algebra library (never each other)
 *   polyscore       the method: data, models, SDE, reduction, methods, evaluation, pipeline, runs
 *   app             dashboard components and islands
 *   server          router, HTTP helpers, state, playground host
 *   routes  bench   route files; benchmarks
 *   cli             the composition root (backend choice, the dashboard's assembly, commands)
 *   tests           integration tests
 *
 * Two more rules: polyscore/ never imports a backend (gpu/, wasm/cpu/): the composition root
 * chooses it; islands run in the browser, so they import only app/ and npm packages, never node:.
 * Unit tests beside their code (`*_test.ts`, `_test_utils.ts`) may import anything.
 *
 * Inside polyscore/pipeline/config/ the files have layers of their own (CONFIG_LAYERS): the
 * sections never import one another, the presets or `--set`, and the rest of the code imports the
 * config through its mod.ts.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Skipped anywhere: dependencies and build output. */
const SKIP = new Set(["node_modules", "target", ".git", "lib"]);
/** Skipped at the root only (polyscore/runs/ and routes/static/ are sources). */
const SKIP_ROOT = new Set(["runs", "test-artifacts", "static", "dist"]);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of Deno.readDirSync(dir)) {
    if (SKIP.has(e.name) || (dir === ROOT && SKIP_ROOT.has(e.name)) || e.name.startsWith(".")) {
      continue;
    }
    const p = join(dir, e.name);
    if (e.isDirectory) sourceFiles(p, out);
    else if (/\.(ts|tsx)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Import specifiers of a source text: static imports/exports and literal dynamic imports. */
export function specifiers(text: string): string[] {
  const out: string[] = [];
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const re =
    /(?:^|[\s;])(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;
  for (const m of noComments.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

Deno.test("specifiers() finds static, re-export, side-effect and dynamic imports", () => {
  const src =
    `import a from "./a.ts";\nimport type { B } from "../b.ts";\nexport * from "./c.ts";\nimport "./d.ts";\nconst e = await import("./e.ts");\n// import x from "./commented.ts";\n`;
  assert.deepEqual(specifiers(src), ["./a.ts", "../b.ts", "./c.ts", "./d.ts", "./e.ts"]);
});

/** The layers, lowest first: a folder may import folders of lower rank only. */
export const LAYERS: readonly (readonly string[])[] = [
  ["engine"],
  ["gpu", "wasm"],
  ["polyscore"],
  ["app"],
  ["server"],
  ["routes", "bench"],
  ["cli"],
  ["scripts"],
  ["tests"],
];

function rankOf(top: string): number {
  return LAYERS.findIndex((l) => l.includes(top));
}

/**
 * Violations of the layer order by one file (path relative to the root) importing `specs`.
 * Exported so the rule itself is tested on made-up files.
 */
export function layerViolations(rel: string, specs: string[]): string[] {
  const out: string[] = [];
  const from = rel.split("/")[0];
  if (!rel.includes("/")) return out; // root files (none today) are outside the layers
  const isTest = /(_test\.tsx?|_test_utils\.ts)$/.test(rel);
  const isIsland = rel.startsWith("app/islands/") || rel === "app/island.tsx";
  const fromRank = rankOf(from);
  if (fromRank < 0) out.push(`${rel} is in ${from}/, which is not a layer (add it to LAYERS)`);
  for (const spec of specs) {
    if (isIsland && spec.startsWith("node:")) {
      out.push(`${rel} imports ${spec} (islands run in the browser)`);
    }
    if (!spec.startsWith(".")) continue;
    const target = relative(ROOT, resolve(ROOT, dirname(rel), spec));
    const to = target.split("/")[0];
    if (isIsland && to !== "app") out.push(`${rel} imports ${target} (islands import only app/)`);
    if (isTest || to === from || fromRank < 0) continue;
    const toRank = rankOf(to);
    if (toRank < 0 || toRank >= fromRank) {
      out.push(`${rel} imports ${target} (${from}/ may import only layers below it)`);
    } else if (from === "polyscore" && (to === "gpu" || target.startsWith("wasm/cpu/"))) {
      out.push(`${rel} imports ${target} (the backend is chosen in cli/, not in polyscore/)`);
    }
  }
  return out;
}

Deno.test("layerViolations() flags upward, sideways and backend imports, and island node: imports", () => {
  assert.deepEqual(layerViolations("polyscore/pipeline/run.ts", ["../../engine/tensor.ts"]), []);
  assert.deepEqual(layerViolations("polyscore/eval/frechet.ts", ["../../wasm/linalg/mod.ts"]), []);
  assert.equal(layerViolations("engine/tensor.ts", ["../polyscore/data/png.ts"]).length, 1);
  assert.equal(layerViolations("gpu/backend.ts", ["../wasm/cpu/backend.ts"]).length, 1);
  assert.equal(layerViolations("polyscore/pipeline/run.ts", ["../../gpu/backend.ts"]).length, 1);
  assert.equal(layerViolations("polyscore/pipeline/run.ts", ["../../wasm/cpu/mod.ts"]).length, 1);
  assert.equal(layerViolations("server/server.ts", ["../routes/_app.tsx"]).length, 1);
  assert.equal(layerViolations("routes/index.tsx", ["../bench/mod.ts"]).length, 1);
  assert.equal(layerViolations("app/islands/Playground.tsx", ["node:fs"]).length, 1);
  assert.equal(
    layerViolations("app/islands/Playground.tsx", ["../../polyscore/runs/view.ts"]).length,
    1,
  );
  assert.equal(layerViolations("newdir/x.ts", []).length, 1);
  assert.deepEqual(layerViolations("engine/sde_test.ts", ["../wasm/cpu/mod.ts"]), []);
});

Deno.test("imports follow the layers: engine < gpu, wasm < polyscore < app < server < routes, bench < cli < scripts < tests", () => {
  const files = sourceFiles(ROOT);
  assert.ok(files.length > 20, "found the sources");
  const violations = files.flatMap((file) =>
    layerViolations(relative(ROOT, file), specifiers(Deno.readTextFileSync(file)))
  );
  assert.deepEqual(violations, []);
});

const CONFIG_DIR = "polyscore/pipeline/config";

/** The files of polyscore/pipeline/config/, lowest first: a file imports lower layers only. */
export const CONFIG_LAYERS: readonly (readonly string[])[] = [
  ["checks"],
  ["ae", "classifier", "eval", "joint", "mmvaeplus", "prior", "reduction"],
  ["pipeline"],
  ["keys", "presets"],
  ["mod"],
];

function configRank(rel: string): number {
  const name = rel.slice(CONFIG_DIR.length + 1).replace(/\.ts$/, "");
  return CONFIG_LAYERS.findIndex((l) => l.includes(name));
}

/** Violations of config/'s inner order, and imports of config/ that go around its mod.ts. */
export function configViolations(rel: string, specs: string[]): string[] {
  const out: string[] = [];
  if (/_test\.ts$/.test(rel)) return out;
  const inside = rel.startsWith(`${CONFIG_DIR}/`);
  const fromRank = inside ? configRank(rel) : -1;
  if (inside && fromRank < 0) out.push(`${rel} is not in CONFIG_LAYERS (add it)`);
  for (const spec of specs) {
    if (!spec.startsWith(".")) continue;
    const target = relative(ROOT, resolve(ROOT, dirname(rel), spec));
    if (!target.startsWith(`${CONFIG_DIR}/`)) continue;
    if (!inside) {
      if (target !== `${CONFIG_DIR}/mod.ts`) {
        out.push(`${rel} imports ${target} (outside config/, import config/mod.ts)`);
      }
    } else if (fromRank >= 0 && configRank(target) >= fromRank) {
      out.push(`${rel} imports ${target} (config/ files import only lower CONFIG_LAYERS)`);
    }
  }
  return out;
}

Deno.test("configViolations() flags a section importing presets, keys or a sibling, and imports around mod.ts", () => {
  const cfg = (f: string) => `${CONFIG_DIR}/${f}`;
  assert.deepEqual(configViolations(cfg("ae.ts"), ["./checks.ts"]), []);
  assert.deepEqual(configViolations(cfg("keys.ts"), ["./pipeline.ts", "./checks.ts"]), []);
  assert.deepEqual(configViolations("polyscore/modality.ts", ["./pipeline/config/mod.ts"]), []);
  assert.equal(configViolations(cfg("ae.ts"), ["./presets.ts"]).length, 1);
  assert.equal(configViolations(cfg("prior.ts"), ["./keys.ts"]).length, 1);
  assert.equal(configViolations(cfg("prior.ts"), ["./ae.ts"]).length, 1);
  assert.equal(configViolations(cfg("pipeline.ts"), ["./mod.ts"]).length, 1);
  assert.equal(configViolations(cfg("presets.ts"), ["./keys.ts"]).length, 1);
  assert.equal(configViolations(cfg("new.ts"), []).length, 1);
  assert.equal(configViolations("cli/train.ts", ["../polyscore/pipeline/config/ae.ts"]).length, 1);
  assert.deepEqual(configViolations(cfg("sections_test.ts"), ["./ae.ts"]), []);
});

Deno.test("polyscore/pipeline/config/ keeps its inner order and is imported through mod.ts", () => {
  const files = sourceFiles(ROOT);
  const violations = files.flatMap((file) =>
    configViolations(relative(ROOT, file), specifiers(Deno.readTextFileSync(file)))
  );
  assert.deepEqual(violations, []);
});
