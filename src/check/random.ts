/**
 * Random scheduling: each step runs a uniformly chosen runnable task and each
 * data choice is uniform. Seeded; the same seed explores the same executions.
 * No coverage guarantee: it samples schedules (PCT, ./pct.ts, gives one).
 */
import { Prng } from './prng.js';
import type { Schedule } from './schedule.js';
import type { Scheduler, ThreadId } from './scheduler.js';

export class RandomScheduler implements Scheduler {
  readonly wantsFootprints = false;
  private readonly rng: Prng;
  private n = 0;
  constructor(seed: number, private readonly iterations: number, private readonly mask: readonly number[]) {
    this.rng = new Prng(seed);
  }
  newExecution(): Schedule | null {
    if (this.n++ >= this.iterations) return null;
    return { mask: this.mask, steps: [] };
  }
  nextThread(runnable: readonly ThreadId[]): ThreadId | null {
    return runnable[this.rng.below(runnable.length)]!;
  }
  nextChoice(n: number): number {
    return this.rng.below(n);
  }
}
