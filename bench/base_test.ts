/**
 * bench base drives two checkouts' kernels; here the checkout against itself (both sides from the
 * same tree, separate backends), which must come out bitwise equal, and the flags' errors.
 */
import assert from "node:assert/strict";
import { measureBase } from "./base.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);

Deno.test("bench base: this checkout against itself is bitwise equal, with a ratio per case", async () => {
  const [c] = await measureBase(["--base", ROOT, "--rounds", "2", "--cases", "prior"]);
  assert.equal(c.case, "prior_step 2 threads");
  assert.equal(c.bitwise_equal, true);
  assert.ok(c.ours > 0 && c.peer > 0 && c.ratio > 0, JSON.stringify(c));
  assert.ok(c.ratio_range[0] <= c.ratio && c.ratio <= c.ratio_range[1], JSON.stringify(c));
  assert.match(c.peer_name, /^base /);
});

Deno.test("bench base: a missing or wrong --base, and bad flags, are named with the fix", async () => {
  await assert.rejects(measureBase([]), /--base DIR is required.*git worktree add/);
  await assert.rejects(
    measureBase(["--base", "/nonexistent-polyscore"]),
    /\/nonexistent-polyscore\/wasm\/lib\/cpu\.wasm not found/,
  );
  await assert.rejects(
    measureBase(["--base", ROOT, "--rounds", "1"]),
    /bad flag --rounds 1.*an integer ≥ 2/,
  );
  await assert.rejects(measureBase(["--base", ROOT, "--cases", "gpu"]), /bad flag --cases gpu/);
});
