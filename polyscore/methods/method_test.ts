/** withScoreScale: a default γ for every call that names none; a call's own γ wins. */
import assert from "node:assert/strict";
import { type GenerateOptions, type TrainedMethod, withScoreScale } from "./method.ts";

Deno.test("withScoreScale: calls without a γ get the chosen one, calls with one keep theirs", async () => {
  const seen: GenerateOptions[] = [];
  let disposed = 0;
  const inner: TrainedMethod = {
    name: "sbm-ae",
    scoreScaled: true,
    generate: (_obs, opts) => {
      seen.push(opts);
      return Promise.resolve({ decoded: () => undefined as never, dispose() {} });
    },
    dispose: () => void disposed++,
  };
  const m = withScoreScale(inner, 1.5);
  const obs = { rows: 1, mask: new Uint8Array(2), tuples: new Uint32Array(1) };
  await m.generate(obs, { seed: 3, steps: 7 });
  await m.generate(obs, { seed: 4, scoreScale: 2 });
  assert.deepEqual(seen, [{ scoreScale: 1.5, seed: 3, steps: 7 }, { scoreScale: 2, seed: 4 }]);
  assert.deepEqual([m.name, m.scoreScaled], ["sbm-ae", true]);
  m.dispose();
  assert.equal(disposed, 1);
});
