/**
 * Run folders for the dashboard tests, written through the RunStore API like the pipeline writes
 * them: metrics from a real optimisation loop (gradient descent on a seeded least-squares problem),
 * events, PNG grids, and a report.json in the pipeline's shape. Fixture data for the server, not
 * model results: nothing here claims to be a trained model.
 */

import type { MethodReport, Report } from "../polyscore/report/report.ts";
import { encodePng } from "../polyscore/data/png.ts";
import { RunStore } from "../polyscore/runs/store.ts";

/** A seeded LCG in [0, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Writes `steps` steps of gradient descent on ||Ax − b||² as metrics of `stage`. */
export function trainLoop(
  run: RunStore,
  stage: string,
  steps: number,
  seed: number,
  from = 1,
): void {
  const rnd = lcg(seed);
  const n = 8;
  const a = Array.from({ length: n * n }, () => rnd() - 0.5);
  const b = Array.from({ length: n }, () => rnd() - 0.5);
  const x = new Array(n).fill(0);
  for (let step = 1; step < from + steps; step++) {
    const r = b.map((bi, i) =>
      a.slice(i * n, i * n + n).reduce((s, aij, j) => s + aij * x[j], 0) - bi
    );
    const loss = r.reduce((s, v) => s + v * v, 0);
    for (let j = 0; j < n; j++) x[j] -= 0.1 * 2 * r.reduce((s, ri, i) => s + ri * a[i * n + j], 0);
    if (step >= from) run.metric(stage, step, { loss, lr: 0.1 * Math.exp(-step / 50) });
  }
}

/** An RGB grid PNG of `rows × cols` 28×28 cells with seeded blobs. */
export function gridPng(rows: number, cols: number, seed: number): Uint8Array {
  const rnd = lcg(seed);
  const cell = 28, pad = 2;
  const w = cols * (cell + pad) + pad, h = rows * (cell + pad) + pad;
  const data = new Uint8Array(w * h * 3).fill(255);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const base = [rnd() * 255, rnd() * 255, rnd() * 255];
      const cx = 8 + rnd() * 12, cy = 8 + rnd() * 12;
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          const d = Math.hypot(x - cx, y - cy);
          const p = ((r * (cell + pad) + pad + y) * w + c * (cell + pad) + pad + x) * 3;
          for (let k = 0; k < 3; k++) data[p + k] = d < 7 ? 255 - base[k] : base[k];
        }
      }
    }
  }
  return encodePng({ width: w, height: h, channels: 3, data });
}

