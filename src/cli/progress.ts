/**
 * Progress on stderr: runs done / total and an ETA, rewriting one line. Shown
 * only when stderr is a terminal and the work has taken more than a second;
 * silent otherwise. Wall-clock time never reaches stdout.
 */
import type { CliIo } from './io.js';

const SHOW_AFTER_MS = 1000;

function seconds(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(1)}s` : s < 120 ? `${Math.round(s)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

export class Progress {
  private readonly start: number;
  private shown = false;
  private done = 0;

  constructor(private readonly io: CliIo, private readonly total: number) {
    this.start = io.now();
  }

  /** One more run finished. */
  tick(): void {
    this.done++;
    if (this.io.stderr.isTTY !== true) return;
    const elapsed = this.io.now() - this.start;
    if (elapsed < SHOW_AFTER_MS || this.done >= this.total) return;
    const eta = (elapsed / this.done) * (this.total - this.done);
    this.io.stderr.write(`\r\x1b[Kfaultline: ${this.done}/${this.total} runs, ETA ${seconds(eta)}`);
    this.shown = true;
  }

  /** Clear the progress line; on a terminal, report the wall time of a long run. */
  end(): void {
    if (this.io.stderr.isTTY !== true) return;
    const elapsed = this.io.now() - this.start;
    if (this.shown) this.io.stderr.write('\r\x1b[K');
    if (elapsed >= SHOW_AFTER_MS) this.io.stderr.write(`faultline: ${this.total} runs in ${seconds(elapsed)} (wall clock)\n`);
  }
}
