/**
 * A test double of polyscore/pipeline/playground.ts for server tests (queueing, validation, load): a
 * deterministic "sampler" that blends the observed test examples with seeded noise after a delay
 * (`delayMs`, the thread stays free) and/or after burning the CPU (`spinMs`, plus `spinMsPerStep` × steps: the
 * thread is blocked as a real sampler blocks it; `openSpinMs` likewise for loading).
 * It exercises the server's plumbing only; the real sampler is tested with a real tiny run in
 * tests/browser_test.ts.
 */

import type { PlaygroundSession, SamplerProvider } from "../server/playground.ts";
import { lcg } from "./_fixtures.ts";

/** Blocks this thread for `ms` (a CPU-bound job's effect on its event loop). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* burn */ }
}

/** Counters the tests read. */
export interface DoubleStats {
  opened: number;
  samples: number;
  running: number;
  maxRunning: number;
}

/** A provider of sessions with `modalities` image modalities (3×28×28) and 10 test examples. */
export function playgroundDouble(
  opts: {
    modalities?: number;
    delayMs?: number;
    spinMs?: number;
    spinMsPerStep?: number;
    openSpinMs?: number;
  } = {},
): SamplerProvider & { stats: DoubleStats } {
  const stats: DoubleStats = { opened: 0, samples: 0, running: 0, maxRunning: 0 };
  const modalities = opts.modalities ?? 3;
  const shape = [3, 28, 28];
  const example = (m: number, i: number) => {
    const rnd = lcg(1000 * m + i + 1);
    const out = new Float32Array(3 * 28 * 28);
    const cx = 8 + rnd() * 12, cy = 8 + rnd() * 12;
    for (let c = 0; c < 3; c++) {
      const base = rnd();
      for (let p = 0; p < 784; p++) {
        out[c * 784 + p] = Math.hypot((p % 28) - cx, Math.floor(p / 28) - cy) < 7 ? 1 - base : base;
      }
    }
    return out;
  };
  return {
    stats,
    open(_runDir: string): Promise<PlaygroundSession> {
      stats.opened++;
      spin(opts.openSpinMs ?? 0);
      return Promise.resolve({
        modalities: Array.from(
          { length: modalities },
          (_, m) => ({ name: `m${m}`, kind: "image" as const, shape }),
        ),
        testCount: 10,
        methods: ["sbm-ae", "sbm-srr"],
        testExample: (m: number, i: number) => example(m, i),
        async sample(req) {
          stats.running++;
          stats.maxRunning = Math.max(stats.maxRunning, stats.running);
          try {
            await new Promise((r) => setTimeout(r, opts.delayMs ?? 5));
            spin((opts.spinMs ?? 0) + (opts.spinMsPerStep ?? 0) * req.steps);
            stats.samples++;
            const given = req.observed.map((o) => o.data ?? example(o.modality, o.index ?? 0));
            const rnd = lcg(req.seed + 1);
            const outputs = [];
            for (let m = 0; m < modalities; m++) {
              if (req.observed.some((o) => o.modality === m)) continue;
              outputs.push({
                modality: m,
                samples: Array.from(
                  { length: req.count },
                  () =>
                    Float32Array.from(
                      { length: 3 * 784 },
                      (_, k) => 0.7 * (given[0]?.[k] ?? 0.5) + 0.3 * rnd(),
                    ),
                ),
              });
            }
            return { outputs };
          } finally {
            stats.running--;
          }
        },
        dispose() {},
      });
    },
  };
}
