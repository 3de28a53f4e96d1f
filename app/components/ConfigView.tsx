/** The resolved config of a run, as indented JSON (collapsible). */

/** Shows `config`. */
export function ConfigView({ config }: { config: unknown }) {
  return (
    <details class="config">
      <summary>Config</summary>
      <pre>{JSON.stringify(config, null, 2)}</pre>
    </details>
  );
}
