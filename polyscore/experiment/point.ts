/**
 * One grid point of an experiment as `experiment.json` holds it: its axis values, its run, what it
 * reused, and the numbers of its run's report.json that the experiment report shows (coherence with
 * CIs, the paired difference against SBM-AE, the incremental curve, the reduction and its lift
 * ceilings, the wall time). It copies numbers; it computes no new statistics.
 */
import type { PipelineConfig } from "../pipeline/config/mod.ts";
import type { Report } from "../report/report.ts";

/** One grid point's state and (when finished) its run's report. */
export interface PointOutcome {
  index: number;
  values: Record<string, string>;
  run_id: string;
  status: "done" | "pending";
  /** Cache group → short digest of its key (equal digests share checkpoints). */
  keys: Record<string, string>;
  /** Cache group → the run whose checkpoints this point started from. */
  reused: Record<string, string>;
  config: PipelineConfig;
  report: Report | null;
}

/** The baseline every paired difference is taken against. */
export const BASELINE = "sbm-ae";

/** One method's row of one point. */
export interface ExperimentMethodRow {
  coherence_by_given: Record<string, number>;
  ci_by_given: Record<string, [number, number]> | null;
  incremental: number[] | null;
  incremental_ci: [number, number][] | null;
  unconditional_coherence: number | null;
  fd_by_modality: (number | null)[];
  fd_by_modality_std: (number | null)[];
  /**
   * Conditional Fréchet distance by given count (mean over targets, against real images) and its
   * std over seeds; the unconditional one (mean over modalities) and its std. Null on reports
   * before it was measured.
   */
  fd_by_given: Record<string, number | null> | null;
  fd_by_given_std: Record<string, number | null> | null;
  /** The same against the autoencoders' reconstructions (mean over targets and seeds). */
  fd_by_given_vs_reconstruction: Record<string, number | null> | null;
  fd_unconditional: number | null;
  fd_unconditional_std: number | null;
  /** `method − sbm-ae` by given count with its 95% CI (null for the baseline itself). */
  paired_vs_baseline:
    | Record<string, { diff: number; lo: number; hi: number; significant: boolean }>
    | null;
}

/** One point of `experiment.json`. */
export interface ExperimentPoint {
  index: number;
  values: Record<string, string>;
  run_id: string;
  status: "done" | "pending";
  modalities: number;
  latent: number;
  keys: Record<string, string>;
  reused: Record<string, string>;
  wall_seconds: number | null;
  time_split: Record<string, number> | null;
  seeds: number | null;
  methods: Record<string, ExperimentMethodRow>;
  ceiling_by_given: Record<string, number> | null;
  reduction: {
    epsilon_fraction: number | null;
    ranks: number[];
    total_rank: number;
    total_dim: number;
    bound: number;
    held_out_bound: number | null;
    sweep: { fraction: number; total_rank: number; bound: number }[];
    /** SBM-SRR's lift complement ("noise", "zero", …; absent in reports before it was recorded). */
    complement: string | null;
    lift_ceiling: {
      label: string;
      total_rank: number;
      gaussian: (number | null)[];
      zero: (number | null)[];
    }[];
  } | null;
}

/** `experiment.json`. */
export interface ExperimentReport {
  id: string;
  about: string;
  preset: string;
  set: Record<string, string>;
  axes: { key: string; values: string[] }[];
  reproduce: string;
  points: ExperimentPoint[];
  plots: string[];
}

function pairedOf(r: Report, method: string): ExperimentMethodRow["paired_vs_baseline"] {
  if (method === BASELINE) return null;
  const out: NonNullable<ExperimentMethodRow["paired_vs_baseline"]> = {};
  for (const p of r.paired ?? []) {
    const sign = p.a === method && p.b === BASELINE
      ? 1
      : p.a === BASELINE && p.b === method
      ? -1
      : 0;
    if (sign === 0) continue;
    const [lo, hi] = sign > 0 ? [p.lo, p.hi] : [-p.hi, -p.lo];
    out[p.given] = { diff: sign * p.diff, lo, hi, significant: p.significant };
  }
  return Object.keys(out).length ? out : null;
}

/** The JSON of one point. */
export function pointOf(o: PointOutcome): ExperimentPoint {
  const r = o.report;
  const methods: Record<string, ExperimentMethodRow> = {};
  for (const [name, m] of Object.entries(r?.methods ?? {})) {
    methods[name] = {
      coherence_by_given: m.coherence_by_given,
      ci_by_given: m.coherence_ci_by_given ?? null,
      incremental: m.incremental_coherence ?? null,
      incremental_ci: m.incremental_ci ?? null,
      unconditional_coherence: m.unconditional_coherence,
      fd_by_modality: m.fd_by_modality,
      fd_by_modality_std: m.fd_by_modality_std,
      fd_by_given: m.fd_by_given ?? null,
      fd_by_given_std: m.fd_by_given_std ?? null,
      fd_by_given_vs_reconstruction: m.fd_by_given_vs_reconstruction ?? null,
      fd_unconditional: m.fd_unconditional ?? null,
      fd_unconditional_std: m.fd_unconditional_std ?? null,
      paired_vs_baseline: pairedOf(r!, name),
    };
  }
  const red = r?.reduction;
  return {
    index: o.index,
    values: o.values,
    run_id: o.run_id,
    status: o.status,
    modalities: o.config.modalities,
    latent: o.config.ae.latent,
    keys: o.keys,
    reused: o.reused,
    wall_seconds: r?.wall_seconds ?? null,
    time_split: r?.time_split ?? null,
    seeds: r?.seeds ?? null,
    methods,
    ceiling_by_given: r?.ceiling_by_given ?? null,
    reduction: red
      ? {
        epsilon_fraction: red.epsilon_fraction,
        ranks: red.ranks,
        total_rank: red.total_rank,
        total_dim: red.total_dim,
        bound: red.bound,
        held_out_bound: red.held_out?.bound ?? null,
        sweep: red.sweep.map((s) => ({
          fraction: s.fraction,
          total_rank: s.totalRank,
          bound: s.bound,
        })),
        lift_ceiling: (red.lift_ceiling?.points ?? []).map((p) => ({
          label: p.label,
          total_rank: p.total_rank,
          gaussian: p.gaussian,
          zero: p.zero,
        })),
        complement: red.complement ?? null,
      }
      : null,
  };
}
