/**
 * The whole pipeline, resumable: autoencoders → classifiers → latents → reduction → priors
 * (SBM-AE, the whitened full-rank control, SBM-SRR; equal budgets) → evaluation against the
 * independent floor → report. Every stage restores its finished checkpoint, so `--resume` after a
 * kill continues where the run stopped with nothing lost and nothing repeated.
 */
import type { Backend } from "../../engine/backend.ts";
import { VERSION } from "../../engine/version.ts";
import { agreementTargets, digitsOnEveryModality } from "../eval/score_scale.ts";
import { reconstructionStats } from "../eval/ceiling.ts";
import { evalPlan } from "../eval/protocol.ts";
import type { MethodInputs } from "../methods/method.ts";
import { methodsNamed } from "../methods/mod.ts";
import { reportMarkdown } from "../report/markdown.ts";
import type { Report } from "../report/report.ts";
import type { PipelineConfig } from "./config/mod.ts";
import { densify, type PipelineContext } from "./context.ts";
import { writeReconstructionGrid } from "./grids.ts";
import type { ModalityWorkers } from "./modality_workers.ts";
import { trainAutoencoders } from "./stage_ae.ts";
import { trainClassifiers } from "./stage_classifier.ts";
import { loadDataset } from "./stage_data.ts";
import { conditionalGrid } from "./stage_eval.ts";
import { encodeLatents } from "./stage_latents.ts";
import { probeLatents } from "./stage_probe.ts";
import { sweepWithPriors, trainAndEvaluate } from "./stage_methods.ts";
import { liftCeilingOf, trainLiftScorer } from "./stage_lift.ts";
import { reductionWanted, runReduction } from "./stage_reduction.ts";
import { evaluationReport, priorReport, reductionReport } from "./stage_report.ts";
import { openRun } from "./open_run.ts";
import { DivergedStageError } from "./stage_checks.ts";
import { NonFiniteLossError } from "../../engine/train/loop.ts";

export { loadDataset };

/** The stages, in order; `--stages` names the last one to run. */
export const STAGES = ["ae", "classifier", "latents", "reduction", "prior", "eval"] as const;
export type Stage = typeof STAGES[number];

/** Options of {@link runPipeline}. */
export interface RunOptions {
  runsRoot: string;
  /** Resume this run id (its saved config is used, with `resumeOverrides` applied). */
  resume?: string;
  /**
   * On resume: `key=value` changes of keys that are safe mid-run (polyscore/pipeline/resume.ts);
   * each is recorded as an event and in `config.json`; any other key is refused.
   */
  resumeOverrides?: Record<string, string>;
  id?: string;
  /** Stop after this stage. */
  until?: Stage;
  quiet?: boolean;
  /** Use this backend (the caller keeps it and destroys it). */
  backend?: Backend;
  /**
   * Or create one for the run's configured name (`cfg.backend`, read from the saved config on
   * resume): the composition root passes `selectBackend` of cli/backends.ts. The pipeline destroys
   * a backend it created this way.
   */
  selectBackend?: BackendSelector;
  /**
   * Train the autoencoders and classifiers a few modalities at a time in workers
   * (modality_workers.ts; the composition root names the entry module). Only on the Wasm backend,
   * whose kernels give the same bits on any thread count, so the run's numbers do not change.
   */
  modalityWorkers?: ModalityWorkers;
}

/** Creates the backend a config names, with a one-line reason for the choice (cli/backends.ts). */
export type BackendSelector = (name: string) => Promise<{ backend: Backend; reason: string }>;

/** The selector, or a programming error naming both ways to give a backend. */
export function requireSelector(s: BackendSelector | undefined): BackendSelector {
  if (!s) {
    throw new TypeError(
      "Cannot create a backend: pass `backend` or `selectBackend` (cli/backends.ts) in the options",
    );
  }
  return s;
}

function peakRssMb(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = status.match(/VmHWM:\s+(\d+) kB/);
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return Deno.memoryUsage().rss / 1048576;
}

/**
 * Runs (or resumes) the pipeline; returns the run id, its folder and the report. On resume `cfgIn`
 * is ignored (pass null): the run's saved config is used, with `opts.resumeOverrides`.
 */
