/**
 * The whole pipeline, resumable: autoencoders → classifiers → latents → reduction → priors
 * (SBM-AE, the whitened full-rank control, SBM-SRR; equal budgets) → evaluation against the
 * independent floor → report. Every stage restores its finished checkpoint, so `--resume` after a
 * kill continues where the run stopped with nothing lost and nothing repeated.
 */
import type { Backend } from "../../engine/backend.ts";
import { openDataset } from "../data/mod.ts";
import { type MultimodalDataset, subsetSplit } from "../data/dataset.ts";
import { polyMnistDataset } from "../data/polymnist.ts";
import { loadBackgrounds, proceduralBackgrounds } from "../data/backgrounds.ts";
import type { Autoencoder } from "../models/conv_vae.ts";
import * as ops from "../../engine/ops/mod.ts";
import { RunStore } from "../runs/store.ts";
import { noGrad, tidy } from "../../engine/tensor.ts";
import { encodePng } from "../data/png.ts";
import { VERSION } from "../../engine/version.ts";
import type { PipelineConfig } from "./config.ts";
import { batchTensor, chunks, densify, type PipelineContext } from "./context.ts";
import { aggregate, reportMarkdown } from "./report.ts";
import { trainAutoencoders } from "./stage_ae.ts";
import { scoreBatch, type Scorer, trainClassifiers } from "./stage_classifier.ts";
import {
  conditionalGrid,
  evaluateMethod,
  independentGenerator,
  type LatentGenerator,
  type MethodResult,
} from "./stage_eval.ts";
import { encodeLatents } from "./stage_latents.ts";
import { priorGenerator, type PriorSpace, toModelSpace, trainPrior } from "./stage_prior.ts";
import { runReduction } from "./stage_reduction.ts";
import { selectReduction } from "../reduction/diagnostic.ts";
import { ReductionMaps, reductionMatrices } from "../reduction/reduce.ts";
import { conditioningSubsets } from "../eval/subsets.ts";

/** The stages, in order; `--stages` names the last one to run. */
export const STAGES = ["ae", "classifier", "latents", "reduction", "prior", "eval"] as const;
export type Stage = typeof STAGES[number];

