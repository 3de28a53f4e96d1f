/** Helpers of the end-to-end tests that drive the CLI: waiting for a process, reading a run's state. */
import { DatabaseSync } from "node:sqlite";

/** Waits for a CLI process; throws with the tail of its stderr when it failed. */
export async function finish(p: Deno.ChildProcess, label: string): Promise<void> {
  const out = await p.output();
  if (!out.success) {
    throw new Error(
      `${label} failed (${out.code}): ${new TextDecoder().decode(out.stderr).slice(-2000)}`,
    );
  }
}

/** A run's meta table (stage, progress, status, …); empty while the database cannot be read. */
export function meta(dir: string): Record<string, string> {
  try {
    const db = new DatabaseSync(`${dir}/run.sqlite`, { readOnly: true });
    const rows = db.prepare("SELECT key, value FROM meta").all() as {
      key: string;
      value: string;
    }[];
    db.close();
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  } catch {
    return {};
  }
}
