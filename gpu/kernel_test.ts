/**
 * GPU-free tests of the kernel helpers: the workgroup grid split.
 */

import assert from "node:assert/strict";
import { grid, MAX_GROUPS_X } from "./kernel.ts";

Deno.test("grid() spills into y beyond MAX_GROUPS_X and covers every workgroup", () => {
  assert.deepEqual(grid(0), [1, 1]);
  assert.deepEqual(grid(MAX_GROUPS_X), [MAX_GROUPS_X, 1]);
  const [x, y] = grid(MAX_GROUPS_X * 3 + 1);
  assert.equal(x, MAX_GROUPS_X);
  assert.equal(y, 4);
});
