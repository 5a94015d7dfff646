/**
 * What a bounded bug-hunting pass (./hunt.ts) of the stateful DFS (./dfs.ts)
 * explored exactly: per visited-state entry its 64-bit hash and whether any
 * exploration of it was inexact (the preemption bound removed an option in
 * its subtree, or the subtree was cut at an inexact state), and the finished
 * exact explorations with their sleep sets. The pass after it starts from
 * these (docs/checker.md, "Bug hunting before the complete search").
 */
import type { SleepMask } from './state.js';

export interface ExactState {
  readonly a: number;
  readonly b: number;
  /** Entry number in the pass that explored it. */
  readonly entry: number;
  readonly sleep: SleepMask;
}

export class ExactLog {
  private readonly ha: number[] = [];
  private readonly hb: number[] = [];
  private readonly inexact: boolean[] = [];
  /** Finished exact explorations: entry number and sleep mask, in order. */
  private readonly log: number[] = [];

  /** Entry `n` of the visited table has hash (a, b) (entries are numbered in order). */
  note(n: number, a: number, b: number): void {
    if (n < this.ha.length) return;
    this.ha[n] = a;
    this.hb[n] = b;
  }

  /** An exploration of entry `n` with sleep set `sleep` finished, exactly or not. */
  finished(n: number, sleep: SleepMask, exact: boolean): void {
    if (exact) this.log.push(n, sleep);
    else this.inexact[n] = true;
  }

  /** An exploration of entry `n` was cut short inexactly before it started (no option left within the bound). */
  markInexact(n: number): void {
    this.inexact[n] = true;
  }

  isInexact(n: number): boolean {
    return this.inexact[n] === true;
  }

  /** The exact explorations of states never explored inexactly, in order. */
  *states(): Generator<ExactState> {
    for (let k = 0; k < this.log.length; k += 2) {
      const n = this.log[k]!;
      if (this.inexact[n] === true) continue;
      yield { a: this.ha[n]!, b: this.hb[n]!, entry: n, sleep: this.log[k + 1]! };
    }
  }
}
