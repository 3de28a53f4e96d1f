/**
 * `polyscore eval`: re-evaluates a finished run from its checkpoints — autoencoders, classifiers,
 * reduction and priors are restored, nothing is trained — with overridden sampler, evaluation and
 * reporting settings, and writes a new numbered report beside the original (report.eval1.json and
 * .md, eval2, …; an existing report is never overwritten). Keys that would change what was trained
 * are refused by name.
 */
import type { Backend } from "../../engine/backend.ts";
import { VERSION } from "../../engine/version.ts";
import { agreementTargets } from "../eval/score_scale.ts";
import { reconstructionStats } from "../eval/ceiling.ts";
import { evalPlan } from "../eval/protocol.ts";
import { methodsNamed } from "../methods/mod.ts";
import { reportMarkdown } from "../report/markdown.ts";
import { parseReport, type Report } from "../report/report.ts";
import { RunStore } from "../runs/store.ts";
import { ConfigError, type PipelineConfig, setKey, validate, withDefaults } from "./config/mod.ts";
import { densify, type PipelineContext, type RunSink } from "./context.ts";
import { type BackendSelector, requireSelector } from "./run.ts";
import { trainAutoencoders } from "./stage_ae.ts";
import { trainClassifiers } from "./stage_classifier.ts";
import { loadDataset } from "./stage_data.ts";
import { encodeLatents } from "./stage_latents.ts";
import { trainAndEvaluate } from "./stage_methods.ts";
import { liftCeilingOf } from "./stage_lift.ts";
import {
  reducedMaps,
  reductionCheckpoint,
  reductionWanted,
  runReduction,
} from "./stage_reduction.ts";
import { priorNfe } from "./stage_prior.ts";
import { evaluationReport, priorReport } from "./stage_report.ts";
import type { MethodResult } from "./stage_eval.ts";

/**
 * The keys a re-evaluation may override: the sampler (how a trained prior is sampled), every
 * evaluation key, the reported ε sweep and lift ceiling (computed from the restored H and
 * autoencoders), and how the lift fills the discarded coordinates (SBM-SRR's prior is over y, which
 * the complement does not change). Everything else changes what was trained.
 */
export const EVAL_ONLY_KEYS: readonly string[] = [
  "prior.sampler",
  "prior.sampleSteps",
  "prior.snr",
  "prior.finalSnr",
  "prior.observedNoise",
  "prior.observedGain",
  "prior.scoreScale",
  "prior.scoreScaleAuto",
  "prior.scoreScaleGrid",
  "prior.scoreScaleSamples",
  "prior.correctorNorm",
  "prior.finalCorrectorSteps",
  "reduction.sweep",
  "reduction.liftTuples",
  "reduction.complement",
  "eval.*",
];

function evalOnly(key: string): boolean {
  return EVAL_ONLY_KEYS.some((k) => k.endsWith(".*") ? key.startsWith(k.slice(0, -1)) : k === key);
}

/** Options of {@link reevaluateRun}. */
export interface ReevaluateOptions {
  /** `key=value` overrides of the run's config (only {@link EVAL_ONLY_KEYS}). */
  overrides?: Record<string, string>;
  /** The methods to evaluate (default: all of the run's). */
  methods?: string[];
  backend?: Backend;
  selectBackend?: BackendSelector;
  quiet?: boolean;
  /**
   * Another finished run with the same autoencoders (bitwise the same latents checkpoint) and the
   * same seeds: its methods are evaluated too, on the same tuples with the same call seeds, and
   * reported as "<method>@<id>", so `paired` holds each option's paired difference against it.
   */
  against?: string;
  /**
   * Label → more overrides (on top of `overrides`, eval-only keys too): the same restored priors
   * are evaluated again under each, on the same tuples with the same call seeds, and reported as
   * "<method>@<label>" (so `paired` holds each variant's paired difference, e.g. sampler settings
   * against the default), with the time split's "eval/<method>@<label>" its wall time. A variant
   * that sets only reduction.* keys is evaluated for the methods that use the reduction alone.
   */
  variants?: Record<string, Record<string, string>>;
}

