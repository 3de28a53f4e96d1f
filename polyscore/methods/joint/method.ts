/**
 * The joint-posterior VAE methods' common part: training their networks on all modalities of each
 * training tuple as a resumable stage (checkpointed like the score priors, so `polyscore eval` and
 * kill/resume restore them), and generation: the observed modalities' experts fused into the
 * method's subset posterior (a product of experts), z drawn from it (from N(0, I) when nothing is
 * observed), and the unobserved modalities decoded from z on demand. Each method brings its
 * objective and its fusion rule (whether the prior expert enters the product).
 */
import * as ops from "../../../engine/ops/mod.ts";
import { Init } from "../../../engine/nn/module.ts";
import { RandomStream } from "../../../engine/ops/random.ts";
import { hash32, Rng } from "../../../engine/random.ts";
import { noGrad, Tensor, tidy } from "../../../engine/tensor.ts";
import type { JointConfig } from "../../pipeline/config/mod.ts";
import type { PipelineContext } from "../../pipeline/context.ts";
import { observedBatch } from "../observed.ts";
import type { Generated, Method, TrainedMethod } from "../method.ts";
import { type Gaussian, productOfExperts, standardExpert } from "./experts.ts";
import { reparameterize } from "./likelihood.ts";
import { type JointModel, JointNetworks } from "./networks.ts";
import { trainOnTuples } from "./train_on_tuples.ts";

/** The loss of one batch and its named terms (each one element). */
export interface JointLoss {
  loss: Tensor;
  terms: Record<string, Tensor>;
}

/** What makes a joint method: its objective and how it fuses observed modalities. */
export interface JointObjective {
  name: string;
  summary: string;
  /** Names of the terms the objective returns (recorded as metrics beside "loss"). */
  terms: readonly string[];
  /**
   * The loss of a batch xs (one (B, …) tensor per modality, the same tuples) with N(0, I) noise
   * eps (B, D) for the reparameterisation, a host stream `rng` for any discrete choice, and the
   * run's `joint` settings (β, α).
   */
  objective(model: JointModel, xs: Tensor[], eps: Tensor, rng: Rng, cfg: JointConfig): JointLoss;
  /** Whether the N(0, I) prior expert enters the product of `observed` of `modalities` experts. */
  priorInProduct(observed: number, modalities: number): boolean;
}

/**
 * The product of the observed experts of each row, plus the prior expert where `priorInProduct`
 * says so or where a row observes nothing. `observed` is (B, M) row-major, 1 = observed;
 * `experts[m]` is null for a modality no row observes.
 */
export function subsetPosterior(
  experts: readonly (Gaussian | null)[],
  observed: ArrayLike<number>,
  rows: number,
  latent: number,
  priorInProduct: (observed: number, modalities: number) => boolean,
  backend: Tensor["backend"],
): Gaussian {
  const mods = experts.length;
  const used = experts.flatMap((e, m) => e ? [m] : []);
  const k = used.length + 1;
  const mask = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let n = 0;
    used.forEach((m, j) => {
      if (observed[r * mods + m]) {
        mask[r * k + j] = 1;
        n++;
      }
    });
    mask[r * k + k - 1] = n === 0 || priorInProduct(n, mods) ? 1 : 0;
  }
  const list = [...used.map((m) => experts[m]!), standardExpert(backend, rows, latent)];
  return productOfExperts(list, mask);
}

/** Rows per generation chunk (encoders and the product run on this many rows at once). */
const GEN_CHUNK = 256;

/** A trained joint model as a {@link TrainedMethod}. */
export function trainedJoint(
  ctx: PipelineContext,
  obj: JointObjective,
  nets: JointNetworks,
): TrainedMethod {
  const mods = ctx.dataset.modalities.length, latent = nets.latent;
  return {
    name: obj.name,
    async generate(obs, opts): Promise<Generated> {
      const z = new Float32Array(obs.rows * latent);
      // One stream per call, advanced chunk by chunk: the same seed gives the same samples.
      const stream = new RandomStream(hash32((opts.seed ^ 0x5bd1e995) >>> 0));
      for (let s = 0; s < obs.rows; s += GEN_CHUNK) {
        const rows = Array.from({ length: Math.min(GEN_CHUNK, obs.rows - s) }, (_, i) => s + i);
        const mask = obs.mask.subarray(s * mods, (s + rows.length) * mods);
        const zc = tidy(() =>
          noGrad(() => {
            const experts = Array.from({ length: mods }, (_, m) => {
              const any = rows.some((_, i) => mask[i * mods + m]);
              return any ? nets.encode(m, observedBatch(ctx, obs, m, rows)) : null;
            });
            const q = subsetPosterior(
              experts,
              mask,
              rows.length,
              latent,
              obj.priorInProduct,
              ctx.backend,
            );
            return reparameterize(q, stream.normal(ctx.backend, [rows.length, latent]));
          })
        );
        z.set(await zc.data(), s * latent);
        zc.dispose();
        opts.onProgress?.(s + rows.length);
      }
      return {
        decoded(m, which) {
          const zr = new Float32Array(which.length * latent);
          which.forEach((r, i) => zr.set(z.subarray(r * latent, (r + 1) * latent), i * latent));
          return tidy(() =>
            noGrad(() =>
              ops.sigmoid(nets.decode(m, Tensor.from(ctx.backend, zr, [which.length, latent])))
            )
          );
        },
        dispose() {},
      };
    },
    dispose: () => nets.dispose(),
  };
}

/** Trains (or restores) a joint method's networks for one seed. */
export async function trainJoint(
  ctx: PipelineContext,
  obj: JointObjective,
  seed: number,
): Promise<JointNetworks> {
  const j = ctx.cfg.joint;
  const nets = new JointNetworks(new Init(ctx.backend, seed * 1009 + 5), ctx.dataset.modalities, {
    latent: j.latent,
    hidden: j.hidden,
    likelihood: j.likelihood,
    scale: j.scale,
  });
  const tag = ctx.cfg.seeds > 1 ? `${obj.name}/s${seed}` : obj.name;
  await trainOnTuples(ctx, {
    stage: `joint/${tag}`,
    checkpoint: `joint_${tag.replace("/", "_")}`,
    module: nets,
    settings: j,
    seed,
    noiseSeed: (seed * 613 + 29) >>> 0,
    metrics: ["loss", ...obj.terms],
    loss: (xs, i, noise) => {
      const eps = noise.normal(ctx.backend, [xs[0].shape[0], j.latent]);
      // Discrete choices (MoPoE's mixture components) from (seed, step): a resumed run repeats them.
      const rng = new Rng(hash32((seed * 7919 + i * 31 + 7) >>> 0));
      const { loss, terms } = obj.objective(nets, xs, eps, rng, j);
      return { loss, ...terms };
    },
  });
  return nets;
}

/** A registry entry for a joint method. */
export function jointMethod(obj: JointObjective): Method {
  return {
    name: obj.name,
    summary: obj.summary,
    needsReduction: false,
    async train(inputs, seed) {
      const nets = await trainJoint(inputs.ctx, obj, seed);
      return trainedJoint(inputs.ctx, obj, nets);
    },
  };
}
