/**
 * A finished run, loaded for interactive sampling (the dashboard's playground and
 * `polyscore sample`): autoencoders, latents, reduction maps and priors restored from the run's
 * checkpoints — nothing is trained — and one call that generates the unobserved modalities from
 * any observed subset, with test examples or the caller's own data as observations.
 */
import type { Backend } from "../../engine/backend.ts";
import type { ModalityKind } from "../data/dataset.ts";
import type { Autoencoder } from "../models/conv_vae.ts";
import { modalityOf } from "../modality.ts";
import { type MethodInputs, type TrainedMethod, withScoreScale } from "../methods/method.ts";
import { methodsNamed } from "../methods/mod.ts";
import { readReport, RunStore } from "../runs/store.ts";
import type { PipelineConfig } from "./config/mod.ts";
import { densify, type PipelineContext } from "./context.ts";
import { type BackendSelector, requireSelector } from "./run.ts";
import { trainAutoencoders } from "./stage_ae.ts";
import { loadDataset } from "./stage_data.ts";
import { encodeLatents } from "./stage_latents.ts";
import { reductionCheckpoint, reductionWanted, runReduction } from "./stage_reduction.ts";

/** A modality as the playground presents it. */
export interface PlaygroundModality {
  name: string;
  kind: ModalityKind;
  shape: number[];
}

/** One sampling request. */
export interface SampleRequest {
  method: string;
  observed: { modality: number; index?: number; data?: Float32Array }[];
  steps: number;
  count: number;
  seed: number;
}

/** A loaded run. */
export interface PlaygroundSession {
  modalities: PlaygroundModality[];
  testCount: number;
  methods: string[];
  testExample(modality: number, index: number): Float32Array;
  sample(req: SampleRequest): Promise<{ outputs: { modality: number; samples: Float32Array[] }[] }>;
  dispose(): void;
}

class Session implements PlaygroundSession {
  readonly modalities: PlaygroundModality[];
  readonly methods: string[];
  constructor(
    private ctx: PipelineContext,
    private aes: Autoencoder[],
    private trained: Map<string, TrainedMethod>,
    private ownsBackend: boolean,
  ) {
    this.modalities = ctx.dataset.modalities.map((s) => ({
      name: s.name,
      kind: s.kind,
      shape: [...s.shape],
    }));
    this.methods = [...trained.keys()];
  }

  get testCount(): number {
    return this.ctx.test.count;
  }

  testExample(modality: number, index: number): Float32Array {
    this.#checkModality(modality);
    if (!Number.isInteger(index) || index < 0 || index >= this.testCount) {
      throw new RangeError(
        `Cannot read test example: index must be in [0, ${this.testCount}): current value is ${index}`,
      );
    }
    const spec = this.ctx.dataset.modalities[modality];
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const scale = modalityOf(spec).scale;
    return Float32Array.from(
      this.ctx.test.data[modality].subarray(index * n, (index + 1) * n),
      (v) => v * scale,
    );
  }

  #checkModality(m: number): void {
    if (!Number.isInteger(m) || m < 0 || m >= this.modalities.length) {
      throw new RangeError(
        `Cannot use modality ${m}: the run has modalities 0..${this.modalities.length - 1}`,
      );
    }
  }

  async sample(req: SampleRequest) {
    const method = this.trained.get(req.method);
    if (!method) {
      throw new RangeError(
        `Cannot sample: unknown method "${req.method}": methods are ${this.methods.join(", ")}`,
      );
    }
    const mods = this.modalities.length, rows = req.count;
    const data = new Map<number, Float32Array>();
    for (const o of req.observed) {
      this.#checkModality(o.modality);
      data.set(o.modality, o.data ?? this.testExample(o.modality, o.index ?? 0));
    }
    const mask = new Uint8Array(rows * mods);
    for (let r = 0; r < rows; r++) for (const m of data.keys()) mask[r * mods + m] = 1;
    const gen = await method.generate(
      { rows, mask, tuples: new Uint32Array(rows), data },
      { seed: req.seed, steps: req.steps },
    );
    const outputs: { modality: number; samples: Float32Array[] }[] = [];
    const all = Array.from({ length: rows }, (_, r) => r);
    for (let m = 0; m < mods; m++) {
      if (data.has(m)) continue;
      const x = gen.decoded(m, all);
      const v = await x.data();
      x.dispose();
      const n = v.length / rows;
      outputs.push({
        modality: m,
        samples: Array.from(
          { length: rows },
          (_, r) => Float32Array.from(v.subarray(r * n, (r + 1) * n)),
        ),
      });
    }
    gen.dispose();
    return { outputs };
  }

  dispose(): void {
    for (const t of this.trained.values()) t.dispose();
    for (const ae of this.aes) ae.dispose();
    if (this.ownsBackend) this.ctx.backend.destroy();
  }
}

/** Loads a finished run for sampling (trains nothing; a missing checkpoint is an error). */
export async function openPlayground(
  runDir: string,
  opts: { backend?: Backend; selectBackend?: BackendSelector } = {},
): Promise<PlaygroundSession> {
  const parts = runDir.replace(/\/+$/, "").split("/");
  const id = parts.pop()!;
  const root = parts.join("/") || ".";
  const store = RunStore.open(root, id, { readOnly: true });
  const cfg = store.config<PipelineConfig>();
  const backend = opts.backend ?? (await requireSelector(opts.selectBackend)(cfg.backend)).backend;
  const dataset = await loadDataset(cfg);
  const dense = densify(dataset);
  const ctx: PipelineContext = {
    cfg,
    backend,
    run: store,
    dataset,
    ...dense,
    quiet: true,
    restoreOnly: true,
    log: () => {},
  };
  const aes = await trainAutoencoders(ctx);
  const lat = await encodeLatents(ctx, aes);
  const methods = methodsNamed(cfg.methods);
  const reduction = reductionWanted(cfg, methods) &&
      store.loadCheckpoint(reductionCheckpoint(cfg))?.metadata.done === "1"
    ? await runReduction(ctx, lat)
    : null;
  const inputs: MethodInputs = { ctx, aes, lat, reduction };
  const trained = new Map<string, TrainedMethod>();
  // γ chosen from the data (prior.scoreScaleAuto) for the first seed, the one restored here; a run
  // without a report yet samples at the configured prior.scoreScale.
  const report = readReport(store.dir);
  for (const method of methods) {
    if (method.needsReduction && !reduction) continue;
    const t = await method.train(inputs, cfg.seed);
    const chosen = report?.methods[method.name]?.score_scale_choice_by_seed?.[0]?.chosen;
    trained.set(method.name, chosen ? withScoreScale(t, chosen) : t);
  }
  return new Session(ctx, aes, trained, !opts.backend);
}