/** A report.json in the pipeline's shape (the {@link Report} type), with values from `rnd`. */
export function fixtureReport(modalities: number, withReduction: boolean): Report {
  const rnd = lcg(modalities * 7 + 1);
  const given = (base: number) =>
    Object.fromEntries(
      Array.from({ length: modalities - 1 }, (_, k) => [String(k + 1), base + 0.08 * k]),
    );
  const std = () =>
    Object.fromEntries(
      Array.from({ length: modalities - 1 }, (_, k) => [String(k + 1), 0.01 + 0.01 * rnd()]),
    );
  const perModality = (f: () => number) => Array.from({ length: modalities }, f);
  const method = (base: number): MethodReport => ({
    coherence_by_given: given(base),
    coherence_by_given_std: std(),
    coherence_by_target: perModality(() => base),
    coherence_by_target_std: perModality(() => 0.01),
    coherence_by_subset: {},
    unconditional_coherence: base / 2,
    unconditional_coherence_std: 0.01,
    fd_by_modality: perModality(() => 10 + rnd() * 10),
    fd_by_modality_std: perModality(() => 1),
    // Conditional FD by given count: 40 − 20·base at given 1, one less per extra given modality.
    fd_by_given: Object.fromEntries(
      Array.from({ length: modalities - 1 }, (_, k) => [String(k + 1), 40 - 20 * base - k]),
    ),
    fd_by_given_std: Object.fromEntries(
      Array.from({ length: modalities - 1 }, (_, k) => [String(k + 1), 0.5]),
    ),
    fd_by_given_vs_reconstruction: Object.fromEntries(
      Array.from({ length: modalities - 1 }, (_, k) => [String(k + 1), 20 - 20 * base - k]),
    ),
    fd_unconditional: 50 - 20 * base,
    fd_unconditional_std: 0.25,
    seeds: 1,
    eval_seconds: 1,
  });
  const ranks = Array.from({ length: modalities }, (_, m) => 3 + m);
  return {
    run_id: "fixture",
    version: "0",
    preset: "fixture",
    backend: "reference",
    seeds: 1,
    modalities: Array.from({ length: modalities }, (_, i) => `m${i}`),
    methods: {
      "sbm-ae": {
        ...method(0.2),
        coherence_ci_by_given: Object.fromEntries(
          Array.from(
            { length: modalities - 1 },
            (_, k) => [String(k + 1), [0.15 + 0.08 * k, 0.25 + 0.08 * k] as [number, number]],
          ),
        ),
      },
      "sbm-srr": {
        ...method(0.3),
        score_scale_by_seed: [2],
        score_scale_choice_by_seed: [{
          chosen: 2,
          target: 0.331,
          tried: [{ gamma: 1.75, agree: 0.264 }, { gamma: 2, agree: 0.33 }, {
            gamma: 2.5,
            agree: 0.412,
          }],
          samples: 1000,
          below_grid: false,
        }],
      },
      independent: method(0.1),
    },
    paired: [
      {
        a: "sbm-srr",
        b: "sbm-ae",
        given: "1",
        diff: 0.1,
        se: 0.02,
        lo: 0.06,
        hi: 0.14,
        significant: true,
      },
      {
        a: "sbm-srr",
        b: "sbm-ae",
        given: "2",
        diff: 0.01,
        se: 0.02,
        lo: -0.03,
        hi: 0.05,
        significant: false,
      },
    ],
    classifier_accuracy: perModality(() => 0.95 + 0.04 * rnd()),
    reconstruction_ceiling: perModality(() => 0.9),
    reconstruction_mse: perModality(() => 0.01),
    latent_dims: perModality(() => 8),
    reduction: withReduction
      ? {
        spectra: Array.from({ length: modalities }, (_, m) =>
          Array.from({ length: 8 }, (_, i) => Math.exp(-i * (0.6 + 0.1 * m)))),
        ranks,
        latent_dims: perModality(() =>
          8
        ),
        total_rank: ranks.reduce((a, b) => a + b, 0),
        total_dim: 8 * modalities,
        bound: 0.004,
        epsilon: 0.005,
        epsilon_fraction: 0.05,
        trace: 1,
        sweep: [],
        held_out: { tuples: 100, trace: 1.1, bound: 0.0051 },
        gaussian_part: {
          trace: 0.9,
          bound: 0.003,
          relative_frobenius: 0.12,
          principal_angles_deg: ranks.map((r) => Array.from({ length: r }, (_, i) => i * 1.5)),
        },
        lift_ceiling: {
          tuples: 100,
          points: [{
            label: "chosen",
            fraction: 0.05,
            ranks,
            total_rank: ranks.reduce((a, b) => a + b, 0),
            gaussian: perModality(() => 0.7),
            zero: perModality(() => 0.8),
          }],
        },
      }
      : null,
    time_split: { data: 0.5 },
    wall_seconds: 12.5,
    peak_rss_mb: 100,
  };
}

/** A finished run with metrics, events, sample grids and a report. */
export function makeDoneRun(root: string, id: string, modalities = 3): void {
  const run = RunStore.create(root, {
    id,
    config: { preset: "fixture", modalities, eval: { conditional: 100 } },
    preset: "fixture",
    backend: "reference",
  });
  run.event("info", "ae/m0", "started");
  for (let m = 0; m < modalities; m++) {
    run.setStage(`ae/m${m}`, m / modalities);
    trainLoop(run, `ae/m${m}`, 60, 11 + m);
  }
  run.setStage("prior/sbm-ae", 0.9);
  trainLoop(run, "prior/sbm-ae", 80, 5);
  run.event("warn", "prior/sbm-ae", "loss plateau");
  run.writeFile("samples/recon_m0.png", gridPng(2, 8, 1));
  run.writeFile("samples/sbm-ae_given_m0.png", gridPng(modalities, 8, 2));
  run.writeFile("report.json", JSON.stringify(fixtureReport(modalities, true)));
  run.writeFile("report.md", "# report\n");
  run.setStage("eval", 1);
  run.setStatus("done");
  run.close();
}
