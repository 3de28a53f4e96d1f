/**
 * A progress bar per stage on stderr: done/total, rate, ETA and the latest metrics. On a terminal
 * it redraws one line; elsewhere (CI logs, files) it prints a line at most every few seconds.
 */

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`
    : `${Math.floor(m / 60)}h${m % 60}m`;
}

/** Progress of one stage. */
export class Progress {
  readonly #start = performance.now();
  #lastPrint = 0;
  #done = 0;
  #note = "";
  readonly #tty: boolean;
  readonly #enc = new TextEncoder();

  constructor(
    readonly label: string,
    readonly total: number,
    readonly unit = "it",
    readonly quiet = false,
  ) {
    this.#tty = !quiet && Deno.stderr.isTerminal();
  }

  /** Sets the number of completed units (and an optional note such as the latest loss). */
  update(done: number, note?: string): void {
    this.#done = done;
    if (note !== undefined) this.#note = note;
    const now = performance.now();
    if (this.quiet || done >= this.total) return; // finish() prints the last line
    if (now - this.#lastPrint < (this.#tty ? 200 : 5000)) return;
    this.#lastPrint = now;
    this.#print(false);
  }

  /** Prints the final line of the stage. */
  finish(note?: string): void {
    if (note !== undefined) this.#note = note;
    if (!this.quiet) this.#print(true);
  }

  /** Seconds since the stage started. */
  get elapsed(): number {
    return (performance.now() - this.#start) / 1000;
  }

  #print(final: boolean): void {
    const el = this.elapsed;
    const rate = this.#done / Math.max(el, 1e-9);
    const eta = (this.total - this.#done) / Math.max(rate, 1e-9);
    const frac = this.total > 0 ? this.#done / this.total : 1;
    const width = 20, fill = Math.round(frac * width);
    const bar = "█".repeat(fill) + "░".repeat(width - fill);
    const line = `${this.label.padEnd(18)} ${bar} ${this.#done}/${this.total} ${this.unit} ` +
      `${rate.toFixed(1)} ${this.unit}/s ` +
      (final ? `in ${fmtDuration(el)}` : `ETA ${fmtDuration(eta)}`) +
      (this.#note ? `  ${this.#note}` : "");
    const text = this.#tty ? `\r\x1b[2K${line}${final ? "\n" : ""}` : `${line}\n`;
    Deno.stderr.writeSync(this.#enc.encode(text));
  }
}
