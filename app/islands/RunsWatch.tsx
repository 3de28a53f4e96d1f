/**
 * Keeps the runs list current: polls `/api/runs` every few seconds and reloads the page when a run
 * appears, disappears or changes status (a list opened before a run starts shows it; gh-19). The
 * list itself stays server-rendered; this island only watches.
 */

import { useEffect, useState } from "preact/hooks";
import { island } from "../island.tsx";

/** Props of {@link RunsWatch}. */
export interface RunsWatchProps {
  /** `id:status` of every listed run, sorted and joined by spaces (the page's view of the list). */
  signature: string;
  /** Poll interval, ms. */
  everyMs: number;
}

/** The signature of a runs list, as the server computes it for the props. */
export function runsSignature(runs: { id: string; status: string }[]): string {
  return runs.map((r) => `${r.id}:${r.status}`).sort().join(" ");
}

function RunsWatchView(p: RunsWatchProps) {
  const [note, setNote] = useState("");
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const res = await fetch("/api/runs", { cache: "no-store" });
        if (res.ok) {
          const { runs } = await res.json() as { runs: { id: string; status: string }[] };
          if (runsSignature(runs) !== p.signature) {
            location.reload();
            return;
          }
          setNote("");
        } else setNote(`watching for new runs: the server answered ${res.status}; retrying`);
      } catch {
        setNote("watching for new runs: the server is unreachable; retrying");
      }
      if (!stopped) timer = setTimeout(poll, p.everyMs);
    };
    timer = setTimeout(poll, p.everyMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [p.signature]);
  return <p class="muted runs-watch">{note}</p>;
}

/** The island. */
export const RunsWatch = island("RunsWatch", RunsWatchView);
