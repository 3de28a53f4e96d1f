/**
 * The sampling playground: pick a finished run, tick the observed modalities, choose a test example
 * for each (or upload or draw an image for an image modality), set steps / count / seed, press Sample. The
 * server queues the request, runs the sampler, and answers PNGs of the generated modalities.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { island } from "../island.tsx";

/** A modality as the server describes it. */
export interface ModalityInfo {
  name: string;
  kind: "image" | "mask" | "attributes";
  shape: number[];
}

/** Props of {@link Playground}. */
export interface PlaygroundProps {
  runs: { id: string; label: string }[];
  runId: string | null;
  info: {
    modalities: ModalityInfo[];
    testCount: number;
    methods: string[];
    /** Memory the run's sampler session holds on the server, bytes. */
    memoryBytes: number;
    /** Sessions the server keeps open at most. */
    maxSessions: number;
  } | null;
  error: string | null;
  limits: { maxCount: number; maxSteps: number };
}

interface Observed {
  on: boolean;
  draw: boolean;
  source: "test" | "upload";
  index: number;
  upload: { data: string; preview: string } | null;
}

interface Output {
  modality: number;
  name: string;
  kind: string;
  images: string[];
  values?: number[][];
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Resamples an image source into (C, H, W) bytes of the modality's shape on a canvas. */
function toModality(src: CanvasImageSource, shape: number[]): { data: string; preview: string } {
  const [c, h, w] = shape.length === 2 ? [1, shape[0], shape[1]] : shape;
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext("2d")!;
  g.drawImage(src, 0, 0, w, h);
  const rgba = g.getImageData(0, 0, w, h).data;
  const out = new Uint8Array(c * h * w);
  for (let p = 0; p < h * w; p++) {
    if (c === 1) out[p] = Math.round((rgba[p * 4] + rgba[p * 4 + 1] + rgba[p * 4 + 2]) / 3);
    else for (let ch = 0; ch < 3; ch++) out[ch * h * w + p] = rgba[p * 4 + ch];
  }
  return { data: toBase64(out), preview: canvas.toDataURL("image/png") };
}

/** The distinct test-tuple indices of the observed modalities that use a test example. */
function mixedTuples(observed: Observed[]): number[] {
  return [...new Set(observed.filter((o) => o.on && o.source === "test").map((o) => o.index))];
}

/** Reads an uploaded image file into the modality's shape. */
async function readUpload(file: File, shape: number[]): Promise<{ data: string; preview: string }> {
  return toModality(await createImageBitmap(file), shape);
}

const PAD = 112;

/** A small drawing pad (white background, dark strokes); "use" hands the drawing over. */
function DrawPad(
  { shape, onUse }: { shape: number[]; onUse: (u: { data: string; preview: string }) => void },
) {
  const ref = useRef<HTMLCanvasElement>(null);
  const down = useRef(false);
  const clear = () => {
    const g = ref.current?.getContext("2d");
    if (!g) return;
    g.fillStyle = "#ffffff";
    g.fillRect(0, 0, PAD, PAD);
  };
  useEffect(clear, []);
  const at = (e: PointerEvent) => {
    const r = ref.current!.getBoundingClientRect();
    return [(e.clientX - r.left) * (PAD / r.width), (e.clientY - r.top) * (PAD / r.height)];
  };
  return (
    <span class="drawpad">
      <canvas
        ref={ref}
        width={PAD}
        height={PAD}
        onPointerDown={(e) => {
          down.current = true;
          const g = ref.current!.getContext("2d")!;
          const [x, y] = at(e);
          g.beginPath();
          g.moveTo(x, y);
        }}
        onPointerMove={(e) => {
          if (!down.current) return;
          const g = ref.current!.getContext("2d")!;
          const [x, y] = at(e);
          g.lineWidth = 10;
          g.lineCap = "round";
          g.strokeStyle = "#202020";
          g.lineTo(x, y);
          g.stroke();
        }}
        onPointerUp={() => (down.current = false)}
        onPointerLeave={() => (down.current = false)}
      />
      <button type="button" class="small" onClick={() => onUse(toModality(ref.current!, shape))}>
        use drawing
      </button>
      <button type="button" class="small" onClick={clear}>clear</button>
    </span>
  );
}

function PlaygroundView(p: PlaygroundProps) {
  const mods = p.info?.modalities ?? [];
  const [method, setMethod] = useState(p.info?.methods[0] ?? "");
  const [observed, setObserved] = useState<Observed[]>(
    mods.map((_, i) => ({
      on: i < mods.length - 1,
      draw: false,
      source: "test",
      index: 0,
      upload: null,
    })),
  );
  const [steps, setSteps] = useState(Math.min(100, p.limits.maxSteps));
  const [count, setCount] = useState(Math.min(4, p.limits.maxCount));
  const [seed, setSeed] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ outputs: Output[]; ms: number } | null>(null);

