/**
 * eigh on worker threads (`startLinalgThreads`): bitwise the same results as on one thread, the
 * pool's life cycle, bad thread counts, and a worker that fails mid-computation.
 */
import {
  cholesky,
  debugFailNextWorkerChunk,
  eigh,
  linalgThreads,
  startLinalgThreads,
  stopLinalgThreads,
  withLinalgThreads,
} from "./mod.ts";
import { assert, assertEquals, gluedWilkinson, randomSymmetric, withSpectrum } from "./_testing.ts";

/** Matrices around the sizes where work starts to be shared (chunks from n ≈ 96). */
function matrices(): [string, Float64Array, number][] {
  const out: [string, Float64Array, number][] = [];
  for (const n of [0, 1, 2, 5, 95, 96, 97, 130, 257, 300]) {
    out.push([`random n=${n}`, randomSymmetric(n, 500 + n), n]);
  }
  const glued = gluedWilkinson(21, 6, 1e-12);
  out.push(["glued Wilkinson", glued, Math.round(Math.sqrt(glued.length))]);
  out.push([
    "clustered",
    withSpectrum(Array.from({ length: 150 }, (_, i) => 1 + 1e-9 * (i % 10)), 9),
    150,
  ]);
  return out;
}

function sameBits(x: Float64Array, y: Float64Array): boolean {
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
}

Deno.test("eigh() on 2 and 3 threads gives bitwise the results of 1 thread", async () => {
  const cases = matrices();
  const single = cases.map(([, a, n]) => eigh(a, n));
  for (const threads of [2, 3]) {
    await withLinalgThreads(threads, () => {
      assertEquals(linalgThreads(), threads);
      cases.forEach(([label, a, n], k) => {
        const r = eigh(a, n);
        assert(sameBits(r.values, single[k].values), `${label}, ${threads} threads: values differ`);
        assert(
          sameBits(r.vectors, single[k].vectors),
          `${label}, ${threads} threads: vectors differ`,
        );
      });
    });
  }
  assertEquals(linalgThreads(), 1);
});

Deno.test("startLinalgThreads() rejects a bad thread count and keeps the current pool", async () => {
  for (const bad of [0, -1, 1.5, 17, NaN]) {
    let err: unknown;
    try {
      await startLinalgThreads(bad);
    } catch (e) {
      err = e;
    }
    assert(err instanceof RangeError, `threads = ${bad}: expected a RangeError`);
    assert(
      err.message.includes(`threads must be an integer in 1..16: current value is ${bad}`),
      err.message,
    );
  }
  assertEquals(linalgThreads(), 1);
});

Deno.test("linalg threads start, restart and stop; stop is idempotent", async () => {
  assertEquals(await startLinalgThreads(2), 2);
  assertEquals(await startLinalgThreads(3), 3); // restarts
  assertEquals(await startLinalgThreads(1), 1); // no workers
  await stopLinalgThreads();
  await stopLinalgThreads();
  assertEquals(linalgThreads(), 1);
  // Other routines share the memory with the workers' stacks and are unaffected.
  await withLinalgThreads(2, () => {
    const l = cholesky(new Float64Array([4, 2, 2, 5]), 2);
    assertEquals(Array.from(l), [2, 0, 1, 2]);
  });
});

Deno.test("withLinalgThreads() stops the workers when its body throws", async () => {
  let thrown: unknown;
  try {
    await withLinalgThreads(2, () => {
      throw new Error("body failed");
    });
  } catch (e) {
    thrown = e;
  }
  assert(thrown instanceof Error && thrown.message === "body failed");
  assertEquals(linalgThreads(), 1);
});

Deno.test("a worker that fails makes eigh() throw, stops the pool, and loses nothing after", async () => {
  const n = 300;
  const a = randomSymmetric(n, 42);
  const want = eigh(a, n);
  await startLinalgThreads(2);
  debugFailNextWorkerChunk();
  let err: unknown;
  try {
    eigh(a, n);
  } catch (e) {
    err = e;
  }
  await stopLinalgThreads(); // waits for the stop that the failure started
  assert(err instanceof Error, "expected eigh to throw");
  assert(err.message.includes("Cannot compute eigh: a linalg worker thread failed"), err.message);
  assertEquals(linalgThreads(), 1);
  const again = eigh(a, n);
  assert(sameBits(again.values, want.values) && sameBits(again.vectors, want.vectors));
  // And the pool can be started again.
  await withLinalgThreads(2, () => {
    const r = eigh(a, n);
    assert(sameBits(r.vectors, want.vectors));
  });
});
