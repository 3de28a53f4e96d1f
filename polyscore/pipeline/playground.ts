/**
 * A finished run, loaded for interactive sampling (the dashboard's playground and
 * `polyscore sample`): autoencoders, latents, reduction maps and priors restored from the run's
 * checkpoints — nothing is trained — and one call that generates the unobserved modalities from
 * any observed subset, with test examples or the caller's own data as observations.
 */
import type { Backend } from "../../engine/backend.ts";
import type { ModalityKind } from "../data/dataset.ts";
import type { Autoencoder } from "../models/conv_vae.ts";
import { RunStore } from "../runs/store.ts";
import { noGrad, Tensor, tidy } from "../../engine/tensor.ts";
import type { PipelineConfig } from "./config.ts";
import { densify, type PipelineContext } from "./context.ts";
import { type BackendSelector, loadDataset, requireSelector } from "./run.ts";
import { trainAutoencoders } from "./stage_ae.ts";
import { decodeRows, type LatentGenerator } from "./stage_eval.ts";
import { encodeLatents, type Latents } from "./stage_latents.ts";
import { priorGenerator, type PriorSpace, trainPrior } from "./stage_prior.ts";
import { runReduction } from "./stage_reduction.ts";

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
    private lat: Latents,
    private priors: Map<string, { space: PriorSpace; gen: (steps: number) => LatentGenerator }>,
    private ownsBackend: boolean,
  ) {
    this.modalities = ctx.dataset.modalities.map((s) => ({
      name: s.name,
      kind: s.kind,
      shape: [...s.shape],
    }));
    this.methods = [...priors.keys()];
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
    const scale = spec.kind === "attributes" ? 1 : 1 / 255;
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

  async #encode(m: number, data: Float32Array): Promise<Float32Array> {
    const spec = this.ctx.dataset.modalities[m];
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) {
      throw new TypeError(
        `Cannot encode modality ${spec.name}: expected ${n} values (${
          spec.shape.join("×")
        }), got ${data.length}`,
      );
    }
    const mu = tidy(() =>
      noGrad(() => this.aes[m].encode(Tensor.from(this.ctx.backend, data, [1, ...spec.shape])).mu)
    );
    const v = await mu.data();
    mu.dispose();
    return Float32Array.from(v);
  }

  async sample(req: SampleRequest) {
    const prior = this.priors.get(req.method);
    if (!prior) {
      throw new RangeError(
        `Cannot sample: unknown method "${req.method}": methods are ${this.methods.join(", ")}`,
      );
    }
    const mods = this.modalities.length, lat = this.lat;
    const observed = new Map<number, Float32Array>();
    for (const o of req.observed) {
      this.#checkModality(o.modality);
      const data = o.data ?? this.testExample(o.modality, o.index ?? 0);
      observed.set(o.modality, await this.#encode(o.modality, data));
    }
    const rows = req.count;
    const mask = new Uint8Array(rows * mods);
    const zObs = new Float32Array(rows * lat.total);
    for (let r = 0; r < rows; r++) {
      for (const [m, z] of observed) {
        mask[r * mods + m] = 1;
        zObs.set(z, r * lat.total + lat.offsets[m]);
      }
    }
    const z = await prior.gen(req.steps).generate(mask, zObs, rows, req.seed);
    const outputs: { modality: number; samples: Float32Array[] }[] = [];
    for (let m = 0; m < mods; m++) {
      if (observed.has(m)) continue;
      const zm = new Float32Array(rows * lat.dims[m]);
      for (let r = 0; r < rows; r++) {
        zm.set(
          z.subarray(r * lat.total + lat.offsets[m], r * lat.total + lat.offsets[m] + lat.dims[m]),
          r * lat.dims[m],
        );
      }
      const x = decodeRows(this.ctx, this.aes[m], zm, rows);
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
    return { outputs };
  }

  dispose(): void {
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
  const spaces: PriorSpace[] = [{ name: "sbm-ae", dims: lat.dims, maps: null }];
  if (cfg.reduction.enabled && store.loadCheckpoint("score_ratio")?.metadata.done === "1") {
    const red = await runReduction(ctx, lat);
    spaces.push({ name: "sbm-srr", dims: red.selection.ranks, maps: red.reduced });
    spaces.push({ name: "whitened", dims: lat.dims, maps: red.control });
  }
  const priors = new Map<string, { space: PriorSpace; gen: (steps: number) => LatentGenerator }>();
  for (const space of spaces) {
    const prior = await trainPrior(ctx, space, new Float32Array(0), 1, cfg.seed);
    priors.set(space.name, {
      space,
      gen: (steps) =>
        priorGenerator(
          { ...ctx, cfg: { ...cfg, prior: { ...cfg.prior, sampleSteps: steps } } },
          space.name,
          prior,
          lat.total,
        ),
    });
  }
  return new Session(ctx, aes, lat, priors, !opts.backend);
}
