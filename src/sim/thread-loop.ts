/**
 * The simulator's thread loop (a thread that is not a frame thread): think,
 * pick an op by weight, run it `repeat` times; with its op table, its think
 * times and gaps, and the effects it reuses.
 */
import {
  Cost, cpu, fatal_signal_pending, mutableCall, mutableSleep, sleep, type CallEffect, type CpuEffect, type Effect, type KPath, type SleepEffect,
} from '../model/index.js';
import { doubleFields } from '../model/shapes.js';
import type { Law, ThreadSpec } from '../scenario/types.js';
import type { Simulator, SimTask, TaskLoop } from './engine.js';
import { type CompiledFault, FAST_NONE, UserFault } from './user-fault.js';
import type { Workload } from './workload.js';

/** Where ThreadLoop.next resumes. */
const T_START = 0, T_STARTED = 1, T_THOUGHT = 2, T_GAPPED = 3, T_OP_CALLED = 4, T_FAULT = 5, T_EXIT = 6, T_DONE = 7, T_FAULT_RELEASED = 8, T_OP_RELEASED = 9;

/**
 * The CPU step an op ends with when its lock releases are not charged yet
 * (SimTask.lockNs: vma_end_read's or mmap_read_unlock's atomic, on the
 * fault's CPU before it returns to user space): no cost of its own (n = 0),
 * the engine adds the task's lockNs. Yielded only while the simulator's
 * lock-line hook is installed (Cost.lock_atomic or Cost.cacheline_transfer
 * set), so the built-in runs are unchanged.
 */
const LOCK_RELEASE_CPU: CpuEffect = cpu(Cost.lock_atomic, 0);

/**
 * A thread's loop (Simulator.spawnLoop): think, pick an op by weight, run it
 * `repeat` times, until a fatal signal; then do_exit (Workload.threadExit).
 * It is the generator it replaced written as a resumable object: `next(v)`
 * returns the effect the generator yielded, in the same order, with the same
 * draws. A generator's suspend and resume, and the result object of every
 * `yield`, were the largest cost of the reference bench's hot loop left that
 * the model does not decide (bench/README.md, tenth session).
 */
