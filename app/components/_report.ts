/**
 * Typed reading of the parts of report.json the run page shows. report.json is written by the
 * pipeline; everything here is defensive (unknown shapes are skipped, never thrown on).
 */

/** Mean and std per number of given modalities, for one method. */
export interface CoherenceCurve {
  method: string;
  given: number[];
  mean: (number | null)[];
  std: (number | null)[] | null;
}

// deno-lint-ignore no-explicit-any
type AnyRecord = Record<string, any>;

function isRecord(v: unknown): v is AnyRecord {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** `methods.<name>.coherence_by_given` (+ `coherence_by_given_std`) for every method that has it. */
export function coherenceCurves(report: unknown): CoherenceCurve[] {
  if (!isRecord(report) || !isRecord(report.methods)) return [];
  const out: CoherenceCurve[] = [];
  for (const [method, m] of Object.entries(report.methods)) {
    if (!isRecord(m) || !isRecord(m.coherence_by_given)) continue;
    const cb = m.coherence_by_given;
    const given = Object.keys(cb).filter((k) => /^\d+$/.test(k)).map(Number).sort((a, b) => a - b);
    if (given.length === 0) continue;
    const sd = isRecord(m.coherence_by_given_std) ? m.coherence_by_given_std : null;
    out.push({
      method,
      given,
      mean: given.map((g) => num(cb[String(g)])),
      std: sd ? given.map((g) => num(sd[String(g)])) : null,
    });
  }
  return out;
}

/** Modality names: `report.modalities` (strings or {name}) when present, else m0, m1, … */
export function modalityNames(report: unknown, count: number): string[] {
  const names: string[] = [];
  if (isRecord(report) && Array.isArray(report.modalities)) {
    for (const m of report.modalities) {
      names.push(
        typeof m === "string" ? m : isRecord(m) && typeof m.name === "string" ? m.name : "",
      );
    }
  }
  return Array.from({ length: count }, (_, i) => names[i] || `m${i}`);
}

/** The reduction stage's results when present and well formed. */
export interface ReductionData {
  spectra: number[][];
  ranks: number[];
  latentDims: number[];
  bound: number | null;
  epsilon: number | null;
}

/** `report.reduction`, or null when absent or malformed. */
export function reductionOf(report: unknown): ReductionData | null {
  if (!isRecord(report) || !isRecord(report.reduction)) return null;
  const r = report.reduction;
  if (!Array.isArray(r.spectra) || !r.spectra.every((s: unknown) => Array.isArray(s))) return null;
  const spectra = r.spectra.map((s: unknown[]) => s.map((v) => num(v) ?? 0));
  const ints = (v: unknown) => Array.isArray(v) ? v.map((x) => num(x) ?? 0) : [];
  return {
    spectra,
    ranks: ints(r.ranks),
    latentDims: Array.isArray(r.latent_dims)
      ? ints(r.latent_dims)
      : spectra.map((s: number[]) => s.length),
    bound: num(r.bound),
    epsilon: num(r.epsilon),
  };
}
