/**
 * What the run page draws from a {@link Report}: coherence curves per method and the reduction's
 * spectra. The report was shape-checked where it was read (polyscore/report/report.ts).
 */
import type { Report } from "../../polyscore/report/report.ts";

export { modalityNames } from "../../polyscore/report/report.ts";

/** Mean and std per number of given modalities, for one method. */
export interface CoherenceCurve {
  method: string;
  given: number[];
  mean: (number | null)[];
  std: (number | null)[] | null;
}

/** `methods.<name>.coherence_by_given` (+ `coherence_by_given_std`) of every method. */
export function coherenceCurves(report: Report | null): CoherenceCurve[] {
  if (!report) return [];
  const out: CoherenceCurve[] = [];
  for (const [method, m] of Object.entries(report.methods)) {
    const cb = m.coherence_by_given;
    const given = Object.keys(cb).filter((k) => /^\d+$/.test(k)).map(Number).sort((a, b) => a - b);
    if (given.length === 0) continue;
    const sd = m.coherence_by_given_std;
    out.push({
      method,
      given,
      mean: given.map((g) => cb[String(g)] ?? null),
      std: sd ? given.map((g) => sd[String(g)] ?? null) : null,
    });
  }
  return out;
}
