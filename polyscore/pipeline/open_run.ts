/**
 * Opens the run a pipeline invocation writes to: a new run folder for a config, or an existing
 * run on `--resume` with its saved config and the overrides that are safe mid-run (recorded as
 * events). Either way the trainer lock is taken first, so two trainers never share a run.
 */
import { RunStore } from "../runs/store.ts";
import type { PipelineConfig } from "./config/mod.ts";
import { resumeConfig } from "./resume.ts";
import type { RunOptions } from "./run.ts";

/** The run's config and its store (locked for this trainer). */
export function openRun(
  cfgIn: PipelineConfig | null,
  opts: RunOptions,
): { cfg: PipelineConfig; store: RunStore } {
  let cfg: PipelineConfig;
  let store: RunStore;
  if (opts.resume) {
    store = RunStore.open(opts.runsRoot, opts.resume);
    try {
      store.lockTrainer();
      const resumed = resumeConfig(
        store.config<PipelineConfig>(),
        opts.resumeOverrides ?? {},
        store.checkpointMetadata(),
      );
      cfg = resumed.cfg;
      if (resumed.changes.length > 0) {
        store.updateConfig(cfg);
        for (const c of resumed.changes) {
          store.event(
            "info",
            "run",
            `resume override ${c.key}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`,
          );
        }
      }
    } catch (e) {
      store.close();
      throw e;
    }
    store.setStatus("running");
  } else {
    if (cfgIn === null) {
      throw new TypeError("Cannot run the pipeline: a config is needed unless resuming a run");
    }
    cfg = cfgIn;
    store = RunStore.create(opts.runsRoot, {
      id: opts.id,
      config: cfg,
      preset: cfg.preset,
      backend: cfg.backend,
    });
    store.lockTrainer();
  }
  return { cfg, store };
}
