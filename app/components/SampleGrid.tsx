/** The run's sample grids: every PNG under `samples/`, captioned with its file name. */

/** Sample images of one run. */
export function SampleGrid({ runId, files }: { runId: string; files: string[] }) {
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
          <figcaption>{f.replace(/^samples\//, "")}</figcaption>
        </figure>
      ))}
    </div>
  );
}
