/**
 * The Report: one type for `report.json`, written by the pipeline and read by the CLI summary, the
 * run index, the dashboard and the Markdown writer. Keys keep their names and meaning across
 * versions; fields added later are optional, so older runs still read. {@link parseReport} checks
 * the shape once, where JSON enters; every reader after it uses the type, without casts.
 */

/** How γ was chosen from the data for one method and seed (polyscore/eval/score_scale.ts). */
export interface ScoreScaleChoice {
  chosen: number;
  /** Fraction of the train tuples' reconstructions on which all M classifiers agree. */
  target: number;
  /** Each γ tried, in the order tried, with its unconditional samples' all-agree fraction. */
  tried: { gamma: number; agree: number }[];
  /** Unconditional samples per γ tried (and train tuples of the target). */
  samples: number;
  /** Even the grid's smallest γ agreed more often than the target (it is chosen anyway). */
  below_grid: boolean;
}

/** One method's results, aggregated over seeds (means under the plain names, stds beside them). */
export interface MethodReport {
  /** Conditional coherence by number of given modalities ("1", "2", …). */
  coherence_by_given: Record<string, number>;
  coherence_by_given_std: Record<string, number>;
  /** Per target modality, averaged over the subsets that leave it out. */
  coherence_by_target: number[];
  coherence_by_target_std: number[];
  /** Per "given,given->target" pair (means over seeds). */
  coherence_by_subset: Record<string, number>;
  /** All classifiers agree on unconditional samples; null when a modality has no digit scorer. */
  unconditional_coherence: number | null;
  unconditional_coherence_std: number | null;
  /** Fréchet distance per modality in classifier feature space (not Inception FID). */
  fd_by_modality: (number | null)[];
  fd_by_modality_std: (number | null)[];
  seeds: number;
  eval_seconds: number;
  /** 95% bootstrap CI of each coherence_by_given mean (over tuples, and seeds when several). */
  coherence_ci_by_given?: Record<string, [number, number]>;
  /** Bootstrap standard error of each coherence_by_given mean. */
  coherence_se_by_given?: Record<string, number>;
  /** The incremental protocol: coherence of the protocol's target given the first i others. */
  incremental_coherence?: number[];
  incremental_ci?: [number, number][];
  /** Unconditional samples whose largest agreeing group of predictions has ≥ k members ("k"). */
  unconditional_at_least?: Record<string, number> | null;
  /** Fréchet distance against the autoencoders' reconstructions of the same test images. */
  fd_vs_reconstruction?: (number | null)[];
  fd_vs_reconstruction_std?: (number | null)[];
  /**
   * Fréchet distance of the *conditional* samples by number of given modalities ("k"), mean over
   * the target modalities with a classifier (polyscore/eval/frechet_given.ts; protocol
   * `fd_rows_by_target` samples per target at every k), against real test images; mean over seeds,
   * `_std` the std over seeds of the per-seed value (0 with one seed), `_by_target` per target
   * modality (mean over seeds). Absent on reports before it was measured.
   */
  fd_by_given?: Record<string, number | null>;
  fd_by_given_std?: Record<string, number | null>;
  fd_by_given_by_target?: Record<string, (number | null)[]>;
  /** The same against the autoencoders' reconstructions of the test images. */
  fd_by_given_vs_reconstruction?: Record<string, number | null>;
  fd_by_given_vs_reconstruction_std?: Record<string, number | null>;
  fd_by_given_vs_reconstruction_by_target?: Record<string, (number | null)[]>;
  /** The unconditional Fréchet distance against real images, mean over modalities, and its std. */
  fd_unconditional?: number | null;
  fd_unconditional_std?: number | null;
  /** γ the sampler used, per seed (null: no score prior; absent on reports before it). */
  score_scale_by_seed?: (number | null)[];
  /** How γ was chosen per seed (prior.scoreScaleAuto; null: the configured γ). */
  score_scale_choice_by_seed?: (ScoreScaleChoice | null)[];
}

/** The paired difference a − b of two methods at one number of given modalities. */
export interface PairedReport {
  a: string;
  b: string;
  given: string;
  diff: number;
  se: number;
  /** 95% bootstrap CI over tuples (and seeds when several). */
  lo: number;
  hi: number;
  /** The CI excludes 0. */
  significant: boolean;
}

