/**
 * Writes the experiment report into its folder: `experiment.json` (every grid point's numbers,
 * polyscore/experiment/point.ts), `experiment.md` (markdown.ts) and the PNG plots (plots.ts).
 */
import { join } from "node:path";
import { experimentMarkdown } from "./markdown.ts";
import { type ExperimentReport, pointOf, type PointOutcome } from "./point.ts";
import { experimentPlots } from "./plots.ts";
import type { ExperimentSpec } from "./spec.ts";

export function writeExperimentReport(
  dir: string,
  spec: ExperimentSpec,
  file: string,
  outcomes: PointOutcome[],
): ExperimentReport {
  const points = outcomes.map(pointOf);
  const plots = experimentPlots(points);
  for (const [name, png] of Object.entries(plots)) Deno.writeFileSync(join(dir, name), png);
  const rep: ExperimentReport = {
    id: spec.id,
    about: spec.about,
    preset: spec.preset,
    set: spec.set,
    axes: spec.axes,
    reproduce: `deno task experiment ${file}`,
    points,
    plots: Object.keys(plots),
  };
  Deno.writeTextFileSync(join(dir, "experiment.json"), JSON.stringify(rep, null, 2) + "\n");
  Deno.writeTextFileSync(join(dir, "experiment.md"), experimentMarkdown(rep));
  return rep;
}