/** Options of {@link runPipeline}. */
export interface RunOptions {
  runsRoot: string;
  /** Resume this run id (its saved config is used). */
  resume?: string;
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

/** Loads the dataset the config names, with its train/test limits. */
export async function loadDataset(cfg: PipelineConfig): Promise<MultimodalDataset> {
  let ds: MultimodalDataset;
  const limit = Math.max(cfg.trainLimit, cfg.testLimit);
  if (cfg.data === "polymnist" || cfg.data === "polymnist10") {
    const backgrounds = cfg.backgrounds
      ? await loadBackgrounds(cfg.backgrounds, cfg.modalities)
      : proceduralBackgrounds(cfg.modalities, cfg.backgroundSize ?? 256);
    ds = await polyMnistDataset({ modalities: cfg.modalities, seed: cfg.seed, limit, backgrounds });
  } else {
    ds = await openDataset(cfg.data, { seed: cfg.seed, limit });
  }
  const cut = (s: MultimodalDataset["train"], n: number) =>
    s.count <= n ? s : subsetSplit(s, Uint32Array.from({ length: n }, (_, i) => i));
  return { ...ds, train: cut(ds.train, cfg.trainLimit), test: cut(ds.test, cfg.testLimit) };
}

function peakRssMb(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = status.match(/VmHWM:\s+(\d+) kB/);
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return Deno.memoryUsage().rss / 1048576;
}

/** Classifier accuracy on reconstructions (the ceiling for coherence) and the reconstruction MSE. */
async function reconstructionStats(ctx: PipelineContext, aes: Autoencoder[], scorers: Scorer[]) {
  const ceiling: (number | null)[] = [], mse: number[] = [];
  for (const [m, spec] of ctx.dataset.modalities.entries()) {
    let sum = 0, sq = 0, count = 0;
    for (const idx of chunks(ctx.test.count, 256)) {
      const recon = tidy(() =>
        noGrad(() => {
          const x = batchTensor(ctx.backend, spec, ctx.test.data[m], idx);
          const r = ops.sigmoid(aes[m].decode(aes[m].encode(x).mu));
          return { r, err: ops.meanAll(ops.square(ops.sub(r, x))) };
        })
      );
      sq += (await recon.err.item()) * idx.length;
      count += idx.length;
      if (scorers[m].kind !== "direct" || spec.kind !== "image") {
        const s = await scoreBatch(ctx, scorers[m], spec, () => recon.r, idx, m);
        sum += s.reduce((a, b) => a + b, 0);
      }
      recon.r.dispose();
      recon.err.dispose();
    }
    mse.push(sq / count);
    ceiling.push(
      scorers[m].kind === "direct" && spec.kind === "image" ? null : sum / ctx.test.count,
    );
  }
  return { ceiling, mse };
}

/** Runs (or resumes) the pipeline; returns the run id, its folder and the report. */
export async function runPipeline(
  cfgIn: PipelineConfig,
  opts: RunOptions,
): Promise<{ id: string; dir: string; report: Record<string, unknown> | null }> {
  const t0 = performance.now();
  const split: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    split[name] = (split[name] ?? 0) + (now - mark) / 1000;
    mark = now;
  };
  let cfg = cfgIn;
  let store: RunStore;
  if (opts.resume) {
    store = RunStore.open(opts.runsRoot, opts.resume);
    cfg = store.config<PipelineConfig>();
    store.setStatus("running");
  } else {
    store = RunStore.create(opts.runsRoot, {
      id: opts.id,
      config: cfg,
      preset: cfg.preset,
      backend: cfg.backend,
    });
  }
  const say = (stage: string, msg: string) => {
    store.event("info", stage, msg);
    if (!opts.quiet) console.error(`[${stage}] ${msg}`);
  };
  // A backend this function selected is destroyed at the end (its worker threads would otherwise
  // keep the process alive); one given by the caller stays the caller's.
  let owned: Backend | null = null;
  try {
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

    const aes = await trainAutoencoders(ctx);
    lap("autoencoders");
    if (stop("ae")) return finish(null);
    const { scorers, accuracy } = await trainClassifiers(ctx);
    const recon = await reconstructionStats(ctx, aes, scorers);
    say(
      "classifier",
      `reconstruction ceiling ${recon.ceiling.map((c) => c?.toFixed(3) ?? "–").join(" ")}`,
    );
    lap("classifiers");
    if (stop("classifier")) return finish(null);
    const lat = await encodeLatents(ctx, aes);
    lap("latents");
    if (stop("latents")) return finish(null);
    const red = cfg.reduction.enabled ? await runReduction(ctx, lat) : null;
    lap("reduction");
    if (stop("reduction")) return finish(null);

    const mods = dataset.modalities.length;
    const subsets = conditioningSubsets(mods, cfg.eval.subsetsPerSize, cfg.seed);
    const spaces: PriorSpace[] = [{ name: "sbm-ae", dims: lat.dims, maps: null }];
    if (red) {
      spaces.push({ name: "sbm-srr", dims: red.selection.ranks, maps: red.reduced });
      spaces.push({ name: "whitened", dims: lat.dims, maps: red.control });
    }
    const results: Record<string, MethodResult[]> = {};
    const gridGens: Record<string, LatentGenerator> = {};
    for (let k = 0; k < cfg.seeds; k++) {
      const seed = cfg.seed + k;
      for (const space of spaces) {
        const data = await toModelSpace(backend, space, lat.train, dense.train.count, lat.total);
        const prior = await trainPrior(ctx, space, data, dense.train.count, seed);
        lap(`prior/${space.name}`);
        if (stop("prior")) continue;
        const gen = priorGenerator(ctx, space.name, prior, lat.total);
        (results[space.name] ??= []).push(
          await evaluateMethod(ctx, gen, lat, aes, scorers, subsets, seed),
        );
        say(
          `eval/${space.name}`,
          `seed ${seed}: coherence by given ${
            JSON.stringify(results[space.name].at(-1)!.coherence_by_given)
          }`,
        );
        if (k === 0) gridGens[space.name] = gen;
        else prior.model.dispose();
        lap(`eval/${space.name}`);
      }
      if (stop("prior")) continue;
      const ind = independentGenerator(lat, mods);
      (results.independent ??= []).push(
        await evaluateMethod(ctx, ind, lat, aes, scorers, subsets, seed),
      );
      lap("eval/independent");
    }
    if (stop("prior")) return finish(null);

    // ε sweep with priors: coherence and total rank against ε (first seed only).
    const sweepResults: Record<string, unknown>[] = [];
    if (red && cfg.reduction.sweepPriors) {
      for (const point of red.sweep) {
        const sel = selectReduction(red.h, lat.dims, {
          epsilon: point.fraction,
          epsilonMode: "fraction",
        });
        const maps = new ReductionMaps(backend, reductionMatrices(red.whitening, sel));
        const space: PriorSpace = { name: `sbm-srr-eps${point.fraction}`, dims: sel.ranks, maps };
        const data = await toModelSpace(backend, space, lat.train, dense.train.count, lat.total);
        const prior = await trainPrior(ctx, space, data, dense.train.count, cfg.seed);
        const res = await evaluateMethod(
          ctx,
          priorGenerator(ctx, space.name, prior, lat.total),
          lat,
          aes,
          scorers,
          subsets,
          cfg.seed,
        );
        sweepResults.push({
          ...point,
          coherence_by_given: res.coherence_by_given,
          unconditional_coherence: res.unconditional_coherence,
        });
        say(
          "sweep",
          `ε fraction ${point.fraction}: total rank ${point.totalRank}, coherence ${
            JSON.stringify(res.coherence_by_given)
          }`,
        );
        prior.model.dispose();
        maps.dispose();
        lap("sweep");
      }
    }

    for (const [name, gen] of Object.entries(gridGens)) {
      const png = await conditionalGrid(ctx, gen, lat, aes, 0, 10, cfg.seed);
      if (png) store.writeFile(`samples/${name}_given_m0.png`, png);
    }
    await writeReconstructionGrid(ctx, aes, store);
    lap("grids");
    const report: Record<string, unknown> = {
      run_id: store.id,
      version: VERSION,
      preset: cfg.preset,
      backend: backend.name,
      seeds: cfg.seeds,
      methods: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, aggregate(v)])),
      classifier_accuracy: accuracy,
      reconstruction_ceiling: recon.ceiling,
      reconstruction_mse: recon.mse,
      modalities: dataset.modalities.map((s) => s.name),
      latent_dims: lat.dims,
      reduction: red
        ? {
          epsilon: red.selection.epsilon,
          epsilon_fraction: cfg.reduction.ranks.length || cfg.reduction.epsilonAbsolute > 0
            ? null
            : cfg.reduction.epsilonFraction,
          ranks: red.selection.ranks,
          latent_dims: lat.dims,
          total_rank: red.selection.ranks.reduce((a, b) => a + b, 0),
          total_dim: lat.total,
          bound: red.selection.bound,
          trace: red.selection.trace,
          spectra: red.selection.spectra.map((s) => Array.from(s.values)),
          sweep: sweepResults.length ? sweepResults : red.sweep,
        }
        : null,
      time_split: split,
      wall_seconds: 0,
      peak_rss_mb: 0,
    };
    return finish(report);
  } catch (e) {
    store.event("error", "run", (e as Error).message);
    store.setStatus("failed", (e as Error).message);
    store.close();
    owned?.destroy();
    throw e;
  }

  function finish(report: Record<string, unknown> | null) {
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

/** Test images (top) above their reconstructions, per modality, as one PNG. */
async function writeReconstructionGrid(ctx: PipelineContext, aes: Autoencoder[], store: RunStore) {
  const specs = ctx.dataset.modalities;
  if (specs.some((s) => s.kind !== "image" && s.kind !== "mask")) return;
  const n = Math.min(10, ctx.test.count);
  const idx = Uint32Array.from({ length: n }, (_, i) => i);
  for (const [m, spec] of specs.entries()) {
    const r = tidy(() =>
      noGrad(() =>
        ops.sigmoid(
          aes[m].decode(aes[m].encode(batchTensor(ctx.backend, spec, ctx.test.data[m], idx)).mu),
        )
      )
    );
    const v = await r.data();
    r.dispose();
    const [c, h, w] = spec.shape;
    const pad = 2, W = n * (w + pad) + pad, H = 2 * (h + pad) + pad;
    const img = new Uint8Array(W * H * 3).fill(255);
    for (let i = 0; i < n; i++) {
      for (let row = 0; row < 2; row++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            for (let k = 0; k < 3; k++) {
              const src = ((i * c + (c === 1 ? 0 : k)) * h + y) * w + x;
              const val = row === 0
                ? ctx.test.data[m][src]
                : Math.round(Math.max(0, Math.min(1, v[src])) * 255);
              img[((pad + row * (h + pad) + y) * W + pad + i * (w + pad) + x) * 3 + k] = val;
            }
          }
        }
      }
    }
    store.writeFile(
      `samples/recon_${spec.name}.png`,
      encodePng({ width: W, height: H, channels: 3, data: img }),
    );
  }
}
