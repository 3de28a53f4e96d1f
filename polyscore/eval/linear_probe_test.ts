/**
 * Known answers of the linear probe on synthetic latents: two blocks, the first (4 dims) holding
 * the class as well-separated Gaussian means on a large offset and scale, the second (3 dims) pure
 * noise. The probe on the first block must be near the Bayes accuracy (the classes are separable
 * up to rare overlaps), on the second near chance; the same seed gives the same number bit for
 * bit. (Checked to fail with the gradient's sign flipped (accuracy ≈ chance on the first block),
 * and with `offset` ignored (the noise block then scores as the class block).)
 */
import assert from "node:assert/strict";
import { Rng } from "../../engine/random.ts";
import { linearProbe, type ProbeSplit } from "./linear_probe.ts";

const K = 4, STRIDE = 7;

function split(n: number, seed: number): ProbeSplit {
  const rng = new Rng(seed);
  const means = [[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0], [0, 0, 0, 3]];
  const x = new Float32Array(n * STRIDE), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % K;
    labels[i] = c;
    for (let j = 0; j < 4; j++) x[i * STRIDE + j] = 100 + 50 * (means[c][j] + 0.5 * rng.normal());
    for (let j = 4; j < STRIDE; j++) x[i * STRIDE + j] = rng.normal();
  }
  return { x, stride: STRIDE, labels };
}

Deno.test("linearProbe: the class block is read near perfectly, the noise block at chance", () => {
  const train = split(2000, 1), test = split(1000, 2);
  const informative = linearProbe(train, test, 0, 4, K);
  const noise = linearProbe(train, test, 4, 3, K);
  assert.ok(informative > 0.97, `class block probe ${informative}`);
  assert.ok(Math.abs(noise - 1 / K) < 0.06, `noise block probe ${noise} (chance 0.25)`);
});

Deno.test("linearProbe: the same seed gives the same accuracy; another seed may differ only a little", () => {
  const train = split(800, 3), test = split(400, 4);
  const a = linearProbe(train, test, 0, STRIDE, K, { epochs: 5 });
  const b = linearProbe(train, test, 0, STRIDE, K, { epochs: 5 });
  const c = linearProbe(train, test, 0, STRIDE, K, { epochs: 5, seed: 2 });
  assert.equal(a, b);
  assert.ok(Math.abs(a - c) < 0.05, `${a} vs ${c}`);
});

Deno.test("linearProbe: a label outside the classes is refused by value", () => {
  const train = split(64, 5), test = split(64, 6);
  const bad = { ...train, labels: Int32Array.from(train.labels, (y, i) => (i === 3 ? K : y)) };
  assert.throws(
    () => linearProbe(bad, test, 0, 4, K),
    /labels must be integers in \[0, 4\): current value is 4/,
  );
});
