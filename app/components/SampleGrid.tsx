/**
 * The run's sample grids (every PNG under `samples/`), each with a legend of what its rows and
 * columns are, read from the file names the pipeline writes (polyscore/pipeline/grids.ts and
 * stage_eval.ts: conditionalGrid).
 */

/** What a grid shows, from its file name; null for a file the pipeline does not write. */
export function gridLegend(file: string, modalities: string[]): string | null {
  const name = file.replace(/^samples\//, "");
  const mod = (k: string) => modalities[Number(k)] ?? `m${k}`;
  let m = /^recon_m(\d+)\.png$/.exec(name);
  if (m) {
    return `Reconstructions of ${
      mod(m[1])
    }: columns are the first test tuples; top row the real test images, bottom row the autoencoder's reconstructions.`;
  }
  m = /^([A-Za-z0-9_-]+)_given_m(\d+)\.png$/.exec(name);
  if (m) {
    const given = mod(m[2]);
    const rows = modalities.map((n, k) => String(k) === m![2] ? `${n} (observed)` : n);
    return `${
      m[1]
    } given ${given} alone: columns are the first test tuples; rows are the modalities in order (${
      rows.join(", ")
    }) — the ${given} row holds the real observed images, every other row is generated.`;
  }
  return null;
}

/** Sample images of one run, with legends. */
export function SampleGrid(
  { runId, files, modalities }: { runId: string; files: string[]; modalities: string[] },
) {
  if (files.length === 0) return <p class="empty">No sample grids yet.</p>;
  return (
    <div class="sample-grid" id="sample-grid">
      {files.map((f) => (
        <figure key={f}>
          <img
            class="pixelated"
            src={`/api/runs/${encodeURIComponent(runId)}/files/${
              f.split("/").map(encodeURIComponent).join("/")
            }`}
            alt={f}
          />
          <figcaption>
            <b>{f.replace(/^samples\//, "")}</b>
            {gridLegend(f, modalities)
              ? <span class="legend-text">{gridLegend(f, modalities)}</span>
              : null}
          </figcaption>
        </figure>
      ))}
    </div>
  );
}
