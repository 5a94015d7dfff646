/**
 * Replay. `ReplayScheduler` reruns exactly one schedule and refuses to guess:
 * if the scheduled task is not runnable, if a data choice and a task step
 * trade places, or if the schedule ends while tasks can still run, it throws a
 * `ReplayDivergence` naming the step, the expected task and the runnable set.
 * `LenientReplay` (for shrinking) skips entries that do not apply and stops
 * when the list runs out.
 */
import type { Schedule, ScheduleStep } from './schedule.js';
import type { Scheduler, ThreadId } from './scheduler.js';

export class ReplayDivergence extends Error {
  override readonly name = 'ReplayDivergence';
}

export class ReplayScheduler implements Scheduler {
  readonly wantsFootprints = false;
  private i = 0;
  private started = false;
  private nstep = 0;
  private nameOf: (id: ThreadId) => string = (id) => `#${id}`;
  constructor(private readonly schedule: Schedule) {}
  bindNames(nameOf: (id: ThreadId) => string): void {
    this.nameOf = nameOf;
  }
  newExecution(): Schedule | null {
    if (this.started) return null;
    this.started = true;
    return { mask: this.schedule.mask, steps: [] };
  }
  /** All entries were used. */
  get finished(): boolean {
    return this.i >= this.schedule.steps.length;
  }
  nextThread(runnable: readonly ThreadId[]): ThreadId | null {
    const st: ScheduleStep | undefined = this.schedule.steps[this.i];
    const set = `{${runnable.map(this.nameOf).join(', ')}}`;
    this.nstep++;
    if (st === undefined) {
      throw new ReplayDivergence(`replay diverged at step ${this.nstep}: the schedule ended, but tasks are still runnable ${set}`);
    }
    if (st.k !== 't') {
      throw new ReplayDivergence(`replay diverged at step ${this.nstep}: the schedule has a data choice (${st.v}) where a task step is due (runnable ${set})`);
    }
    if (!runnable.includes(st.id)) {
      throw new ReplayDivergence(`replay diverged at step ${this.nstep}: the schedule runs ${this.nameOf(st.id)}, which is not runnable (runnable ${set})`);
    }
    this.i++;
    return st.id;
  }
  nextChoice(n: number): number {
    const st = this.schedule.steps[this.i];
    if (st === undefined || st.k !== 'c') {
      throw new ReplayDivergence(`replay diverged at step ${this.nstep}: the model asks for a data choice among ${n}, but the schedule ${st === undefined ? 'has ended' : `runs ${this.nameOf(st.id)} next`}`);
    }
    if (st.v >= n) throw new ReplayDivergence(`replay diverged at step ${this.nstep}: data choice ${st.v} is out of range (${n} options)`);
    this.i++;
    return st.v;
  }
}

export class LenientReplay implements Scheduler {
  readonly wantsFootprints = false;
  private i = 0;
  private started = false;
  constructor(private readonly schedule: Schedule) {}
  newExecution(): Schedule | null {
    if (this.started) return null;
    this.started = true;
    return { mask: this.schedule.mask, steps: [] };
  }
  nextThread(runnable: readonly ThreadId[]): ThreadId | null {
    const steps = this.schedule.steps;
    while (this.i < steps.length) {
      const st = steps[this.i++]!;
      if (st.k === 't' && runnable.includes(st.id)) return st.id;
    }
    return null;
  }
  nextChoice(n: number): number {
    const st = this.schedule.steps[this.i];
    if (st !== undefined && st.k === 'c') {
      this.i++;
      return Math.min(st.v, n - 1);
    }
    return 0;
  }
}