export class ThreadLoop implements TaskLoop {
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
  /** Where next() resumes (T_*), and the op being run: its index, fault, repeat count, gap and repeat. */
  private at = T_START;
  private op = 0;
  private fault: CompiledFault | null = null;
  private repeat = 0;
  private gapLaw: Law | null = null;
  private rep = 0;
  /** The fault's VM_FAULT bits while its release step runs (T_FAULT_RELEASED). */
  private faultRet = 0;
  constructor(private readonly w: Workload, private readonly task: SimTask, private readonly th: ThreadSpec) {
    this.uf = new UserFault(w, task);
    this.sim = w.sim;
    this.cum = w.cumWeights.get(th)!;
    this.faults = th.ops.map((o) => (o.op === 'fault' ? w.faults.get(o)! : null));
    this.repeats = Int32Array.from(th.ops, (o) => o.repeat);
    this.gaps = th.ops.map((o) => o.gap);
    this.nops = th.ops.length;
    this.thinkMean = th.think.law === 'exponential' ? th.think.mean : -1;
    // The sleep asked for is a fraction once a law draws one: a double from the first thread on (model/shapes.ts).
    doubleFields(this, ['askedNs']);
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

  /**
   * The thread's next effect, `v` being what its last one returned (a
   * CALL's path's return value); null when it has exited.
   */
  next(v: unknown): Effect | null {
    const task = this.task, uf = this.uf;
    switch (this.at) {
      case T_FAULT: { // a user page fault: the fast path's next step (user-fault.ts), or its end
        while (uf.fastStage !== FAST_NONE) {
          const c = uf.fastNext(v);
          if (typeof c !== 'number') return c;
          v = c;
        }
        if (task.lockNs !== 0) { // the release's atomic, before the fault returns (sim/lock-line.ts)
          this.faultRet = v as number;
          this.at = T_FAULT_RELEASED;
          return LOCK_RELEASE_CPU;
        }
        uf.end(v as number);
        return this.afterOp();
      }
      case T_FAULT_RELEASED:
        uf.end(this.faultRet);
        return this.afterOp();
      case T_THOUGHT:
        if (this.thinkEffect.ns > 0) {
          uf.slept = true;
          uf.sleptNs = this.askedNs;
        }
        if (fatal_signal_pending(task)) return this.exit();
        this.pickOp();
        return this.repeatOp();
      default:
        return ThreadLoop.RESUME[this.at]!(this);
    }
  }

  /*
   * The other states, each resumed by a function of its own through one call
   * site (RESUME, by state): a state first met after TurboFan compiled
   * next() (a start delay, the first gap or non-fault op, an exit: some only
   * in a later run) no longer throws next() away for its missing type
   * feedback; once two states have been met the call is generic and none is
   * inlined into next().
   */
  private static resumeStart(l: ThreadLoop): Effect | null {
    if (l.th.start > 0) {
      l.at = T_STARTED;
      return sleep(l.th.start);
    }
    return l.started();
  }
  private static resumeStarted(l: ThreadLoop): Effect | null {
    return l.started();
  }
  private static resumeOpCalled(l: ThreadLoop): Effect | null {
    l.uf.slept = false;
    if (l.task.lockNs !== 0) { // the release's atomic, before the op returns (sim/lock-line.ts)
      l.at = T_OP_RELEASED;
      return LOCK_RELEASE_CPU;
    }
    return l.afterOp();
  }
  private static resumeOpReleased(l: ThreadLoop): Effect | null {
    return l.afterOp();
  }
  private static resumeGapped(l: ThreadLoop): Effect | null {
    const uf = l.uf;
    uf.slept = true;
    uf.sleptNs = l.askedNs;
    if (fatal_signal_pending(l.task)) return l.exit();
    return l.runOp();
  }
  private static resumeExit(l: ThreadLoop): Effect | null {
    l.at = T_DONE;
    return l.call(l.w.threadExit());
  }
  private static resumeDone(): Effect | null {
    return null;
  }
  /** By T_* (T_THOUGHT, T_FAULT and T_FAULT_RELEASED are next()'s own: they never come here). */
  private static readonly RESUME: ReadonlyArray<(l: ThreadLoop) => Effect | null> = [
    ThreadLoop.resumeStart, ThreadLoop.resumeStarted, ThreadLoop.resumeDone, ThreadLoop.resumeGapped,
    ThreadLoop.resumeOpCalled, ThreadLoop.resumeDone, ThreadLoop.resumeExit, ThreadLoop.resumeDone,
    ThreadLoop.resumeDone, ThreadLoop.resumeOpReleased,
  ];

  /** After the thread's start: exit if killed (back to user mode and exit), else the first think time. */
  private started(): Effect | null {
    if (fatal_signal_pending(this.task)) return this.exit();
    this.at = T_THOUGHT;
    return this.think();
  }

  /** The op to run next, by weight, and its table entries. */
  private pickOp(): void {
    const i = this.pick();
    this.op = i;
    this.fault = this.faults[i]!;
    this.repeat = this.repeats[i]!;
    this.gapLaw = this.gaps[i]!;
    this.rep = 0;
  }

  /** The op's next repeat (its gap first), or the next think time after the last. */
  private repeatOp(): Effect | null {
    if (this.rep >= this.repeat) {
      this.at = T_THOUGHT;
      return this.think();
    }
    if (this.rep > 0 && this.gapLaw !== null) {
      this.at = T_GAPPED;
      return this.gap(this.gapLaw);
    }
    return this.runOp();
  }

  /** One run of the op: a fault on the thread's stack, or the CALL of another op's path. */
  private runOp(): Effect | null {
    const fault = this.fault;
    if (fault === null) {
      this.at = T_OP_CALLED;
      return this.call(this.w.runOp(this.task, this.th.ops[this.op]!, this.sim, this.uf.slept));
    }
    this.at = T_FAULT;
    return this.uf.begin(fault);
  }

  /** An op's run ended: exit on a fatal signal, else the next repeat. */
  private afterOp(): Effect | null {
    if (fatal_signal_pending(this.task)) return this.exit();
    this.rep++;
    return this.repeatOp();
  }

  /** The loop ended (a fatal signal): do_exit (Workload.threadExit) as a CALL, then nothing. */
  private exit(): Effect | null {
    this.at = T_EXIT;
    return this.next(undefined);
  }
}
