/**
 * The engine trains on the f64 reference backend: the shared MLP and conv autoencoder problems
 * (tests/_train_fixtures.ts), the loss falling by a stated factor within N steps, and no buffer
 * leaking after the first step.
 */
import { ReferenceBackend } from "../engine/reference/backend.ts";
import { aeRun, mlpRun, type Run } from "./_train_fixtures.ts";

async function train(make: (be: ReferenceBackend) => Run, steps: number) {
  const be = new ReferenceBackend();
  const run = make(be);
  const losses: number[] = [];
  let liveAfterFirst = 0;
  for (let s = 0; s < steps; s++) {
    losses.push((await run.step(true))!);
    if (s === 0) liveAfterFirst = be.liveBuffers;
  }
  if (be.liveBuffers !== liveAfterFirst) {
    throw new Error(
      `buffers leak: ${liveAfterFirst} live after step 1, ${be.liveBuffers} after ${steps}`,
    );
  }
  return { first: losses[0], last: losses[steps - 1] };
}

Deno.test("an MLP regression loss falls 10x in 200 Adam steps on the reference backend", async () => {
  const { first, last } = await train(mlpRun, 200);
  if (!(last < first / 10)) throw new Error(`loss ${first} → ${last}: less than 10x`);
});

Deno.test("a conv autoencoder reconstruction loss halves in 40 steps on the reference backend", async () => {
  const { first, last } = await train(aeRun, 40);
  if (!(last < first / 2)) throw new Error(`loss ${first} → ${last}: less than 2x`);
});
