/**
 * The run store: one folder per training run under a runs root, `runs/<id>/` with `config.json`,
 * `run.sqlite` (meta, metrics and events; node:sqlite in WAL mode, so the dashboard reads a live run),
 * `checkpoints/<name>.safetensors` and any files the pipeline writes (PNG grids, report.json).
 * Every file write is atomic. It stores; it does not train, resume or decide anything.
 */

import { parseReport, type Report } from "../report/report.ts";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { InputError } from "../errors.ts";
import { join, resolve } from "node:path";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
import { readFileOrNull, resolveInside, validateSegment, writeFileAtomic } from "./files.ts";

/** A run's status as recorded (`running`/`done`/`failed`) or derived (`resumable`: killed). */
export type RunStatus = "running" | "done" | "failed" | "resumable";

/** One metric row: `time` is Unix milliseconds. */
export interface MetricRow {
  rowid: number;
  stage: string;
  step: number;
  name: string;
  value: number;
  time: number;
}

/** One event row: `time` is Unix milliseconds. */
export interface EventRow {
  id: number;
  time: number;
  level: string;
  stage: string;
  message: string;
}

/** A tensor of a checkpoint: row-major float32 data of `shape`. */
export interface CheckpointTensor {
  shape: number[];
  data: Float32Array;
}

/** A heartbeat older than this (ms) means the writer is gone. */
export const STALE_AFTER_MS = 60_000;
const HEARTBEAT_EVERY_MS = 2_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS metrics (
  stage TEXT NOT NULL, step INTEGER NOT NULL, name TEXT NOT NULL, value REAL, time INTEGER NOT NULL,
  UNIQUE (stage, step, name));
CREATE INDEX IF NOT EXISTS metrics_stage ON metrics (stage, step);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, level TEXT NOT NULL,
  stage TEXT NOT NULL, message TEXT NOT NULL);
`;

function defaultId(): string {
  const iso = new Date().toISOString(); // 2026-11-25T17:16:36.123Z
  const stamp = iso.slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
  const rand = crypto.getRandomValues(new Uint8Array(3));
  return `${stamp}-${Array.from(rand, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Whether process `pid` is alive on this machine (Linux: /proc; elsewhere unknown → true). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync("/proc/self");
  } catch {
    return true; // No /proc: rely on the heartbeat alone.
  }
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * The status to show for a run's meta: `running` only while the writer's heartbeat is fresh and its
 * process alive; a run recorded as running whose writer is gone is `resumable`.
 */
export function deriveStatus(meta: Record<string, string>, now = Date.now()): RunStatus {
  const s = meta.status;
  if (s === "done" || s === "failed") return s;
  const heartbeat = Number(meta.heartbeat ?? 0);
  const pid = Number(meta.pid ?? 0);
  if (now - heartbeat < STALE_AFTER_MS && pidAlive(pid)) return "running";
  return "resumable";
}

/**
 * Opens a run database read-only. SQLite in WAL mode needs to create `-shm`/`-wal` files beside the
 * database even to read; in a folder this process cannot write that fails ("unable to open database
 * file"), so the fallback opens it as immutable (no locks, no WAL): right for a finished run, and
 * for a killed one it shows what was checkpointed.
 */
function openReadOnly(dbPath: string): DatabaseSync {
  let db: DatabaseSync | null = null;
  try {
    db = new DatabaseSync(dbPath, { readOnly: true });
    db.prepare("SELECT count(*) FROM sqlite_master").get(); // opening is lazy: touch it
    return db;
  } catch (e) {
    if (db?.isOpen) db.close();
    const msg = (e as Error).message;
    if (!/unable to open|readonly|read-only|disk I\/O/i.test(msg)) throw e;
    const url = new URL("file://");
    url.pathname = resolve(dbPath);
    url.searchParams.set("immutable", "1");
    return new DatabaseSync(url, { readOnly: true });
  }
}

/** Thrown when another live process is already training a run (one trainer per run). */
export class RunBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunBusyError";
  }
}

/** Options of {@link RunStore.open}. */
export interface OpenOptions {
  /** Open the database read-only (the dashboard); writes then throw. Default false. */
  readOnly?: boolean;
}

