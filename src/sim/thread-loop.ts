/**
 * The per-thread state of the simulator's thread loop (Workload.thread, in
 * workload.ts): its op table, its think times and gaps, and the effects it
 * reuses. Moved out of workload.ts whole.
 */
import { mutableCall, mutableSleep, type CallEffect, type KPath, type SleepEffect } from '../model/index.js';
import type { Law, ThreadSpec } from '../scenario/types.js';
import type { Simulator, SimTask } from './engine.js';
import { type CompiledFault, UserFault } from './user-fault.js';
import type { Workload } from './workload.js';

/** The per-thread state of Workload.thread (outside the generator, see UserFault). */
export class ThreadLoop {
  readonly uf: UserFault;
  readonly faults: Array<CompiledFault | null>;
  /**
   * Each op's `repeat` and `gap`, read here rather than from the op specs:
   * those have a shape per kind of op, and the thread loop read them at
   * every op (a deoptimisation whenever an op of a new shape came up).
   */
  readonly repeats: Int32Array;
  readonly gaps: Array<Law | null>;
  private readonly cum: Float64Array;
  private readonly nops: number;
  /** One mutable sleep effect per thread: engines read `ns` as soon as it is yielded. */
  private readonly thinkEffect = mutableSleep();
  /** The same for the gaps between an op's repeats. */
  private readonly gapEffect = mutableSleep();
  /** Reused CALL effect for ops other than faults (engines push `path` as soon as it is yielded). */
  private readonly opCall = mutableCall();

  /** Its think times and gaps are timer sleeps (Simulator.timerSleep: Cost.timer_wakeup, Cost.hrtimer_irq). */
  private readonly sim: Simulator;
  constructor(w: Workload, private readonly task: SimTask, private readonly th: ThreadSpec) {
    this.uf = new UserFault(w, task);
    this.sim = w.sim;
    this.cum = w.cumWeights.get(th)!;
    this.faults = th.ops.map((o) => (o.op === 'fault' ? w.faults.get(o)! : null));
    this.repeats = Int32Array.from(th.ops, (o) => o.repeat);
    this.gaps = th.ops.map((o) => o.gap);
    this.nops = th.ops.length;
    this.thinkMean = th.think.law === 'exponential' ? th.think.mean : -1;
  }
  /** The think time's mean when it is exponential (Rng.exponential, the same draw), else -1. */
  private readonly thinkMean: number;
  /** User-space think time before the next op. */
  think(): SleepEffect {
    const mean = this.thinkMean;
    this.askedNs = mean >= 0 ? this.task.rng.exponential(mean) : this.task.rng.draw(this.th.think);
    this.thinkEffect.ns = this.sim.timerSleep(this.task, this.askedNs);
    return this.thinkEffect;
  }
  /**
   * The sleep the last think time or gap asked for, ns (before the timer's
   * lateness, as the `*-after-sleep` benches' S is: a refill curve is read at it).
   */
  askedNs = 0;
  /** The last think time drawn, ns. */
  get thinkNs(): number {
    return this.thinkEffect.ns;
  }
  /** The gap before a repeat of an op: a draw from its `gap` law. */
  gap(law: Law): SleepEffect {
    this.askedNs = this.task.rng.draw(law);
    this.gapEffect.ns = this.sim.timerSleep(this.task, this.askedNs);
    return this.gapEffect;
  }
  /** The effect that runs `path` (an op other than a fault) on the thread's stack. */
  call(path: KPath): CallEffect {
    this.opCall.path = path;
    return this.opCall;
  }
  /** Index of the next op, by weight. */
  pick(): number {
    return this.nops === 1 ? 0 : this.task.rng.pick(this.cum);
  }
}
