/**
 * Polling benchmark: the Wasm backend's threads poll for `spinMicros` µs before they block
 * (`wasm/cpu/backend.ts`). Case: quick's prior training step — the score MLP 160 → 256 × 4 blocks
 * → 160 (time MLP 64), noise output, batch 256, denoising score matching on the VP-SDE, backward,
 * Adam with gradient clipping — on one 2-thread backend whose `spinMicros` switches between
 * settings. Rounds of `STEPS` steps interleave the settings (one warm-up step after each switch),
 * so a machine whose speed drifts slows them alike; a setting's time is the median over rounds.
 * The peer is the same backend blocking at once (spinMicros 0), measured in the same rounds.
 *
 * stdout: one JSON line per polling setting,
 *   {"suite":"spin","case":"prior_step spin 300us","metric":"ms/step","ours":X,"peer":Y,
 *    "peer_name":"wasm, no polling","ratio":Y/X}
 * Run: `deno task bench spin`.
 */
import { createWasmCpuBackend, DEFAULT_SPIN_MICROS } from "../wasm/cpu/mod.ts";
import { ScoreMlp } from "../polyscore/models/score_mlp.ts";
import { Init } from "../engine/nn/module.ts";
import { RandomStream } from "../engine/ops/random.ts";
import { Adam } from "../engine/optim.ts";
import { dsmLoss } from "../polyscore/sde/dsm.ts";
import { VpSde } from "../polyscore/sde/vpsde.ts";
import { backward, Tensor, tidy } from "../engine/tensor.ts";

// The default among them once, whatever it is; 0 (no polling) first, as the peer.
const SETTINGS = [...new Set([0, 50, 150, DEFAULT_SPIN_MICROS, 1000])].sort((a, b) => a - b);
const ROUNDS = 30;
const STEPS = 10;

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** Times quick's prior step under each polling setting; prints one JSON line per setting. */
export async function runSpinBench(): Promise<void> {
  const be = await createWasmCpuBackend({ threads: 2 });
  try {
    const dim = 160, batch = 256;
    const sde = new VpSde({ beta0: 1, beta1: 5 });
    const model = new ScoreMlp(new Init(be, 3), {
      dim,
      width: 256,
      blocks: 4,
      timeEmbedDim: 64,
      timeWidth: 64,
      output: "noise",
      sde,
    });
    const opt = new Adam(model.parameters(), { lr: 1e-3, maxGradNorm: 1 });
    const noise = new RandomStream(17);
    const rows = Float32Array.from({ length: batch * dim }, (_, i) => Math.sin(i * 0.37));
    const step = () =>
      tidy(() => {
        backward(dsmLoss(model, sde, Tensor.from(be, rows, [batch, dim]), noise), opt.params);
        opt.update();
        be.flush();
      });
    for (let i = 0; i < 20; i++) step();
    const times = SETTINGS.map(() => [] as number[]);
    for (let r = 0; r < ROUNDS; r++) {
      console.error(`spin bench: round ${r + 1}/${ROUNDS}`);
      SETTINGS.forEach((us, k) => {
        be.spinMicros = us;
        step();
        const t0 = performance.now();
        for (let i = 0; i < STEPS; i++) step();
        times[k].push((performance.now() - t0) / STEPS);
      });
    }
    const peer = median(times[0]);
    SETTINGS.forEach((us, k) => {
      if (us === 0) return;
      const ours = median(times[k]);
      console.log(JSON.stringify({
        suite: "spin",
        case: `prior_step spin ${us}us${us === DEFAULT_SPIN_MICROS ? " (default)" : ""}`,
        metric: "ms/step",
        ours: +ours.toFixed(2),
        peer: +peer.toFixed(2),
        peer_name: "wasm, no polling",
        ratio: +(peer / ours).toFixed(3),
      }));
    });
    opt.dispose();
    model.dispose();
  } finally {
    be.destroy();
  }
}

if (import.meta.main) await runSpinBench();