/** How the evaluation was done: the tuples, the rule behind their numbers, the protocol. */
export interface ProtocolReport {
  /** Test tuples scored per number of given modalities ("k" → count); the same for every method. */
  tuples_by_given: Record<string, number>;
  rule: string;
  /** Conditional rows generated per method and seed. */
  rows_per_method: number;
  /** The incremental protocol: its target modality and its given subsets (i = 1 … M − 1). */
  incremental_target: number;
  incremental_given: number[][];
  bootstrap_reps: number;
  /**
   * Conditional samples per target modality in each conditional Fréchet distance (the same at every
   * given count: min(reference rows, rows of the smallest given count)); 0: none.
   */
  fd_rows_by_target?: number[];
  /** Real test images (and their reconstructions) in each Fréchet reference. */
  fd_reference_rows?: number;
}

/** A re-evaluation of a finished run (`polyscore eval`): what was changed, and what was reused. */
export interface ReevaluationReport {
  /** The `--set` overrides, as given. */
  overrides: Record<string, string>;
  methods: string[];
  /** This report's file name (report.eval1.json, …). */
  file: string;
  /** The run whose methods are reported beside these as "<method>@<id>" (same autoencoders). */
  against?: string;
  /**
   * `--variant` evaluations of the same priors with other sampler/evaluation overrides (on top of
   * `overrides`), reported as "<method>@<label>" on the same tuples and call seeds, with each
   * variant's network evaluations per generated row.
   */
  variants?: Record<string, { overrides: Record<string, string>; nfe: number }>;
}

/** How the score priors were trained and conditioned (issue 15's options). */
export interface PriorReport {
  /** "replacement" (one diffusion time; observed latents re-imposed) or "masked" (MLD). */
  conditioning: string;
  /** How replacement re-imposes the observed latents ("fresh", "code_quirk", "clean"). */
  observed_noise: string;
  /** Probability of a conditional training row ("masked" only; null for replacement). */
  mask_prob: number | null;
  /** EMA decay of the weights sampled from; 0 = no EMA. */
  ema: number;
  /** SBM-AE's latents standardised per dimension. */
  standardize: boolean;
  /** The sampler ("pc", "predictor", "ode"), its steps N and final corrector steps (absent before). */
  sampler?: string;
  sample_steps?: number;
  final_corrector_steps?: number;
  /** Corrector SNR in the loop and in the final steps; code_quirk's gain g (absent before). */
  snr?: number;
  final_snr?: number;
  observed_gain?: number;
  /** γ, the sampler's factor on the score (absent before; 1 = the prior as trained). */
  score_scale?: number;
  /**
   * γ chosen from the data per method and seed instead (prior.scoreScaleAuto): the grid and the
   * samples per γ tried; null or absent: the fixed `score_scale`.
   */
  score_scale_auto?: { grid: number[]; samples: number } | null;
  /** Network evaluations per generated row (the sampler's cost). */
  nfe?: number;
}

/** One point of the ε sweep (coherence only when priors were trained at every ε). */
export interface SweepEntry {
  /** ε as a fraction of ½ tr H. */
  fraction: number;
  epsilon: number;
  ranks: number[];
  totalRank: number;
  bound: number;
  coherence_by_given?: Record<string, number>;
  unconditional_coherence?: number | null;
}

/** The lift ceiling of one reduction: accuracy on decode(lift(project(z_test))) per modality. */
export interface LiftCeilingEntry {
  /** "ε 0.05", "chosen" or "full rank". */
  label: string;
  /** ε as a fraction of ½ tr H; null for fixed ranks and full rank. */
  fraction: number | null;
  ranks: number[];
  total_rank: number;
  /** The discarded complement drawn from N(0, I), as SBM-SRR's samples have it; null: no scorer. */
  gaussian: (number | null)[];
  /** The complement set to 0 (its mean). */
  zero: (number | null)[];
  /**
   * The complement from its Gaussian conditional given all kept coordinates y (mean + noise, as
   * SBM-SRR samples it under `reduction.complement` "conditional"), and that conditional's mean.
   */
  conditional?: (number | null)[];
  conditional_mean?: (number | null)[];
}