  const update = (i: number, patch: Partial<Observed>) =>
    setObserved((o) => o.map((x, k) => (k === i ? { ...x, ...patch } : x)));

  async function sample() {
    if (!p.runId) return;
    setBusy(true);
    setError(null);
    try {
      const body = {
        method,
        steps,
        count,
        seed,
        observed: observed.flatMap((
          o,
          modality,
        ): ({ modality: number; data: string } | { modality: number; index: number })[] =>
          !o.on
            ? []
            : o.source === "upload" && o.upload
            ? [{ modality, data: o.upload.data }]
            : [{ modality, index: o.index }]
        ),
      };
      const res = await fetch(`/api/playground/${encodeURIComponent(p.runId)}/sample`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const j = await res.json();
      const retry = res.headers.get("retry-after");
      if (!res.ok) {
        setError(
          `${res.status}: ${j.error ?? "request failed"}${
            retry ? ` (the server suggests retrying in ${retry} s)` : ""
          }`,
        );
      } else setResult(j);
    } catch (e) {
      setError(String(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="playground">
      <form method="get" action="/playground" class="run-picker">
        <label>
          Run{" "}
          <select name="run" onChange={(e) => (e.currentTarget.form as HTMLFormElement).submit()}>
            {p.runId === null ? <option value="">— choose a finished run —</option> : null}
            {p.runs.map((r) => (
              <option key={r.id} value={r.id} selected={r.id === p.runId}>{r.label}</option>
            ))}
          </select>
        </label>
        <noscript>
          <button type="submit">Open</button>
        </noscript>
      </form>
      {p.error ? <p class="error">{p.error}</p> : null}
      {p.info && p.runId
        ? (
          <div class="controls">
            <p class="muted session-memory">
              The sampler for this run holds {(p.info.memoryBytes / 2 ** 20).toFixed(0)}{" "}
              MiB on the server (at most {p.info.maxSessions}{" "}
              runs are kept loaded); sampling runs in a worker, one request at a time.
            </p>
            <label>
              Method{" "}
              <select value={method} onChange={(e) => setMethod(e.currentTarget.value)}>
                {p.info.methods.map((m) => <option key={m} value={m}>{m}</option>)}
              </select>
            </label>
            <table class="modalities">
              <thead>
                <tr>
                  <th>observed</th>
                  <th>modality</th>
                  <th>input</th>
                  <th>preview</th>
                </tr>
              </thead>
              <tbody>
                {mods.map((m, i) => {
                  const o = observed[i];
                  const src = o.source === "upload" && o.upload
                    ? o.upload.preview
                    : `/api/playground/${
                      encodeURIComponent(p.runId!)
                    }/example?modality=${i}&index=${o.index}`;
                  return (
                    <tr key={m.name} class={o.on ? "on" : "off"}>
                      <td>
                        <input
                          type="checkbox"
                          name={`observed-${i}`}
                          checked={o.on}
                          onChange={(e) => update(i, { on: e.currentTarget.checked })}
                        />
                      </td>
                      <td>
                        {m.name} <small>({m.kind}, {m.shape.join("×")})</small>
                      </td>
                      <td>
                        <label>
                          test example{" "}
                          <input
                            type="number"
                            min={0}
                            max={p.info!.testCount - 1}
                            value={o.index}
                            disabled={!o.on}
                            onChange={(e) =>
                              update(i, {
                                source: "test",
                                index: Math.max(
                                  0,
                                  Math.min(
                                    p.info!.testCount - 1,
                                    Number(e.currentTarget.value) | 0,
                                  ),
                                ),
                              })}
                          />
                        </label>
                        {m.kind === "image"
                          ? (
                            <label class="upload">
                              or upload{" "}
                              <input
                                type="file"
                                accept="image/*"
                                disabled={!o.on}
                                onChange={async (e) => {
                                  const f = e.currentTarget.files?.[0];
                                  if (!f) return;
                                  try {
                                    update(i, {
                                      source: "upload",
                                      upload: await readUpload(f, m.shape),
                                    });
                                    setError(null);
                                  } catch {
                                    // A file the browser cannot decode as an image (gh-19).
                                    setError(
                                      `Cannot use ${f.name} for ${m.name}: it is not an image this browser can read (PNG, JPEG, GIF, WebP)`,
                                    );
                                  }
                                }}
                              />
                            </label>
                          )
                          : null}
                        {m.kind === "image" && o.on
                          ? (
                            <label class="draw-toggle">
                              <input
                                type="checkbox"
                                name={`draw-${i}`}
                                checked={o.draw}
                                onChange={(e) => update(i, { draw: e.currentTarget.checked })}
                              />{" "}
                              or draw
                            </label>
                          )
                          : null}
                        {m.kind === "image" && o.on && o.draw
                          ? (
                            <DrawPad
                              shape={m.shape}
                              onUse={(u) => update(i, { source: "upload", upload: u })}
                            />
                          )
                          : null}
                      </td>
                      <td>
                        {o.on
                          ? <img class="pixelated thumb" src={src} alt={`${m.name} input`} />
                          : <span class="muted">generated</span>}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <div class="knobs">
              <label>
                steps{" "}
                <input
                  type="number"
                  name="steps"
                  min={1}
                  max={p.limits.maxSteps}
                  value={steps}
                  onChange={(e) => setSteps(Number(e.currentTarget.value) | 0)}
                />
              </label>
              <label>
                samples{" "}
                <input
                  type="number"
                  name="count"
                  min={1}
                  max={p.limits.maxCount}
                  value={count}
                  onChange={(e) => setCount(Number(e.currentTarget.value) | 0)}
                />
              </label>
              <label>
                seed{" "}
                <input
                  type="number"
                  name="seed"
                  min={0}
                  value={seed}
                  onChange={(e) => setSeed(Number(e.currentTarget.value) | 0)}
                />
              </label>
              <button
                type="button"
                id="sample-button"
                disabled={busy || observed.every((o) => o.on)}
                onClick={sample}
              >
                {busy ? "Sampling…" : "Sample"}
              </button>
            </div>
            {mixedTuples(observed).length > 1
              ? (
                <p class="warning" id="mixed-tuples">
                  The observed modalities come from different test tuples (
                  {mixedTuples(observed).join(", ")}): they need not show the same digit, so the
                  generated modalities may follow either.
                </p>
              )
              : null}
            {error ? <p class="error" id="sample-error">{error}</p> : null}
            {result
              ? (
                <div class="results" id="sample-results">
                  <p class="muted">{result.ms.toFixed(0)} ms</p>
                  {result.outputs.map((out) => (
                    <div class="result-row" key={out.modality}>
                      <h4>{out.name}</h4>
                      <div class="thumbs">
                        {out.images.map((src, k) => (
                          <img
                            key={k}
                            class="pixelated sample"
                            src={src}
                            alt={`${out.name} sample ${k}`}
                          />
                        ))}
                      </div>
                    </div>
                  ))}
                </div>
              )
              : null}
          </div>
        )
        : null}
    </section>
  );
}

/** The island. */
export const Playground = island("Playground", PlaygroundView);