/** The run's config with the overrides applied, or a ConfigError naming a refused key. */
export function reevaluationConfig(
  saved: PipelineConfig,
  overrides: Record<string, string>,
): PipelineConfig {
  const cfg = withDefaults(saved);
  for (const [key, raw] of Object.entries(overrides)) {
    if (!evalOnly(key)) {
      throw new ConfigError(
        `Cannot re-evaluate with "${key}": it changes what was trained (checkpoints would not match); ` +
          `eval may override ${
            EVAL_ONLY_KEYS.join(", ")
          }; train a new run with --set ${key}=${raw}`,
      );
    }
    setKey(cfg, key, raw);
  }
  validate(cfg);
  return cfg;
}

/** Reserves the next free report.evalN.json (created empty, exclusively); returns N. */
function reserveReport(store: RunStore): number {
  for (let n = 1;; n++) {
    try {
      Deno.openSync(`${store.dir}/report.eval${n}.json`, { write: true, createNew: true }).close();
      return n;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
  }
}

/** A sink that reads checkpoints and records events but leaves the finished run's state alone. */
function readOnlySink(store: RunStore): RunSink {
  return {
    setStage() {},
    metric() {},
    deleteMetricsAfter() {},
    metrics: (opts) => store.metrics(opts),
    event: (level, stage, message) => store.event(level, stage, message),
    saveCheckpoint(name) {
      throw new Error(`Cannot save checkpoint ${name}: a re-evaluation trains nothing`);
    },
    renameCheckpoint(name) {
      throw new Error(`Cannot set checkpoint ${name} aside: a re-evaluation changes no checkpoint`);
    },
    loadCheckpoint: (name) => store.loadCheckpoint(name),
    writeFile: (path, data) => store.writeFile(path, data),
    readFile: (path) => store.readFile(path),
  };
}

/** Re-evaluates a finished run; returns the new report and its file names. */
export async function reevaluateRun(
  runsRoot: string,
  id: string,
  opts: ReevaluateOptions = {},
): Promise<{ report: Report; json: string; markdown: string }> {
  const t0 = performance.now();
  const store = RunStore.open(runsRoot, id);
  let owned: Backend | null = null;
  try {
    const bytes = store.readFile("report.json");
    if (!bytes) {
      throw new RangeError(
        `Cannot re-evaluate run ${id}: it has no report.json: finish it first (polyscore train --resume ${id})`,
      );
    }
    const original = parseReport(JSON.parse(new TextDecoder().decode(bytes)));
    const overrides = opts.overrides ?? {};
    const cfg = reevaluationConfig(store.config<PipelineConfig>(), overrides);
    // Every variant's config is checked before anything is evaluated.
    const variantCfgs = Object.entries(opts.variants ?? {}).map(([label, more]) => {
      if (!/^[A-Za-z0-9_.-]+$/.test(label) || label === opts.against) {
        throw new RangeError(
          `Cannot evaluate variant "${label}": a label must be letters, digits, "_", "-" or "." and differ from --against`,
        );
      }
      return {
        label,
        more,
        cfg: reevaluationConfig(store.config<PipelineConfig>(), { ...overrides, ...more }),
      };
    });
    const runMethods = methodsNamed(cfg.methods);
    const names = opts.methods ?? runMethods.map((m) => m.name);
    for (const n of names) {
      if (!runMethods.some((m) => m.name === n)) {
        throw new RangeError(
          `Cannot re-evaluate method "${n}": run ${id} has methods ${
            runMethods.map((m) => m.name).join(", ")
          }`,
        );
      }
    }
    const split: Record<string, number> = {};
    let mark = performance.now();
    const lap = (name: string) => {
      const now = performance.now();
      split[name] = (split[name] ?? 0) + (now - mark) / 1000;
      mark = now;
    };
    const backend = opts.backend ??
      (await requireSelector(opts.selectBackend)(cfg.backend)).backend;
    if (!opts.backend) owned = backend;
    const log = (stage: string, msg: string) => {
      if (!opts.quiet) console.error(`[${stage}] ${msg}`);
    };
    const dataset = await loadDataset(cfg);
    const ctx: PipelineContext = {
      cfg,
      backend,
      run: readOnlySink(store),
      dataset,
      ...densify(dataset),
      quiet: true,
      restoreOnly: true,
      log,
    };
    lap("data");
    const aes = await trainAutoencoders(ctx);
    const { scorers, accuracy } = await trainClassifiers(ctx);
    const recon = await reconstructionStats(ctx, aes, scorers);
    const agreementTarget = agreementTargets(ctx, aes, scorers);
    const lat = await encodeLatents(ctx, aes);
    const reduction = reductionWanted(cfg, runMethods) &&
        store.loadCheckpoint(reductionCheckpoint(cfg))?.metadata.done === "1"
      ? await runReduction(ctx, lat)
      : null;
    lap("restore");
    const lift = reduction ? await liftCeilingOf(ctx, reduction, aes, lat, scorers) : null;
    lap("lift ceiling");
    const plan = evalPlan(cfg.eval, dataset.modalities.length, ctx.test.count, cfg.seed);
    const methods = runMethods.filter((m) =>
      names.includes(m.name) && (!m.needsReduction || reduction)
    );
    const { results, firstSeed } = await trainAndEvaluate(
      { ctx, aes, lat, reduction },
      { methods, ref: { plan, scorers, recon, agreementTarget }, lap, trainOnly: false },
    );
    for (const t of firstSeed) t.dispose();
    const variants: Record<string, { overrides: Record<string, string>; nfe: number }> = {};
    for (const { label, more, cfg: vcfg } of variantCfgs) {
      // A variant of reduction.* keys only changes the methods that use the reduction: the others
      // would be evaluated again for bitwise the same numbers.
      const onlyReduction = Object.keys(more).every((k) => k.startsWith("reduction."));
      const affected = onlyReduction ? methods.filter((m) => m.needsReduction) : methods;
      if (affected.length === 0) {
        log(
          "eval",
          `variant ${label} sets only reduction.* keys and no listed method uses the reduction: skipped`,
        );
        continue;
      }
      // The reduction's lift was built with the run's complement: a variant that changes
      // reduction.complement gets SBM-SRR's maps rebuilt with its own (same bases and ranks).
      const vreduction = reduction && vcfg.reduction.complement !== cfg.reduction.complement
        ? {
          ...reduction,
          reduced: reducedMaps(
            backend,
            reduction,
            reduction.selection,
            vcfg.reduction.complement,
          ),
        }
        : reduction;
      const v = await trainAndEvaluate(
        { ctx: { ...ctx, cfg: vcfg }, aes, lat, reduction: vreduction },
        {
          methods: affected,
          ref: { plan, scorers, recon, agreementTarget },
          lap: (stage) => lap(`${stage}@${label}`),
          trainOnly: false,
        },
      );
      for (const t of v.firstSeed) t.dispose();
      for (const [name, runs] of Object.entries(v.results)) results[`${name}@${label}`] = runs;
      variants[label] = { overrides: more, nfe: priorNfe(vcfg.prior) };
    }
    if (opts.against) {
      const other = await evaluateAgainst(runsRoot, opts.against, overrides, store, {
        ctx,
        aes,
        lat,
        names,
        plan,
        scorers,
        recon,
        lap,
      });
      for (const [name, runs] of Object.entries(other)) results[`${name}@${opts.against}`] = runs;
      lap("against");
    }
    for (const ae of aes) ae.dispose();
    const { methods: methodReports, ...evaluation } = evaluationReport(
      cfg.eval,
      cfg.seed,
      plan,
      recon,
      results,
    );
    lap("statistics");
    const n = reserveReport(store);
    const json = `report.eval${n}.json`, markdown = `report.eval${n}.md`;
    const report: Report = {
      ...original,
      version: VERSION,
      backend: backend.name,
      methods: methodReports,
      classifier_accuracy: accuracy,
      reconstruction_ceiling: recon.ceiling,
      reconstruction_mse: recon.mse,
      reduction: original.reduction && reduction
        ? {
          ...original.reduction,
          sweep: reduction.sweep,
          complement: cfg.reduction.complement,
          lift_ceiling: lift ?? undefined,
        }
        : original.reduction,
      ...evaluation,
      time_split: split,
      wall_seconds: (performance.now() - t0) / 1000,
      peak_rss_mb: Deno.memoryUsage().rss / 1048576,
      reevaluation: {
        overrides,
        methods: methods.map((m) => m.name),
        file: json,
        ...(opts.against ? { against: opts.against } : {}),
        ...(Object.keys(variants).length ? { variants } : {}),
      },
      prior: priorReport(cfg.prior),
    };
    store.writeFile(json, JSON.stringify(report, null, 2) + "\n");
    store.writeFile(markdown, reportMarkdown(report));
    store.event("info", "eval", `wrote ${json} (overrides ${JSON.stringify(overrides)})`);
    return { report, json, markdown };
  } finally {
    store.close();
    owned?.destroy();
  }
}

/** What {@link evaluateAgainst} reuses from the run being re-evaluated. */
interface AgainstInputs {
  ctx: PipelineContext;
  aes: Awaited<ReturnType<typeof trainAutoencoders>>;
  lat: Awaited<ReturnType<typeof encodeLatents>>;
  names: string[];
  plan: ReturnType<typeof evalPlan>;
  scorers: Awaited<ReturnType<typeof trainClassifiers>>["scorers"];
  recon: Awaited<ReturnType<typeof reconstructionStats>>;
  lap: (stage: string) => void;
}

/**
 * The methods of run `id`, evaluated on this run's plan with its own priors (restored): refused
 * unless both runs have bitwise the same latents (same autoencoders and data) and the same seeds.
 */
async function evaluateAgainst(
  runsRoot: string,
  id: string,
  overrides: Record<string, string>,
  self: RunStore,
  a: AgainstInputs,
): Promise<Record<string, MethodResult[]>> {
  const store = RunStore.open(runsRoot, id);
  try {
    const cfg = reevaluationConfig(store.config<PipelineConfig>(), overrides);
    const mine = self.loadCheckpoint("latents")?.tensors;
    const theirs = store.loadCheckpoint("latents")?.tensors;
    const same = (x?: Float32Array, y?: Float32Array) =>
      !!x && !!y && x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
    if (
      !same(mine?.train?.data, theirs?.train?.data) || !same(mine?.test?.data, theirs?.test?.data)
    ) {
      throw new RangeError(
        `Cannot evaluate against run ${id}: its latents differ from run ${self.id}'s (other autoencoders or data); pair only runs that share stage 1`,
      );
    }
    if (cfg.seed !== a.ctx.cfg.seed || cfg.seeds !== a.ctx.cfg.seeds) {
      throw new RangeError(
        `Cannot evaluate against run ${id}: seed/seeds are ${cfg.seed}/${cfg.seeds}, run ${self.id} has ${a.ctx.cfg.seed}/${a.ctx.cfg.seeds}`,
      );
    }
    const ctx: PipelineContext = { ...a.ctx, cfg, run: readOnlySink(store) };
    const methods = methodsNamed(cfg.methods).filter((m) => a.names.includes(m.name));
    const reduction = methods.some((m) => m.needsReduction) ? await runReduction(ctx, a.lat) : null;
    const { results, firstSeed } = await trainAndEvaluate(
      { ctx, aes: a.aes, lat: a.lat, reduction },
      {
        methods: methods.filter((m) => !m.needsReduction || reduction),
        ref: {
          plan: a.plan,
          scorers: a.scorers,
          recon: a.recon,
          agreementTarget: agreementTargets(ctx, a.aes, a.scorers),
        },
        lap: a.lap,
        trainOnly: false,
      },
    );
    for (const t of firstSeed) t.dispose();
    return results;
  } finally {
    store.close();
  }
}
