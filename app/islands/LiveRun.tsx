/**
 * The live part of the run page: status, stage progress, one loss chart per (stage, metric), and the
 * event log. While the run is running it follows `/api/runs/<id>/events` (server-sent events) and
 * appends new metric rows and events; it stops when the server sends `end`. A resumable run is
 * watched and goes live when it is resumed; a refused stream (429) is said and retried.
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import { island } from "../island.tsx";
import { COLORS, UPlotChart } from "./_uplot.tsx";

/** A series as plain arrays (steps ascending). */
export interface SeriesData {
  steps: number[];
  values: (number | null)[];
}

/** One event row. */
export interface EventData {
  id: number;
  time: number;
  level: string;
  stage: string;
  message: string;
}

/** Props of {@link LiveRun}. */
export interface LiveRunProps {
  runId: string;
  status: string;
  stage: string;
  progress: number;
  message: string;
  series: Record<string, Record<string, SeriesData>>;
  cursor: { metric: number; event: number };
  events: EventData[];
}

function upsert(s: SeriesData, step: number, value: number | null): void {
  const n = s.steps.length;
  if (n === 0 || step > s.steps[n - 1]) {
    s.steps.push(step);
    s.values.push(value);
    return;
  }
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.steps[mid] < step) lo = mid + 1;
    else hi = mid;
  }
  if (s.steps[lo] === step) s.values[lo] = value;
  else {
    s.steps.splice(lo, 0, step);
    s.values.splice(lo, 0, value);
  }
}

function MetricChart(
  { stage, name, data, color }: { stage: string; name: string; data: SeriesData; color: string },
) {
  const options = useMemo<Omit<uPlot.Options, "width" | "height"> & { height: number }>(() => ({
    title: `${stage} · ${name}`,
    height: 160,
    legend: { show: false },
    scales: { x: { time: false } },
    series: [{ label: "step" }, { label: name, stroke: color, width: 1.5, spanGaps: true }],
    axes: [{ size: 30 }, { size: 56 }],
  }), [stage, name, color]);
  const aligned = [data.steps.slice(), data.values.slice()] as uPlot.AlignedData;
  return <UPlotChart options={options} data={aligned} class="metric-chart" />;
}

function LiveRunView(p: LiveRunProps) {
  const series = useRef(p.series);
  const [version, setVersion] = useState(0);
  const [status, setStatus] = useState({
    status: p.status,
    stage: p.stage,
    progress: p.progress,
    message: p.message,
  });
  const [events, setEvents] = useState(p.events);
  const [live, setLive] = useState(false);

  // Where the stream continues from: the page's cursor, then each message's id ("metric:event").
  const cursor = useRef({ metric: p.cursor.metric, event: p.cursor.event });
  /** Why the page is not live, when it should be: "" (live or nothing to follow) or a notice. */
  const [notice, setNotice] = useState("");

  useEffect(() => {
    if (typeof EventSource === "undefined") return;
    let es: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const later = (fn: () => void, ms: number) => {
      if (!stopped) timer = setTimeout(fn, ms);
    };
    // A run that is not running (resumable: its trainer is gone) is watched: when `--resume`
    // starts it again, the page goes live (gh-19).
    const watch = async () => {
      try {
        const res = await fetch(`/api/runs/${encodeURIComponent(p.runId)}`, { cache: "no-store" });
        if (res.ok) {
          const s = (await res.json()).summary;
          if (s.status === "running") return open();
          if (s.status === "done" || s.status === "failed") return location.reload();
        }
      } catch { /* unreachable: keep watching */ }
      later(watch, 3000);
    };
    const open = () => {
      const url = `/api/runs/${
        encodeURIComponent(p.runId)
      }/events?afterMetric=${cursor.current.metric}&afterEvent=${cursor.current.event}`;
      es = new EventSource(url);
      const track = (ev: Event) => {
        const m = /^(\d+):(\d+)$/.exec((ev as MessageEvent).lastEventId ?? "");
        if (m) cursor.current = { metric: Number(m[1]), event: Number(m[2]) };
      };
      es.onopen = () => {
        setLive(true);
        setNotice("");
      };
      es.addEventListener("metrics", (ev) => {
        track(ev);
        const rows = JSON.parse((ev as MessageEvent).data).rows as [
          number,
          string,
          number,
          string,
          number | null,
        ][];
        for (const [, stage, step, name, value] of rows) {
          const st = series.current[stage] ??= {};
          upsert(st[name] ??= { steps: [], values: [] }, step, value);
        }
        setVersion((v) => v + 1);
      });
      es.addEventListener("log", (ev) => {
        track(ev);
        const add = JSON.parse((ev as MessageEvent).data).events as EventData[];
        setEvents((old) => [...old, ...add].slice(-200));
      });
      es.addEventListener("status", (ev) => setStatus(JSON.parse((ev as MessageEvent).data)));
      es.addEventListener("end", (ev) => {
        const end = JSON.parse((ev as MessageEvent).data);
        setStatus((s) => ({ ...s, ...end }));
        setLive(false);
        es?.close();
        // The run finished while we watched: reload once for its report and sample grids.
        if (end.status === "done" || end.status === "failed") {
          later(() => location.reload(), 1500);
        } else later(watch, 3000); // the trainer stopped: wait for a resume
      });
      es.onerror = () => {
        setLive(false);
        // CLOSED: the server answered with an error (429: too many live pages) and the browser
        // will not retry by itself; say so and retry. CONNECTING: the browser retries itself.
        if (es?.readyState === EventSource.CLOSED) {
          es.close();
          setNotice("live updates refused by the server (too many live pages open?); retrying");
          later(open, 5000);
        }
      };
    };
    if (p.status === "running") open();
    else if (p.status === "resumable") later(watch, 3000);
    return () => {
      stopped = true;
      clearTimeout(timer);
      es?.close();
    };
  }, [p.runId]);

  const stages = Object.keys(series.current);
  let colorIndex = 0;
  return (
    <section class="live-run" data-version={version}>
      <div class="status-line">
        <span class={`badge status-${status.status}`}>{status.status}</span>
        <span class="stage">stage: {status.stage || "—"}</span>
        <progress max={1} value={status.progress} />
        <span title="progress of the current stage, not of the whole run">
          {Math.round(status.progress * 100)}% of this stage
        </span>
        <span class={`live ${live ? "on" : "off"}`}>{live ? "● live" : ""}</span>
        {notice ? <span class="live-notice">{notice}</span> : null}
        {status.message ? <span class="message">{status.message}</span> : null}
      </div>
      <h2>Training curves</h2>
      {stages.length === 0 ? <p class="empty">No metrics yet.</p> : null}
      {stages.map((stage) => (
        <div class="stage-charts" key={stage}>
          <h3>{stage}</h3>
          <div class="chart-grid">
            {Object.keys(series.current[stage]).sort().map((name) => (
              <MetricChart
                key={`${stage}/${name}`}
                stage={stage}
                name={name}
                data={series.current[stage][name]}
                color={COLORS[colorIndex++ % COLORS.length]}
              />
            ))}
          </div>
        </div>
      ))}
      <h2>Events</h2>
      <ol class="events">
        {events.length === 0 ? <li class="empty">No events.</li> : null}
        {events.slice(-50).reverse().map((e) => (
          <li key={e.id} class={`level-${e.level}`}>
            <time>{new Date(e.time).toISOString().slice(11, 19)}</time> <b>{e.level}</b> [{e.stage}]
            {" "}
            {e.message}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The island. */
export const LiveRun = island("LiveRun", LiveRunView);