/** The score-ratio reduction. */
export interface ReductionReport {
  /** How H was estimated ("score-ratio" network or "prior-score"); absent in older reports. */
  estimator?: string;
  /** How SBM-SRR's lift fills the discarded coordinates ("noise", "zero", "conditional"). */
  complement?: string;
  /**
   * `reduction.select` "lift-ceiling": the search on train tuples (mean lift ceiling over modalities
   * per total rank tried, and full rank's).
   */
  lift_selection?: {
    gap: number;
    tuples: number;
    full: number;
    points: { total_rank: number; ranks: number[]; lift: number }[];
  };
  epsilon: number;
  /** ε as a fraction of ½ tr H; null when ranks or an absolute ε were given. */
  epsilon_fraction: number | null;
  ranks: number[];
  latent_dims: number[];
  total_rank: number;
  total_dim: number;
  /** ½ Σ discarded eigenvalues of the *learned* H: an estimate of the KL bound, not a certificate. */
  bound: number;
  /** tr H. */
  trace: number;
  /** Eigenvalues of each diagonal block of H, descending. */
  spectra: number[][];
  sweep: SweepEntry[];
  /**
   * The same network's H on held-out (test) latents: tr H and the estimated bound of the chosen
   * bases under it, ½ tr((I − P) H_test). The in-sample values are `trace` and `bound`.
   */
  held_out?: { tuples: number; trace: number; bound: number };
  /**
   * H's Gaussian part H_G = A₀ M A₀ (the linear term alone at its closed-form optimum, the
   * network's start) against the learned H: tr H_G, ½ Σ of H_G's discarded eigenvalues at the
   * chosen ranks, ‖H − H_G‖_F / ‖H‖_F, and per modality the principal angles (degrees, ascending)
   * between the rank-r_m bases of the two.
   */
  gaussian_part?: {
    trace: number;
    bound: number;
    relative_frobenius: number;
    principal_angles_deg: number[][];
  };
  /** The lift ceiling per reduction (the sweep's ε, the chosen one, full rank). */
  lift_ceiling?: { tuples: number; points: LiftCeilingEntry[] };
}

/** `report.json`. */
export interface Report {
  run_id: string;
  version: string;
  preset: string;
  backend: string;
  seeds: number;
  /** Per method, in registry order. */
  methods: Record<string, MethodReport>;
  classifier_accuracy: (number | null)[];
  /** Classifier accuracy on reconstructions of the test set: the ceiling on coherence. */
  reconstruction_ceiling: (number | null)[];
  reconstruction_mse: number[];
  /**
   * Test accuracy of a logistic regression label ← z_m on the train latents (what the latent holds,
   * without the decoder's blur); null without class labels; absent on reports before issue 15.
   */
  linear_probe?: (number | null)[];
  modalities: string[];
  latent_dims: number[];
  reduction: ReductionReport | null;
  /** Seconds per stage. */
  time_split: Record<string, number>;
  wall_seconds: number;
  peak_rss_mb: number;
  protocol?: ProtocolReport;
  /** The reconstruction ceiling averaged over the same (subset, target, tuple) cells as coherence. */
  ceiling_by_given?: Record<string, number>;
  /** The reconstruction ceiling of the incremental protocol's target on its tuples. */
  incremental_ceiling?: number[] | null;
  /**
   * Over all test tuples: the fraction whose M reconstructions are all classified alike (the
   * ceiling of unconditional coherence) and the "≥ k agree" fractions.
   */
  unconditional_ceiling?: { all_agree: number; at_least: Record<string, number> } | null;
  /** Fréchet distance of the reconstructions to the real test images (the blur floor). */
  fd_reconstruction_vs_real?: (number | null)[];
  /** Every pair of methods at every number of given modalities. */
  paired?: PairedReport[];
  /** Present on reports written by `polyscore eval`. */
  reevaluation?: ReevaluationReport;
  /** The priors' conditioning mode and training options (absent on reports before issue 15). */
  prior?: PriorReport;
}

