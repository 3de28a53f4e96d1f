/**
 * Stage 0: the dataset a config names — generated PolyMNIST (procedural or user backgrounds) or a
 * local dataset folder — cut to the train/test limits.
 */
import { openDataset } from "../data/mod.ts";
import { type MultimodalDataset, subsetSplit } from "../data/dataset.ts";
import { polyMnistDataset } from "../data/polymnist.ts";
import { flatBackgrounds, loadBackgrounds, proceduralBackgrounds } from "../data/backgrounds.ts";
import type { PipelineConfig } from "./config/mod.ts";

/** Loads the dataset the config names, with its train/test limits. */
export async function loadDataset(cfg: PipelineConfig): Promise<MultimodalDataset> {
  let ds: MultimodalDataset;
  const limit = Math.max(cfg.trainLimit, cfg.testLimit);
  if (cfg.data === "polymnist" || cfg.data === "polymnist10") {
    const backgrounds = cfg.backgrounds === "flat"
      ? flatBackgrounds(cfg.modalities)
      : cfg.backgrounds
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
