/**
 * `polyscore plot`: several finished runs' coherence side by side in one PNG (see
 * polyscore/report/compare_plot.ts). Each argument is LABEL=PATH[:METHODS], PATH a run folder (its
 * report.json) or a report JSON (report.json, report.evalN.json).
 */
import { parseArgs } from "node:util";
import { comparePlot, type LabelledReport } from "../polyscore/report/compare_plot.ts";
import { parseReport } from "../polyscore/report/report.ts";

const HELP = `Usage: polyscore plot --out FILE.png [options] LABEL=PATH[:METHOD,METHOD] …

Draws coherence against the number of given modalities for several finished runs in one PNG: one
line per report and method, with the report's 95% CI bars. PATH is a run folder (its report.json is
read) or a report JSON (report.json, or report.evalN.json from polyscore eval); :METHODS picks some
of its methods (default: all). Nothing is trained or sampled.

Options:
  --out FILE.png   where to write the picture (required)
  --title TEXT     the panel's title
  --ceilings       also draw each report's reconstruction ceiling on the same tuples
  --help           this help

Example:
  deno task plot --out quick.png --ceilings old=runs/q-old new=runs/q-new/report.eval1.json:sbm-ae`;

/** Reads one LABEL=PATH[:METHODS] argument. */
export async function readLabelled(arg: string): Promise<LabelledReport> {
  const eq = arg.indexOf("=");
  if (eq < 1) {
    throw new RangeError(
      `Cannot plot: expected LABEL=PATH[:METHODS]: current value is "${arg}" (e.g. new=runs/q6)`,
    );
  }
  const label = arg.slice(0, eq);
  let path = arg.slice(eq + 1), methods: string[] | undefined;
  const colon = path.lastIndexOf(":");
  if (colon > 0 && !path.slice(colon + 1).includes("/")) {
    methods = path.slice(colon + 1).split(",").filter((m) => m);
    path = path.slice(0, colon);
  }
  let file = path;
  try {
    if ((await Deno.stat(path)).isDirectory) file = `${path}/report.json`;
  } catch {
    throw new Deno.errors.NotFound(
      `Cannot plot ${label}: ${path} does not exist (give a run folder or a report JSON)`,
    );
  }
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    throw new Deno.errors.NotFound(
      `Cannot plot ${label}: ${file} cannot be read (a run without a report has not finished: --resume it first)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`Cannot plot ${label}: ${file} is not JSON: ${(e as Error).message}`);
  }
  try {
    return { label, report: parseReport(json), methods };
  } catch (e) {
    throw new TypeError(
      `Cannot plot ${label}: ${file} is not a polyscore report: ${(e as Error).message}`,
    );
  }
}

/** Runs the plot command; returns the exit code. */
export async function plotCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      out: { type: "string" },
      title: { type: "string" },
      ceilings: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.out || positionals.length === 0) {
    console.error(
      "polyscore plot: --out FILE.png and at least one LABEL=PATH are required\n\n" + HELP,
    );
    return 2;
  }
  const reports = [];
  for (const a of positionals) reports.push(await readLabelled(a));
  const png = comparePlot(reports, { title: values.title, ceilings: values.ceilings });
  await Deno.writeFile(values.out, png);
  console.log(`wrote ${values.out} (${reports.length} report(s))`);
  return 0;
}
