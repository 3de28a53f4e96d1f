/**
 * `polyscore data`: generate PolyMNIST to disk in the released layout, inspect a dataset, and
 * write PNG grids of samples or backgrounds. Dispatched from cli/main.ts; also runnable directly.
 */

import { parseArgs } from "node:util";
import {
  imageMosaic,
  labelCounts,
  loadBackgrounds,
  type MultimodalDataset,
  openDataset,
  PRESETS,
  proceduralBackgrounds,
  type Progress,
  sampleGrid,
  writePolyMnist,
} from "../polyscore/data/mod.ts";
import { encodePng } from "../polyscore/data/png.ts";
import { loadMnist } from "../polyscore/data/mnist.ts";
import { generatePolyMnist } from "../polyscore/data/polymnist.ts";

const HELP = `Usage: deno task data <command> [options]

Commands:
  polymnist --out DIR [--modalities 5] [--seed 1] [--limit N] [--backgrounds DIR] [--overwrite]
            [--workers N]
      Generate PolyMNIST from MNIST and write DIR/{train,test}/m0..m{M-1}/{i}.{label}.png.
      --limit N keeps the first N tuples of each split; --backgrounds uses the first M JPEG/PNG
      files of DIR (sorted) instead of the built-in procedural backgrounds; --workers N threads
      encode and write the files (default min(4, cores); 0 = this thread).
  inspect DIR | --preset NAME [--limit N] [--seed 1] [--backgrounds DIR] [--size 64] [--cache FILE]
      Print modalities, shapes, counts and label balance. DIR holds released PolyMNIST
      (train/m0 …) or CelebAMask-HQ (CelebA-HQ-img …); for CelebAMask-HQ, --size sets the image
      side and --cache FILE keeps the decoded tuples for the next time.
  grid DIR | --preset NAME --out FILE.png [--n 8] [--split test] [--limit N] [--seed 1]
      Write a PNG grid of the first n tuples: one row per modality.
  backgrounds --out FILE.png [--modalities 10] [--backgrounds DIR]
      Write the backgrounds side by side.

Presets: ${Object.entries(PRESETS).map(([k, v]) => `${k} (${v})`).join("; ")}
Environment: POLYSCORE_MNIST_DIR overrides where the MNIST IDX files are read from.`;

function intFlag(v: string | undefined, name: string, def: number, min = 0): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new RangeError(
      `Cannot parse --${name}: must be an integer >= ${min}: current value is ${v}`,
    );
  }
  return n;
}

function progress(label: string): Progress {
  const t0 = performance.now();
  return (done, total) => {
    const s = (performance.now() - t0) / 1000;
    console.error(
      `${label}: ${done}/${total} (${(done / Math.max(s, 1e-9)).toFixed(0)}/s, ${s.toFixed(1)} s)`,
    );
  };
}

function describe(ds: MultimodalDataset): string {
  const lines = [
    `dataset ${ds.name}: ${ds.modalities.length} modalities, ${ds.numClasses} classes`,
  ];
  for (const m of ds.modalities) lines.push(`  ${m.name}: ${m.kind} [${m.shape.join(", ")}] uint8`);
  for (const [name, split] of [["train", ds.train], ["test", ds.test]] as const) {
    lines.push(`  ${name}: ${split.count} tuples`);
    if (ds.numClasses > 0) {
      const counts = labelCounts(split, ds.numClasses);
      lines.push(`    labels: ${counts.map((c, l) => `${l}:${c}`).join(" ")}`);
    }
  }
  return lines.join("\n");
}

const OPTIONS = {
  out: { type: "string" },
  modalities: { type: "string" },
  seed: { type: "string" },
  limit: { type: "string" },
  backgrounds: { type: "string" },
  preset: { type: "string" },
  n: { type: "string" },
  split: { type: "string" },
  size: { type: "string" },
  cache: { type: "string" },
  workers: { type: "string" },
  overwrite: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

async function openSource(
  source: string | undefined,
  v: Record<string, string | boolean | undefined>,
) {
  const name = (v.preset as string | undefined) ?? source;
  if (!name) throw new Error("Cannot open dataset: give a folder or --preset NAME");
  return await openDataset(name, {
    seed: intFlag(v.seed as string | undefined, "seed", 1),
    limit: v.limit === undefined ? undefined : intFlag(v.limit as string, "limit", 0),
    backgrounds: v.backgrounds as string | undefined,
    size: intFlag(v.size as string | undefined, "size", 64, 4),
    cache: v.cache as string | undefined,
    onProgress: progress("load"),
  });
}

/**
 * Runs `data <command> …`; returns the process exit code (0 ok, 1 error, 2 usage).
 *
 * @example
 * ```ts ignore
 * await dataCommand(["polymnist", "--out", "/tmp/pm", "--limit", "100"]);
 * ```
 */
export async function dataCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [command, source] = positionals;
  if (v.help || !command) {
    console.log(HELP);
    return v.help ? 0 : 2;
  }
  try {
    switch (command) {
      case "polymnist": {
        if (!v.out) throw new Error("Cannot generate PolyMNIST: --out DIR is required");
        const M = intFlag(v.modalities, "modalities", 5, 1);
        const seed = intFlag(v.seed, "seed", 1);
        const limit = v.limit === undefined ? undefined : intFlag(v.limit, "limit", 0);
        const t0 = performance.now();
        const backgrounds = v.backgrounds ? await loadBackgrounds(v.backgrounds, M) : undefined;
        const ds = generatePolyMnist(await loadMnist(), {
          modalities: M,
          seed,
          limit,
          backgrounds,
        });
        await writePolyMnist(ds, v.out, {
          overwrite: v.overwrite ? "replace" : "error",
          workers: v.workers === undefined ? undefined : intFlag(v.workers, "workers", 0),
          onProgress: progress("write"),
        });
        const s = (performance.now() - t0) / 1000;
        console.log(
          `wrote ${v.out}: ${M} modalities, ${ds.train.count} train + ${ds.test.count} test tuples in ${
            s.toFixed(1)
          } s`,
        );
        return 0;
      }
      case "inspect": {
        console.log(describe(await openSource(source, v)));
        return 0;
      }
      case "grid": {
        if (!v.out) throw new Error("Cannot write grid: --out FILE.png is required");
        const ds = await openSource(source, v);
        const split = v.split === "train" ? ds.train : ds.test;
        if (v.split !== undefined && v.split !== "train" && v.split !== "test") {
          throw new RangeError(
            `Cannot write grid: --split must be train or test: current value is ${v.split}`,
          );
        }
        const n = Math.min(intFlag(v.n, "n", 8, 1), split.count);
        const grid = sampleGrid(split, Array.from({ length: n }, (_, i) => i));
        await Deno.writeFile(v.out, encodePng(grid));
        console.log(
          `wrote ${v.out}: ${grid.width}x${grid.height}, ${ds.modalities.length} rows x ${n} tuples`,
        );
        return 0;
      }
      case "backgrounds": {
        if (!v.out) throw new Error("Cannot write backgrounds: --out FILE.png is required");
        const M = intFlag(v.modalities, "modalities", 10, 1);
        const bgs = v.backgrounds
          ? await loadBackgrounds(v.backgrounds, M)
          : proceduralBackgrounds(M);
        const mosaic = imageMosaic(bgs, 5);
        await Deno.writeFile(v.out, encodePng(mosaic));
        console.log(`wrote ${v.out}: ${M} backgrounds, ${mosaic.width}x${mosaic.height}`);
        return 0;
      }
      default:
        console.error(`Unknown data command: ${command}\n\n${HELP}`);
        return 2;
    }
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await dataCommand(Deno.args));
