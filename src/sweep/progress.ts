/**
 * Progress of many runs on stderr: runs done / total, simulated time done,
 * and an ETA, rewriting one line. Shown only when stderr is a terminal and the
 * work has taken more than a second; silent otherwise. Wall-clock time never
 * reaches stdout.
 */

export interface ProgressIo {
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Wall clock in ms. */
  now(): number;
}

const SHOW_AFTER_MS = 1000;
/** Redraw at most this often. */
const REDRAW_MS = 200;

export function wallTime(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(1)}s` : s < 120 ? `${Math.round(s)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** Simulated ns, compact: 850ms, 12.0s, 1234s. */
function simulated(ns: number): string {
  const s = ns / 1e9;
  return s < 1 ? `${Math.round(ns / 1e6)}ms` : s < 100 ? `${s.toFixed(1)}s` : `${Math.round(s)}s`;
}

export class RunProgress {
  private readonly start: number;
  private shown = false;
  private done: number;
  private doneHere = 0;
  private simNs = 0;
  private lastDraw = -Infinity;

  /**
   * `total` runs, `already` of which were done before (a resumed sweep: they
   * count as done but not in the rate the ETA is computed from).
   */
  constructor(private readonly io: ProgressIo, private readonly total: number, already = 0, private readonly what = 'runs') {
    this.start = io.now();
    this.done = already;
  }

  /** One more run finished, having simulated `ns`. */
  tick(ns: number): void {
    this.done++;
    this.doneHere++;
    this.simNs += ns;
    if (this.io.stderr.isTTY !== true) return;
    const now = this.io.now();
    const elapsed = now - this.start;
    if (elapsed < SHOW_AFTER_MS || this.done >= this.total || now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const eta = (elapsed / this.doneHere) * (this.total - this.done);
    this.io.stderr.write(`\r\x1b[Kfaultline: ${this.done}/${this.total} ${this.what}, ${simulated(this.simNs)} simulated, ETA ${wallTime(eta)}`);
    this.shown = true;
  }

  /** Clear the progress line; on a terminal, report the wall time of a long run. */
  end(): void {
    if (this.io.stderr.isTTY !== true) return;
    const elapsed = this.io.now() - this.start;
    if (this.shown) this.io.stderr.write('\r\x1b[K');
    if (elapsed >= SHOW_AFTER_MS) {
      this.io.stderr.write(`faultline: ${this.doneHere} ${this.what} (${simulated(this.simNs)} simulated) in ${wallTime(elapsed)} (wall clock)\n`);
    }
  }
}
