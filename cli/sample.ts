/**
 * `polyscore sample`: generates the missing modalities of test tuples (or unconditionally) from a
 * finished run, writing one PNG per generated modality (a row of `count` samples) and, for
 * attribute modalities, a JSON file of probabilities.
 */
import { parseArgs } from "node:util";
import { encodePng } from "../polyscore/data/png.ts";
import { selectBackend } from "./backends.ts";
import { modalityOf } from "../polyscore/modality.ts";
import { METHOD_NAMES } from "../polyscore/methods/mod.ts";
import { openPlayground } from "../polyscore/pipeline/playground.ts";
import { InputError } from "../polyscore/errors.ts";

const HELP = `Usage: polyscore sample --run DIR [options]

Options:
  --run DIR        a finished run folder (runs/<id>)
  --method NAME    one of the run's methods: ${METHOD_NAMES.join(", ")} (default sbm-ae)
  --given LIST     observed modalities by index, e.g. 0,2 (default: none = unconditional)
  --index N        the test tuple whose observed modalities are used (default 0)
  --count N        samples to draw (default 8, at most 256)
  --steps N        PC sampler steps (default: the run's)
  --seed N         sampling seed (default 1)
  --out DIR        where to write the PNG/JSON files (default: the run's samples/cli folder)`;

function int(v: string | undefined, name: string, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(
      `Cannot sample: --${name} must be an integer in [${min}, ${max}]: current value is ${v}`,
    );
  }
  return n;
}

/** Runs the sample command; returns the exit code. */
export async function sampleCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      run: { type: "string" },
      method: { type: "string", default: "sbm-ae" },
      given: { type: "string", default: "" },
      index: { type: "string" },
      count: { type: "string" },
      steps: { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.run) {
    console.error("polyscore sample: --run DIR is required (a finished run folder)\n\n" + HELP);
    return 2;
  }
  const session = await openPlayground(values.run, { selectBackend });
  try {
    const given = values.given
      ? values.given.split(",").map((g) => int(g, "given", 0, 0, session.modalities.length - 1))
      : [];
    if (new Set(given).size >= session.modalities.length) {
      throw new InputError(
        `Cannot sample: --given lists every modality (${values.given}), so nothing is left to generate: leave at least one of 0..${
          session.modalities.length - 1
        } out`,
      );
    }
    const index = int(values.index, "index", 0, 0, session.testCount - 1);
    const count = int(values.count, "count", 8, 1, 256);
    const steps = int(values.steps, "steps", 100, 1, 2000);
    const seed = int(values.seed, "seed", 1, 0, 2 ** 31);
    const out = values.out ?? `${values.run}/samples/cli`;
    try {
      Deno.mkdirSync(out, { recursive: true });
    } catch (e) {
      throw new InputError(
        `Cannot write samples to ${out}: ${
          (e as Error).message.replace(/: mkdir .*$/, "")
        }: pass --out DIR to write them elsewhere (a finished run in a read-only folder can still be sampled)`,
      );
    }
    const { outputs } = await session.sample({
      method: values.method!,
      observed: given.map((m) => ({ modality: m, index })),
      steps,
      count,
      seed,
    });
    for (const { modality, samples } of outputs) {
      const spec = session.modalities[modality];
      if (modalityOf(spec).output === "png+values") {
        const path = `${out}/${values.method}_${spec.name}.json`;
        Deno.writeTextFileSync(path, JSON.stringify(samples.map((s) => Array.from(s)), null, 1));
        console.log(path);
        continue;
      }
      const [c, h, w] = spec.shape;
      const W = samples.length * (w + 2) + 2, H = h + 4;
      const img = new Uint8Array(W * H * 3).fill(255);
      samples.forEach((s, i) => {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            for (let k = 0; k < 3; k++) {
              const v = s[((c === 1 ? 0 : k) * h + y) * w + x];
              img[((2 + y) * W + 2 + i * (w + 2) + x) * 3 + k] = Math.round(
                Math.max(0, Math.min(1, v)) * 255,
              );
            }
          }
        }
      });
      const path = `${out}/${values.method}_${spec.name}.png`;
      Deno.writeFileSync(path, encodePng({ width: W, height: H, channels: 3, data: img }));
      console.log(path);
    }
  } finally {
    session.dispose();
  }
  return 0;
}
