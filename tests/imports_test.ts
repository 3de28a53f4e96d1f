/**
 * Dependency direction, checked by scanning import specifiers (std's lint:circular idea): routes →
 * engine → gpu / wasm. engine, gpu and wasm never import routes/, app/ or cli/; app/ is imported only
 * by routes/ (and app/ itself, and tests); islands never import gpu/, wasm/ or engine/ (they run in the
 * browser) nor node: modules.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SKIP = new Set(["node_modules", "runs", "target", ".git", "test-artifacts", "static", "lib"]);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of Deno.readDirSync(dir)) {
    if (SKIP.has(e.name) || e.name.startsWith(".")) continue;
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

function topDir(file: string): string {
  return relative(ROOT, file).split("/")[0];
}

Deno.test("specifiers() finds static, re-export, side-effect and dynamic imports", () => {
  const src =
    `import a from "./a.ts";\nimport type { B } from "../b.ts";\nexport * from "./c.ts";\nimport "./d.ts";\nconst e = await import("./e.ts");\n// import x from "./commented.ts";\n`;
  assert.deepEqual(specifiers(src), ["./a.ts", "../b.ts", "./c.ts", "./d.ts", "./e.ts"]);
});

Deno.test("imports point one way: routes → engine → gpu/wasm; app only from routes; islands stay in the browser", () => {
  const violations: string[] = [];
  const files = sourceFiles(ROOT);
  assert.ok(files.length > 20, "found the sources");
  for (const file of files) {
    const rel = relative(ROOT, file);
    const from = topDir(file);
    const isIsland = rel.startsWith("app/islands/") || rel === "app/island.tsx";
    for (const spec of specifiers(Deno.readTextFileSync(file))) {
      if (isIsland && spec.startsWith("node:")) {
        violations.push(`${rel} imports ${spec} (islands run in the browser)`);
      }
      if (!spec.startsWith(".")) continue;
      const target = relative(ROOT, resolve(dirname(file), spec));
      const to = target.split("/")[0];
      if (["engine", "gpu", "wasm"].includes(from) && ["routes", "app", "cli"].includes(to)) {
        violations.push(`${rel} imports ${target} (${from}/ must not depend on ${to}/)`);
      }
      // gpu/ and wasm/ sit below the engine: outside their tests they may use only the engine's
      // leaf modules (the backend contract, the RNG spec, the asset resolver).
      const leaves = ["engine/backend.ts", "engine/random.ts", "engine/assets.ts"];
      if (
        ["gpu", "wasm"].includes(from) && to === "engine" &&
        !/(_test|_test_utils)\.ts$/.test(rel) &&
        !leaves.includes(target)
      ) {
        violations.push(
          `${rel} imports ${target} (gpu/ and wasm/ may use only ${leaves.join(", ")})`,
        );
      }
      if (to === "app" && !["routes", "app", "tests"].includes(from)) {
        violations.push(`${rel} imports ${target} (app/ is imported only by routes/)`);
      }
      if (isIsland && ["gpu", "wasm", "engine", "routes", "cli"].includes(to)) {
        violations.push(`${rel} imports ${target} (islands never import ${to}/)`);
      }
    }
  }
  assert.deepEqual(violations, []);
});