/**
 * A run folder and its database. Create one per training run with {@link RunStore.create}; reopen it
 * (to resume, or read-only for the dashboard) with {@link RunStore.open}. Not safe to share one
 * instance between workers; several processes may open the same run (SQLite WAL).
 *
 * @example
 * ```ts
 * const root = Deno.makeTempDirSync();
 * const run = RunStore.create(root, { config: { lr: 1e-3 }, preset: "tiny", backend: "wasm" });
 * run.metric("ae", 1, { loss: 0.5 });
 * run.setStatus("done");
 * run.close();
 * ```
 */
export class RunStore {
  /** The run id (the folder name). */
  readonly id: string;
  /** The run folder, absolute. */
  readonly dir: string;
  readonly #db: DatabaseSync;
  readonly #readOnly: boolean;
  #lastHeartbeat = 0;
  #stmts = new Map<string, StatementSync>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** The held `trainer.lock` (see {@link RunStore.lockTrainer}). */
  #lock: Deno.FsFile | null = null;

  private constructor(id: string, dir: string, db: DatabaseSync, readOnly: boolean) {
    this.id = id;
    this.dir = dir;
    this.#db = db;
    this.#readOnly = readOnly;
  }

  /**
   * Creates `root/<id>/` (id default: UTC timestamp + 6 hex digits), writes `config.json`
   * atomically, creates `run.sqlite` (WAL) and records status `running`, the pid, `started_at`,
   * `preset` and `backend`. Throws if the folder already exists.
   */
  static create(
    root: string,
    opts: { id?: string; config: unknown; preset: string; backend: string },
  ): RunStore {
    const id = validateSegment(opts.id ?? defaultId(), "run id");
    const rootAbs = resolve(root);
    const dir = join(rootAbs, id);
    try {
      Deno.mkdirSync(rootAbs, { recursive: true });
      Deno.mkdirSync(dir);
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) {
        throw new RangeError(`Cannot create run: folder already exists: current value is ${dir}`);
      }
      // Read-only file system, permissions, a file where the folder should be: the user's to fix.
      throw new InputError(
        `Cannot create run ${id} in ${rootAbs}: the runs folder cannot be written (${
          (e as Error).message.replace(/: mkdir .*$/, "")
        }): choose another with --runs DIR (or POLYSCORE_RUNS)`,
        { cause: e },
      );
    }
    const json = JSON.stringify(opts.config ?? null, null, 2);
    if (json === undefined) {
      throw new TypeError("Cannot create run: config is not JSON-serializable");
    }
    writeFileAtomic(join(dir, "config.json"), json + "\n");
    // Build the schema and meta under a temp name, then rename: a reader never sees a half-made run.
    const tmp = join(dir, ".run.sqlite.init");
    const init = new DatabaseSync(tmp);
    init.exec(SCHEMA);
    const now = Date.now();
    const st = init.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    for (
      const [k, v] of Object.entries({
        id,
        preset: String(opts.preset),
        backend: String(opts.backend),
        status: "running",
        pid: String(Deno.pid),
        started_at: new Date(now).toISOString(),
        heartbeat: String(now),
        stage: "",
        progress: "0",
      })
    ) st.run(k, v);
    init.close();
    Deno.renameSync(tmp, join(dir, "run.sqlite"));
    const db = new DatabaseSync(join(dir, "run.sqlite"));
    db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;");
    const store = new RunStore(id, dir, db, false);
    store.#lastHeartbeat = now;
    store.#startHeartbeat();
    return store;
  }

  /**
   * Opens an existing run. The id must be one safe path segment (no `/`, no `..`); throws a clear
   * error when the run does not exist. Opening changes nothing; a resuming writer calls
   * `setStatus("running")`, which records its pid.
   */
  static open(root: string, id: string, opts: OpenOptions = {}): RunStore {
    validateSegment(id, "run id");
    const dir = resolveInside(root, id, "run id");
    const dbPath = join(dir, "run.sqlite");
    try {
      Deno.statSync(dbPath);
    } catch {
      throw new RangeError(
        `Cannot open run: no run "${id}" under ${resolve(root)} (missing ${dbPath})`,
      );
    }
    const readOnly = opts.readOnly === true;
    const db = readOnly ? openReadOnly(dbPath) : new DatabaseSync(dbPath);
    db.exec("PRAGMA busy_timeout=5000;");
    if (!readOnly) {
      db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
      db.exec(SCHEMA);
    }
    return new RunStore(id, dir, db, readOnly);
  }

  #stmt(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  #tx(fn: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      fn();
      this.#db.exec("COMMIT");
    } catch (e) {
      this.#db.exec("ROLLBACK");
      throw e;
    }
  }

  #setMetaMany(values: Record<string, string>): void {
    const st = this.#stmt("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    this.#tx(() => {
      for (const [k, v] of Object.entries(values)) st.run(k, v);
    });
  }

  #beat(extra: Record<string, string> = {}, force = true): void {
    const now = Date.now();
    if (!force && now - this.#lastHeartbeat < HEARTBEAT_EVERY_MS) return;
    this.#lastHeartbeat = now;
    this.#setMetaMany({ ...extra, heartbeat: String(now) });
  }

  // While a writer says "running", refresh the heartbeat every 10 s from an unref'd timer, so a
  // long stage without metrics is not mistaken for a killed run (a blocked event loop still is).
  #startHeartbeat(): void {
    if (this.#timer !== undefined || this.#readOnly) return;
    const timer = setInterval(() => {
      try {
        if (this.#db.isOpen) this.#beat({}, false);
      } catch {
        // Busy or closing: the next tick retries.
      }
    }, 10_000);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #stopHeartbeat(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The resolved config written at creation (parsed `config.json`). */
  config<T = unknown>(): T {
    const bytes = readFileOrNull(join(this.dir, "config.json"));
    if (bytes === null) throw new RangeError(`Cannot read config: missing ${this.dir}/config.json`);
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  }

  /**
   * Replaces `config.json` (atomically): a resumed run's effective config after the overrides it was
   * allowed (polyscore/pipeline/resume.ts records each one as an event).
   */
  updateConfig(config: unknown): void {
    this.#assertWritable("update config");
    const json = JSON.stringify(config ?? null, null, 2);
    if (json === undefined) {
      throw new TypeError("Cannot update config: it is not JSON-serializable");
    }
    writeFileAtomic(join(this.dir, "config.json"), json + "\n");
  }

  /**
   * The metadata of every checkpoint (name → metadata), read from the safetensors headers only
   * (the tensors are not loaded). A file whose header cannot be read is listed with `{}`.
   */
  checkpointMetadata(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(join(this.dir, "checkpoints"))];
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return out;
      throw e;
    }
    for (const e of entries) {
      const m = /^([A-Za-z0-9._-]+)\.safetensors$/.exec(e.name);
      if (!m || !e.isFile) continue;
      out[m[1]] = readSafetensorsMetadata(join(this.dir, "checkpoints", e.name));
    }
    return out;
  }

  /** Records the current stage and its progress in [0, 1], and refreshes the heartbeat. */
  setStage(stage: string, progress: number): void {
    if (typeof stage !== "string") throw new TypeError("Cannot set stage: stage must be a string");
    if (!(progress >= 0 && progress <= 1)) {
      throw new RangeError(
        `Cannot set stage: progress must be in [0, 1]: current value is ${progress}`,
      );
    }
    this.#beat({ stage, progress: String(progress) });
  }

  /**
   * Records the status (and an optional message). `running` also records this process's pid, so a
   * resumed run is shown as running again, and keeps the heartbeat fresh (every 10 s) until
   * `done`/`failed` or close().
   */
  setStatus(status: "running" | "done" | "failed", message?: string): void {
    if (status !== "running" && status !== "done" && status !== "failed") {
      throw new RangeError(
        `Cannot set status: it must be running, done or failed: current value is ${status}`,
      );
    }
    const values: Record<string, string> = { status, message: message ?? "" };
    if (status === "running") values.pid = String(Deno.pid);
    else values.finished_at = new Date().toISOString();
    this.#beat(values);
    if (status === "running") this.#startHeartbeat();
    else this.#stopHeartbeat();
  }

  /** Sets one meta key (a string value). */
  setMeta(key: string, value: string): void {
    if (typeof key !== "string" || typeof value !== "string") {
      throw new TypeError("Cannot set meta: key and value must be strings");
    }
    this.#setMetaMany({ [key]: value });
  }

  /** All meta keys and values. */
  meta(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.#stmt("SELECT key, value FROM meta").all()) {
      out[r.key as string] = r.value as string;
    }
    return out;
  }

  /** The status to display (see {@link deriveStatus}). */
  status(): RunStatus {
    return deriveStatus(this.meta());
  }

  /**
   * Records metric values of one step, one transaction. Keyed (stage, step, name): writing a step
   * again replaces it (a resumed run never duplicates a step); the replaced row gets a new rowid, so
   * readers following `afterRowId` see the new value. Non-finite values are stored as NULL and read
   * back as NaN.
   */
  metric(stage: string, step: number, values: Record<string, number>): void {
    if (!Number.isInteger(step)) {
      throw new RangeError(
        `Cannot record metric: step must be an integer: current value is ${step}`,
      );
    }
    const st = this.#stmt(
      "INSERT OR REPLACE INTO metrics (stage, step, name, value, time) VALUES (?, ?, ?, ?, ?)",
    );
    const now = Date.now();
    this.#tx(() => {
      for (const [name, v] of Object.entries(values)) {
        st.run(stage, step, name, Number.isFinite(v) ? v : null, now);
      }
    });
    this.#beat({}, false);
  }

  /** Metric rows ordered by rowid (insertion order), optionally of one stage and after a rowid. */
  metrics(opts: { stage?: string; afterRowId?: number; limit?: number } = {}): MetricRow[] {
    const after = opts.afterRowId ?? 0;
    const limit = opts.limit ?? -1;
    const rows = opts.stage === undefined
      ? this.#stmt(
        "SELECT rowid, stage, step, name, value, time FROM metrics WHERE rowid > ? ORDER BY rowid LIMIT ?",
      ).all(after, limit)
      : this.#stmt(
        "SELECT rowid, stage, step, name, value, time FROM metrics WHERE stage = ? AND rowid > ? ORDER BY rowid LIMIT ?",
      ).all(opts.stage, after, limit);
    return rows.map((r) => ({
      rowid: r.rowid as number,
      stage: r.stage as string,
      step: r.step as number,
      name: r.name as string,
      value: r.value === null ? NaN : r.value as number,
      time: r.time as number,
    }));
  }

  /** Deletes the metric rows of `stage` with a step greater than `step` (resume from a checkpoint). */
  deleteMetricsAfter(stage: string, step: number): void {
    this.#stmt("DELETE FROM metrics WHERE stage = ? AND step > ?").run(stage, step);
  }

  /** Appends an event (a log line shown on the run page). */
  event(level: "info" | "warn" | "error", stage: string, message: string): void {
    if (level !== "info" && level !== "warn" && level !== "error") {
      throw new RangeError(
        `Cannot record event: level must be info, warn or error: current value is ${level}`,
      );
    }
    this.#stmt("INSERT INTO events (time, level, stage, message) VALUES (?, ?, ?, ?)").run(
      Date.now(),
      level,
      String(stage),
      String(message),
    );
  }

  /** Events with id > `afterId`, oldest first (at most `limit`, default all). */
  events(afterId = 0, limit = -1): EventRow[] {
    return this.#stmt(
      "SELECT id, time, level, stage, message FROM events WHERE id > ? ORDER BY id LIMIT ?",
    ).all(afterId, limit).map((r) => ({
      id: r.id as number,
      time: r.time as number,
      level: r.level as string,
      stage: r.stage as string,
      message: r.message as string,
    }));
  }

  /**
   * Writes `checkpoints/<name>.safetensors` atomically (temp file, fsync, rename). `name` is one safe
   * segment (e.g. "ae_m0", "score"). Metadata values are strings.
   */
  saveCheckpoint(
    name: string,
    tensors: Record<string, CheckpointTensor>,
    metadata: Record<string, string> = {},
  ): void {
    this.#assertWritable("save checkpoint");
    validateSegment(name, "checkpoint name");
    writeFileAtomic(
      join(this.dir, "checkpoints", `${name}.safetensors`),
      encodeSafetensors(tensors, metadata),
    );
  }

  /**
   * Renames checkpoint `from` to `to` (replacing `to`): a stage whose output failed its sanity
   * checks sets its finished checkpoint aside, so a resumed run trains the stage again.
   */
  renameCheckpoint(from: string, to: string): void {
    this.#assertWritable("rename checkpoint");
    validateSegment(from, "checkpoint name");
    validateSegment(to, "checkpoint name");
    const dir = join(this.dir, "checkpoints");
    Deno.renameSync(join(dir, `${from}.safetensors`), join(dir, `${to}.safetensors`));
  }

  /**
   * Reads `checkpoints/<name>.safetensors`, or null when it does not exist. Non-F32 tensors are
   * converted to float32. Throws a TypeError naming the file when it is corrupt or truncated.
   */
  loadCheckpoint(
    name: string,
  ): { tensors: Record<string, CheckpointTensor>; metadata: Record<string, string> } | null {
    validateSegment(name, "checkpoint name");
    const path = join(this.dir, "checkpoints", `${name}.safetensors`);
    const bytes = readFileOrNull(path);
    if (bytes === null) return null;
    const file = decodeSafetensors(bytes, path);
    const tensors: Record<string, CheckpointTensor> = {};
    for (const [k, t] of Object.entries(file.tensors)) {
      tensors[k] = {
        shape: t.shape,
        data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data),
      };
    }
    return { tensors, metadata: file.metadata };
  }

  /**
   * Writes a file inside the run folder atomically. `relPath` is slash-separated, each segment safe
   * ([A-Za-z0-9._-]), e.g. "samples/recon_m0.png" or "report.json"; `run.sqlite*` is reserved.
   */
  writeFile(relPath: string, data: Uint8Array | string): void {
    this.#assertWritable("write file");
    const path = resolveInside(this.dir, relPath, "run file path");
    if (/^run\.sqlite/.test(relPath)) {
      throw new RangeError(`Cannot write file: ${relPath} is reserved for the run database`);
    }
    writeFileAtomic(path, data);
  }

  /** Reads a file inside the run folder, or null when absent (same path rules as writeFile). */
  readFile(relPath: string): Uint8Array | null {
    return readFileOrNull(resolveInside(this.dir, relPath, "run file path"));
  }

  #assertWritable(what: string): void {
    if (this.#readOnly) throw new TypeError(`Cannot ${what}: run ${this.id} was opened read-only`);
  }

  /**
   * Makes this process the run's only trainer: an exclusive advisory lock (flock) on
   * `trainer.lock`, held until close(). The operating system drops it when the process dies, even
   * by `kill -9`, so a killed trainer never leaves it stuck. Throws {@link RunBusyError} naming the
   * holder's pid when another live process holds it.
   */
  lockTrainer(): void {
    this.#assertWritable("lock the run for training");
    if (this.#lock) return;
    const path = join(this.dir, "trainer.lock");
    const f = Deno.openSync(path, { read: true, write: true, create: true });
    if (!f.tryLockSync(true)) {
      let holder = "";
      try {
        holder = Deno.readTextFileSync(path).trim();
      } catch { /* unreadable: name no pid */ }
      f.close();
      throw new RunBusyError(
        `Cannot train run ${this.id}: another trainer is writing it${
          holder ? ` (${holder})` : ""
        }: wait for it to finish, or stop it and then --resume ${this.id}`,
      );
    }
    f.truncateSync(0);
    f.writeSync(
      new TextEncoder().encode(`pid ${Deno.pid}, since ${new Date().toISOString()}\n`),
    );
    this.#lock = f;
  }

  /**
   * Closes the database. The store must not be used afterwards. A writer whose run has finished
   * (done or failed) first folds the WAL into the database and leaves WAL mode, so the finished run
   * is one self-contained file that opens from a read-only folder (an archive, a colleague's copy).
   * Best effort: a reader holding the database open keeps it in WAL mode, which is still correct.
   */
  close(): void {
    this.#stopHeartbeat();
    this.#stmts.clear();
    if (this.#lock) {
      this.#lock.close(); // releases the flock
      this.#lock = null;
    }
    if (!this.#db.isOpen) return;
    if (!this.#readOnly) {
      const status = this.#db.prepare("SELECT value FROM meta WHERE key = 'status'").get()?.value;
      if (status === "done" || status === "failed") {
        try {
          this.#db.exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;");
        } catch { /* busy: a reader has it open; WAL mode stays, the data is in the WAL */ }
      }
    }
    this.#db.close();
  }
}

/** One row of the runs list. */
export interface RunSummary {
  id: string;
  status: RunStatus;
  preset: string;
  stage: string;
  progress: number;
  backend: string;
  /** ISO 8601, UTC. */
  startedAt: string;
  /** Unix ms of the last heartbeat. */
  heartbeat: number;
  message: string;
  /** A few headline numbers from report.json (empty before the report exists). */
  keyMetrics: Record<string, number>;
  /** Set when the run folder could not be read; status is then "failed". */
  error?: string;
}

/**
 * Headline numbers of a report.json: per method the coherence given the most modalities
 * ("sbm-ae coh@4"), the mean classifier accuracy ("classifier acc"), the wall time ("wall s").
 * Missing keys are skipped.
 */
export function keyMetricsOf(report: Report | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (!report) return out;
  for (const [name, m] of Object.entries(report.methods)) {
    const top = Object.keys(m.coherence_by_given).filter((k) => /^\d+$/.test(k))
      .sort((a, b) => Number(a) - Number(b)).at(-1);
    if (top !== undefined) out[`${name} coh@${top}`] = m.coherence_by_given[top];
  }
  const acc = report.classifier_accuracy.filter((x): x is number => x !== null);
  if (acc.length > 0) out["classifier acc"] = acc.reduce((a, b) => a + b, 0) / acc.length;
  out["wall s"] = report.wall_seconds;
  return out;
}

/**
 * Reads `report.json` of a run folder as a {@link Report}; null when absent, not valid JSON, or not
 * shaped like a report.
 */
export function readReport(dir: string): Report | null {
  const bytes = readFileOrNull(join(dir, "report.json"));
  if (bytes === null) return null;
  try {
    return parseReport(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    return null;
  }
}

/** Summarizes one run folder (opened read-only). */
export function summarizeRun(root: string, id: string, now = Date.now()): RunSummary {
  let meta: Record<string, string> = {};
  let error: string | undefined;
  let dir = join(resolve(root), id);
  try {
    const store = RunStore.open(root, id, { readOnly: true });
    dir = store.dir;
    try {
      meta = store.meta();
    } finally {
      store.close();
    }
  } catch (e) {
    error = (e as Error).message;
  }
  return {
    id,
    status: error ? "failed" : deriveStatus(meta, now),
    preset: meta.preset ?? "",
    stage: meta.stage ?? "",
    progress: Number(meta.progress ?? 0),
    backend: meta.backend ?? "",
    startedAt: meta.started_at ?? "",
    heartbeat: Number(meta.heartbeat ?? 0),
    message: error ?? meta.message ?? "",
    keyMetrics: error ? {} : keyMetricsOf(readReport(dir)),
    ...(error ? { error } : {}),
  };
}

/**
 * Every run under `root` (folders with a valid id holding `run.sqlite`), newest first. A missing root
 * gives an empty list; a run that cannot be read is listed as failed with `error` set.
 */
export function listRuns(root: string): RunSummary[] {
  const ids: string[] = [];
  try {
    for (const e of Deno.readDirSync(root)) {
      if (!e.isDirectory) continue;
      try {
        validateSegment(e.name, "run id");
        Deno.statSync(join(root, e.name, "run.sqlite"));
        ids.push(e.name);
      } catch {
        // Not a run folder.
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  const now = Date.now();
  return ids.map((id) => summarizeRun(root, id, now)).sort((a, b) =>
    b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id)
  );
}

/** The `__metadata__` of a safetensors file from its header alone; `{}` when unreadable. */
function readSafetensorsMetadata(path: string): Record<string, string> {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(path, { read: true });
  } catch {
    return {};
  }
  try {
    const len = new Uint8Array(8);
    if (f.readSync(len) !== 8) return {};
    const n = Number(new DataView(len.buffer).getBigUint64(0, true));
    if (!(n > 0 && n <= 1 << 24)) return {};
    const header = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const r = f.readSync(header.subarray(off));
      if (r === null || r === 0) return {};
      off += r;
    }
    const parsed = JSON.parse(new TextDecoder().decode(header));
    return (parsed?.__metadata__ ?? {}) as Record<string, string>;
  } catch {
    return {};
  } finally {
    f.close();
  }
}
