/**
 * PCT, probabilistic concurrency testing: S. Burckhardt, P. Kothari,
 * M. Musuvathi, S. Nagarakatte, "A Randomized Scheduler with Probabilistic
 * Guarantees of Finding Bugs", ASPLOS 2010 (as in Shuttle's pct.rs and
 * Coyote's PCT strategy).
 *
 * Each execution gives every task a random priority (>= depth) when it first
 * becomes runnable, and picks depth-1 change points among the first k steps.
 * Each step runs the runnable task of highest priority; at the i-th change
 * point that task's priority drops to depth-1-i (below every initial one).
 * For a bug of depth d <= depth, one execution finds it with probability at
 * least 1/(n * k^(d-1)) (n tasks, k steps).
 */
import { Prng } from './prng.js';
import type { Schedule } from './schedule.js';
import type { Scheduler, ThreadId } from './scheduler.js';

export class PctScheduler implements Scheduler {
  readonly wantsFootprints = false;
  private readonly rng: Prng;
  private n = 0;
  /** Priority of each task seen in this execution (higher runs first). */
  private prio = new Map<ThreadId, number>();
  /** Steps (1-based) at which the running task's priority drops; index i -> priority depth-1-i. */
  private changeAt: number[] = [];
  private step = 0;
  /** Upper estimate of steps per execution (k), updated from the longest execution seen. */
  private k = 64;
  /** Most tasks seen in one execution (n in the bound). */
  maxTasks = 0;

  constructor(seed: number, private readonly iterations: number, readonly depth: number, private readonly mask: readonly number[]) {
    if (depth < 1) throw new RangeError('PCT depth must be >= 1');
    this.rng = new Prng(seed);
  }

  newExecution(): Schedule | null {
    if (this.step > this.k) this.k = this.step;
    this.maxTasks = Math.max(this.maxTasks, this.prio.size);
    if (this.n++ >= this.iterations) return null;
    this.prio = new Map();
    this.step = 0;
    const pts = new Set<number>();
    while (pts.size < Math.min(this.depth - 1, this.k)) pts.add(1 + this.rng.below(this.k));
    this.changeAt = [...pts];
    return { mask: this.mask, steps: [] };
  }

  nextThread(runnable: readonly ThreadId[]): ThreadId | null {
    this.step++;
    for (const t of runnable) if (!this.prio.has(t)) this.prio.set(t, this.depth + this.rng.random() * 1e6);
    let best = this.highest(runnable);
    const i = this.changeAt.indexOf(this.step);
    if (i >= 0) {
      this.prio.set(best, this.depth - 1 - i);
      best = this.highest(runnable);
    }
    return best;
  }

  private highest(runnable: readonly ThreadId[]): ThreadId {
    let best = runnable[0]!;
    for (const t of runnable) if (this.prio.get(t)! > this.prio.get(best)!) best = t;
    return best;
  }

  nextChoice(n: number): number {
    return this.rng.below(n);
  }

  /** The step estimate k used for change points. */
  get steps(): number {
    return this.k;
  }

  /** Lower bound on the probability that one execution finds a bug of depth `d` (PCT theorem). */
  bound(d = this.depth): number {
    return 1 / (Math.max(1, this.maxTasks) * Math.pow(this.k, d - 1));
  }
}
