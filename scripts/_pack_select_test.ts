/**
 * The offline pack's selection: from a module graph, the local modules and npm packages reached
 * from the roots (dynamic imports included, redirects followed), minus the left-out modules and
 * what only they reach; and the launcher's contract (cached-only, carried loader, carried config).
 */
import assert from "node:assert/strict";
import { type ModuleGraph, npmPackageName, packLauncher, selectRuntime } from "./_pack_select.ts";

const R = "file:///p/";
const dep = (specifier: string, isDynamic = false) => ({ code: { specifier }, isDynamic });

Deno.test("npmPackageName() strips the version and sub-path, keeping scopes", () => {
  assert.equal(npmPackageName("npm:/preact@10.29.8/jsx-runtime"), "preact");
  assert.equal(npmPackageName("npm:@cwasm/jpeg-turbo@0.1.3"), "@cwasm/jpeg-turbo");
  assert.equal(npmPackageName("npm:/@tensorflow/tfjs-core@4.22.0"), "@tensorflow/tfjs-core");
});

Deno.test("selectRuntime() keeps what the roots reach and drops the left-out modules' subtrees", () => {
  const graph: ModuleGraph = {
    roots: [`${R}cli/main.ts`, `${R}wasm/_worker.ts`],
    modules: [
      {
        specifier: `${R}cli/main.ts`,
        dependencies: [dep(`${R}bench/mod.ts`, true), dep("preact")],
      },
      {
        specifier: `${R}bench/mod.ts`,
        dependencies: [dep(`${R}bench/gpu.ts`, true), dep(`${R}bench/matmul.ts`, true)],
      },
      {
        specifier: `${R}bench/gpu.ts`,
        dependencies: [dep(`${R}engine/a%20b.ts`), {
          type: { specifier: `${R}engine/types.ts` },
        }, { type: { specifier: "npm:/@types/x@1.0.0" } }],
      },
      { specifier: `${R}engine/types.ts` },
      {
        specifier: `${R}bench/matmul.ts`,
        dependencies: [dep("npm:@tensorflow/tfjs-core@4.22.0"), dep(`${R}bench/only_peer.ts`)],
      },
      { specifier: `${R}bench/only_peer.ts` },
      { specifier: `${R}engine/a b.ts` },
      { specifier: `${R}wasm/_worker.ts`, dependencies: [dep(`${R}engine/a b.ts`)] },
    ],
    redirects: { "preact": "npm:/preact@10.29.8", [`${R}engine/a%20b.ts`]: `${R}engine/a b.ts` },
  };
  const sel = selectRuntime(graph, "/p", ["bench/matmul.ts"]);
  assert.deepEqual(sel.files, [
    "bench/gpu.ts",
    "bench/mod.ts",
    "cli/main.ts",
    "engine/a b.ts",
    "engine/types.ts",
    "wasm/_worker.ts",
  ]);
  assert.deepEqual(sel.npmPackages, ["preact"]);
  assert.throws(
    () => selectRuntime(graph, "/p", ["cli/main.ts"]),
    /root file:\/\/\/p\/cli\/main\.ts is left out/,
  );
});

Deno.test("packLauncher() runs the carried deno cached-only with the carried loader and config", () => {
  const sh = packLauncher();
  assert.match(sh, /^#!\/bin\/sh\n/);
  assert.match(
    sh,
    /export LD_LIBRARY_PATH="\$HERE\/lib\$\{LD_LIBRARY_PATH:\+:\$LD_LIBRARY_PATH\}"/,
  );
  assert.match(
    sh,
    /exec "\$HERE\/bin\/deno" run -A --cached-only .*\\\n\s+--config "\$HERE\/app\/deno\.json" "\$HERE\/app\/cli\/main\.ts" "\$@"/,
  );
});
