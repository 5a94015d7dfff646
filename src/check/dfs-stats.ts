/**
 * What the exhaustive search's reduction spends its executions on (./dfs.ts;
 * docs/checker.md, "Where DPOR's executions go"): how executions end, and
 * what becomes of the options DPOR adds to backtrack sets. Counts only: the
 * search decides nothing from them.
 */

export interface DporCounts {
  /** Options added to a level's backtrack set after its first (races found on the executed path). */
  added: number;
  /** Of those, options added by the races of a pruned state's summary (state caching). */
  addedPruned: number;
  /** Added options never run: asleep at their level when it was finished. */
  asleep: number;
  /** Added options run, and of those the ones whose whole subtree ended only in sleep-set-blocked executions. */
  explored: number;
  exploredBlockedOnly: number;
}

export class DporStats implements DporCounts {
  added = 0;
  addedPruned = 0;
  /** Precise cut summaries (./cut-tree.ts): races of cut states whose initials a walk found, and those it left to the coarse rule. */
  precise = 0;
  preciseFallback = 0;
  /** Of the races left to the coarse rule: the walk's budget ran out; it reached a state not known (or a step that led nowhere stored); a task id above 30. */
  readonly fallbackWhy = { budget: 0, unknown: 0, wide: 0 };
  asleep = 0;
  explored = 0;
  exploredBlockedOnly = 0;
  /** Levels below this index have seen an execution that was not blocked by its sleep set since their option was taken. */
  private usefulBelow = 0;
  /** Per level: its first option (not added by a race). */
  private readonly first: number[] = [];

  /** A level was pushed at index `i` with first option `u`. */
  pushed(i: number, u: number): void {
    this.first[i] = u;
    if (this.usefulBelow > i) this.usefulBelow = i;
  }

  /** An execution ended; `sleepBlocked`: every runnable task was asleep. */
  ended(depth: number, sleepBlocked: boolean): void {
    if (!sleepBlocked) this.usefulBelow = depth;
  }

  /** Level `i`'s option `u` is finished (its subtree explored). */
  finished(i: number, u: number): void {
    if (u !== this.first[i]) {
      this.explored++;
      if (this.usefulBelow <= i) this.exploredBlockedOnly++;
    }
    if (this.usefulBelow > i) this.usefulBelow = i;
  }

  /** Level `i` is dropped; `left`: options in its backtrack set never run. */
  dropped(left: number): void {
    this.asleep += left;
  }

  counts(): DporCounts {
    const { added, addedPruned, asleep, explored, exploredBlockedOnly } = this;
    return { added, addedPruned, asleep, explored, exploredBlockedOnly };
  }
}
