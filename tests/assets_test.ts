/**
 * Every file the program reads at run time goes through the one resolver (engine/assets.ts), so the
 * compiled binary finds it: no other module of the program resolves paths from its own location
 * (`import.meta.url` / `dirname` / `filename`), and every path given to the resolver lies inside a
 * folder or file the binary embeds (COMPILE_INCLUDES). Build scripts (scripts/, the build.ts
 * files), benchmarks and tests run from a checkout only and are exempt.
 */
import assert from "node:assert/strict";
import { relative } from "node:path";
import { assetPath, COMPILE_INCLUDES } from "../engine/assets.ts";

const ROOT = assetPath("cli").replace(/\/cli$/, "");
const SKIP_DIRS = new Set([
  "node_modules",
  "tests",
  "bench",
  "runs",
  "target",
  "test-artifacts",
  "static",
  "scripts",
  ".git",
]);
/** Checkout-only tools: never part of the binary. */
const DEV_ONLY = new Set(["wasm/build.ts", "app/build.ts", "cli/compile.ts", "engine/assets.ts"]);

function programFiles(dir: string, out: string[] = []): string[] {
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) {
      if (!SKIP_DIRS.has(e.name)) programFiles(p, out);
    } else if (/\.(ts|tsx)$/.test(e.name) && !/(_test|_bench|_test_utils)\.tsx?$/.test(e.name)) {
      out.push(p);
    }
  }
  return out;
}

Deno.test("no module but the resolver locates files relative to its own source", () => {
  const offenders: string[] = [];
  for (const f of programFiles(ROOT)) {
    const rel = relative(ROOT, f);
    if (DEV_ONLY.has(rel)) continue;
    const src = Deno.readTextFileSync(f).replace(/^\s*(\/\/|\*).*$/gm, "");
    if (/import\.meta\.(url|dirname|filename)/.test(src)) offenders.push(rel);
  }
  assert.deepEqual(offenders, [], "use assetUrl/assetPath/readAsset* from engine/assets.ts");
});

Deno.test("every path handed to the resolver is embedded by deno task compile", () => {
  const missing: string[] = [];
  let seen = 0;
  for (const f of programFiles(ROOT)) {
    const src = Deno.readTextFileSync(f);
    for (
      const m of src.matchAll(
        /(?:assetUrl|assetPath|readAssetBytes|readAssetTextSync)\(\s*[`"]([^`"$]+)/g,
      )
    ) {
      seen++;
      const path = m[1];
      if (
        !COMPILE_INCLUDES.some((inc) =>
          path === inc || path.startsWith(inc.endsWith("/") ? inc : `${inc}/`)
        )
      ) {
        missing.push(`${relative(ROOT, f)}: ${path}`);
      }
    }
  }
  assert.ok(seen >= 4, `found ${seen} resolver calls`);
  assert.deepEqual(missing, []);
  for (const inc of COMPILE_INCLUDES) {
    if (inc.startsWith("node_modules/")) continue; // installed by deno install, not committed
    Deno.statSync(`${ROOT}/${inc}`);
  }
});