export async function runPipeline(
  cfgIn: PipelineConfig | null,
  opts: RunOptions,
): Promise<{ id: string; dir: string; report: Report | null }> {
  const t0 = performance.now();
  const split: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    split[name] = (split[name] ?? 0) + (now - mark) / 1000;
    mark = now;
  };
  const { cfg, store } = openRun(cfgIn, opts);
  const say = (stage: string, msg: string) => {
    store.event("info", stage, msg);
    if (!opts.quiet) console.error(`[${stage}] ${msg}`);
  };
  // A backend this function selected is destroyed at the end (its worker threads would otherwise
  // keep the process alive); one given by the caller stays the caller's.
  let owned: Backend | null = null;
  try {
    const methods = methodsNamed(cfg.methods);
    const selected = opts.backend
      ? { backend: opts.backend, reason: `${opts.backend.name} (given by the caller)` }
      : await requireSelector(opts.selectBackend)(cfg.backend);
    const backend = selected.backend;
    if (!opts.backend) owned = backend;
    store.setMeta("backend", backend.name);
    store.setMeta("version", VERSION);
    say(
      "run",
      `${
        opts.resume ? "resuming" : "starting"
      } run ${store.id} (preset ${cfg.preset}) on backend ${selected.reason}`,
    );
    const dataset = await loadDataset(cfg);
    const dense = densify(dataset);
    say(
      "data",
      `${dataset.name}: ${dataset.modalities.length} modalities, ${dense.train.count} train / ${dense.test.count} test tuples`,
    );
    lap("data");
    // γ chosen from the data compares the modalities' predicted digits (eval/score_scale.ts): a
    // dataset without a digit classifier on every modality samples at the fixed γ instead, said
    // here and in the report's prior line, rather than failing after training.
    if (cfg.prior.scoreScaleAuto && !digitsOnEveryModality(dataset)) {
      cfg.prior.scoreScaleAuto = false;
      store.event(
        "warn",
        "run",
        `prior.scoreScaleAuto needs a digit classifier on every modality, and ${dataset.name} ` +
          `has none on some: γ is not chosen from the data; sampling at the fixed ` +
          `prior.scoreScale = ${cfg.prior.scoreScale}`,
      );
      if (!opts.quiet) {
        console.error(
          `[run] prior.scoreScaleAuto is off for ${dataset.name} (no digit classifier on every ` +
            `modality): sampling at prior.scoreScale = ${cfg.prior.scoreScale}`,
        );
      }
    }
    const ctx: PipelineContext = {
      cfg,
      backend,
      run: store,
      dataset,
      ...dense,
      quiet: opts.quiet ?? false,
      log: say,
    };
    const stop = (s: Stage) => opts.until === s;

    const workers = backend.name === "wasm" ? opts.modalityWorkers : undefined;
    const aes = await trainAutoencoders(ctx, workers);
    lap("autoencoders");
    if (stop("ae")) return finish(null);
    const { scorers, accuracy } = await trainClassifiers(ctx, workers);
    const recon = await reconstructionStats(ctx, aes, scorers);
    say(
      "classifier",
      `reconstruction ceiling ${recon.ceiling.map((c) => c?.toFixed(3) ?? "–").join(" ")}`,
    );
    lap("classifiers");
    if (stop("classifier")) return finish(null);
    const lat = await encodeLatents(ctx, aes);
    lap("latents");
    const probe = probeLatents(ctx, lat);
    lap("linear probe");
    if (stop("latents")) return finish(null);
    const red = reductionWanted(cfg, methods)
      ? await runReduction(ctx, lat, trainLiftScorer(ctx, aes, lat, scorers))
      : null;
    lap("reduction");
    const lift = red ? await liftCeilingOf(ctx, red, aes, lat, scorers) : null;
    lap("lift ceiling");
    if (stop("reduction")) return finish(null);

    const inputs: MethodInputs = { ctx, aes, lat, reduction: red };
    const evalPlanned = evalPlan(cfg.eval, dataset.modalities.length, ctx.test.count, cfg.seed);
    const plan = {
      methods: methods.filter((m) => !m.needsReduction || red),
      ref: {
        plan: evalPlanned,
        scorers,
        recon,
        agreementTarget: agreementTargets(ctx, aes, scorers),
      },
      lap,
      trainOnly: stop("prior"),
    };
    const { results, firstSeed } = await trainAndEvaluate(inputs, plan);
    if (stop("prior")) return finish(null);
    const sweep = red && cfg.reduction.sweepPriors ? await sweepWithPriors(inputs, plan) : null;

    for (const trained of firstSeed) {
      const png = await conditionalGrid(ctx, trained, 0, 10, cfg.seed);
      if (png) store.writeFile(`samples/${trained.name}_given_m0.png`, png);
      trained.dispose();
    }
    await writeReconstructionGrid(ctx, aes, store);
    lap("grids");
    const { methods: methodReports, ...evaluation } = evaluationReport(
      cfg.eval,
      cfg.seed,
      evalPlanned,
      recon,
      results,
    );
    lap("statistics");
    const report: Report = {
      run_id: store.id,
      version: VERSION,
      preset: cfg.preset,
      backend: backend.name,
      seeds: cfg.seeds,
      methods: methodReports,
      classifier_accuracy: accuracy,
      reconstruction_ceiling: recon.ceiling,
      reconstruction_mse: recon.mse,
      linear_probe: probe,
      modalities: dataset.modalities.map((s) => s.name),
      latent_dims: lat.dims,
      prior: priorReport(cfg.prior),
      reduction: red ? reductionReport(ctx, red, lat, sweep, lift) : null,
      time_split: split,
      wall_seconds: 0,
      peak_rss_mb: 0,
      ...evaluation,
    };
    return finish(report);
  } catch (e) {
    if (e instanceof NonFiniteLossError || e instanceof DivergedStageError) {
      e.message += repairHint(e.stage, cfg, store.id);
    }
    store.event("error", "run", (e as Error).message);
    store.setStatus("failed", (e as Error).message);
    store.close();
    owned?.destroy();
    throw e;
  }

  function finish(report: Report | null) {
    if (report) {
      report.wall_seconds = (performance.now() - t0) / 1000;
      report.peak_rss_mb = peakRssMb();
      store.writeFile("report.json", JSON.stringify(report, null, 2) + "\n");
      store.writeFile("report.md", reportMarkdown(report));
      store.setStatus("done");
    } else {
      store.setStatus("running", `stopped after stage ${opts.until}`);
    }
    const out = { id: store.id, dir: store.dir, report };
    store.close();
    owned?.destroy();
    return out;
  }
}

/** How to repair a run whose stage diverged: the resume command with the stage's keys. */
function repairHint(stage: string, cfg: PipelineConfig, id: string): string {
  const key = stage.split("/")[0];
  if (key !== "ae" && key !== "classifier" && key !== "prior" && key !== "reduction") return "";
  const c = cfg[key];
  return `; to repair it: polyscore train --resume ${id} --set ${key}.lr=<lower than ${c.lr}> or --set ${key}.maxGradNorm=<a norm such as 1; now ${c.maxGradNorm}>`;
}