/** Thrown for a `report.json` whose shape is not a Report; the message names the field. */
export class ReportFormatError extends Error {
  constructor(field: string, expected: string) {
    super(`Cannot read report.json: ${field} must be ${expected}`);
    this.name = "ReportFormatError";
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function need(ok: boolean, field: string, expected: string): void {
  if (!ok) throw new ReportFormatError(field, expected);
}

const isNum = (v: unknown) => typeof v === "number";
const isNumOrNull = (v: unknown) => v === null || typeof v === "number";
const numArray = (v: unknown, orNull = false) =>
  Array.isArray(v) && v.every(orNull ? isNumOrNull : isNum);
const numRecord = (v: unknown) => isRecord(v) && Object.values(v).every(isNum);

/**
 * Checks the shape of parsed `report.json` and returns it as a Report.
 * @throws {ReportFormatError} naming the first field that does not fit
 */
export function parseReport(json: unknown): Report {
  need(isRecord(json), "report.json", "an object");
  const r = json as Record<string, unknown>;
  for (const k of ["run_id", "preset", "backend"]) need(typeof r[k] === "string", k, "a string");
  for (const k of ["seeds", "wall_seconds"]) need(isNum(r[k]), k, "a number");
  need(isRecord(r.methods), "methods", "an object");
  for (const [name, m] of Object.entries(r.methods as Record<string, unknown>)) {
    need(isRecord(m), `methods.${name}`, "an object");
    const mm = m as Record<string, unknown>;
    need(numRecord(mm.coherence_by_given), `methods.${name}.coherence_by_given`, "numbers by key");
    need(
      mm.coherence_by_given_std === undefined || numRecord(mm.coherence_by_given_std),
      `methods.${name}.coherence_by_given_std`,
      "numbers by key",
    );
    for (const k of ["fd_by_given", "fd_by_given_vs_reconstruction"]) {
      const v = mm[k];
      need(
        v === undefined || (isRecord(v) && Object.values(v).every(isNumOrNull)),
        `methods.${name}.${k}`,
        "numbers (or null) by given count",
      );
    }
    need(
      isNumOrNull(mm.unconditional_coherence ?? null),
      `methods.${name}.unconditional_coherence`,
      "a number or null",
    );
  }
  need(numArray(r.classifier_accuracy, true), "classifier_accuracy", "an array of numbers");
  need(
    r.reconstruction_ceiling === undefined || numArray(r.reconstruction_ceiling, true),
    "reconstruction_ceiling",
    "an array of numbers",
  );
  need(
    r.linear_probe === undefined || numArray(r.linear_probe, true),
    "linear_probe",
    "an array of numbers",
  );
  if (r.reduction !== null && r.reduction !== undefined) {
    const red = r.reduction as Record<string, unknown>;
    need(isRecord(red), "reduction", "an object or null");
    need(numArray(red.ranks), "reduction.ranks", "an array of numbers");
    need(
      Array.isArray(red.spectra) && red.spectra.every((s) => numArray(s)),
      "reduction.spectra",
      "arrays of numbers",
    );
    need(isNum(red.bound), "reduction.bound", "a number");
    const ho = red.held_out as Record<string, unknown> | undefined;
    need(
      ho === undefined || (isRecord(ho) && isNum(ho.trace) && isNum(ho.bound)),
      "reduction.held_out",
      "an object with numbers trace and bound",
    );
    const gp = red.gaussian_part as Record<string, unknown> | undefined;
    need(
      gp === undefined ||
        (isRecord(gp) && isNum(gp.relative_frobenius) && Array.isArray(gp.principal_angles_deg) &&
          gp.principal_angles_deg.every((a) => numArray(a))),
      "reduction.gaussian_part",
      "an object with relative_frobenius and principal_angles_deg (arrays of numbers)",
    );
    const lc = red.lift_ceiling as Record<string, unknown> | undefined;
    need(
      lc === undefined ||
        (isRecord(lc) && Array.isArray(lc.points) &&
          lc.points.every((p) =>
            isRecord(p) && numArray(p.ranks) && numArray(p.gaussian, true) && numArray(p.zero, true)
          )),
      "reduction.lift_ceiling",
      "an object with points of ranks, gaussian and zero (arrays of numbers)",
    );
  }
  return json as unknown as Report;
}

/** The names of the modalities: `modalities` when present, else m0, m1, … */
export function modalityNames(report: Report, count: number): string[] {
  return Array.from({ length: count }, (_, i) => report.modalities?.[i] || `m${i}`);
}
