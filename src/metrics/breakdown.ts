/**
 * Time breakdown: where threads' time inside ops goes. Each task is in one
 * state at a time (running on a CPU, queued for one, blocked on a wait class,
 * or none of these); time in a state counts when the task is inside an op and
 * after warm-up. `other` is op time in no state (0 unless a path sleeps).
 */
import type { PriorityClass } from '../scenario/types.js';
import { doubleArray, doubleFields, objectArray } from '../model/shapes.js';
import { TIME_CATEGORIES, type ClassBreakdown, type TimeCategory } from './types.js';

/** Index in TIME_CATEGORIES; -1 = no state. */
type State = number;
const OTHER = TIME_CATEGORIES.indexOf('other');

interface TaskTime {
  /** The totals of the task's class. */
  ct: ClassTime;
  inOp: boolean;
  opStart: number;
  state: State;
  since: number;
}

interface ClassTime {
  opTime: number;
  ns: number[];
}

const TASK_TIMES = ['opStart', 'since'] as const;
const CLASS_TIMES = ['opTime'] as const;

export class TimeBreakdown {
  private readonly tasks: Array<TaskTime | undefined> = objectArray();
  private readonly classes = new Map<PriorityClass, ClassTime>();

  constructor(private readonly warmup: number) {}

  opBegin(t: number, id: number, cls: PriorityClass): void {
    const k = this.task(id, cls, t);
    this.account(k, t);
    k.inOp = true;
    k.opStart = t;
  }

  opEnd(t: number, id: number, cls: PriorityClass): void {
    const k = this.task(id, cls, t);
    this.account(k, t);
    this.closeOp(k, t);
  }

  /** The task enters `cat` (null: no state) at `t`. */
  enter(t: number, id: number, cls: PriorityClass, cat: TimeCategory | null): void {
    const k = this.task(id, cls, t);
    this.account(k, t);
    k.state = cat === null ? -1 : TIME_CATEGORIES.indexOf(cat);
    k.since = t;
  }

  /** Close every open op and state at the end of the run. */
  finish(t: number): void {
    for (const k of this.tasks) {
      if (k === undefined) continue;
      this.account(k, t);
      this.closeOp(k, t);
      k.since = t;
    }
  }

  result(classes: readonly PriorityClass[]): Partial<Record<PriorityClass, ClassBreakdown>> {
    const out: Partial<Record<PriorityClass, ClassBreakdown>> = {};
    for (const cls of classes) {
      const c = this.cls(cls);
      const ns = {} as Record<TimeCategory, number>;
      let known = 0;
      TIME_CATEGORIES.forEach((cat, i) => {
        if (i !== OTHER) known += c.ns[i]!;
        ns[cat] = c.ns[i]!;
      });
      ns.other = Math.max(0, c.opTime - known);
      let fraction: Record<TimeCategory, number> | null = null;
      if (c.opTime > 0) {
        fraction = {} as Record<TimeCategory, number>;
        for (const cat of TIME_CATEGORIES) fraction[cat] = ns[cat] / c.opTime;
      }
      out[cls] = { opTime: c.opTime, ns, fraction };
    }
    return out;
  }

  private task(id: number, cls: PriorityClass, t: number): TaskTime {
    let k = this.tasks[id];
    while (this.tasks.length <= id) this.tasks.push(undefined);
    if (k === undefined) {
      this.tasks[id] = k = { ct: this.cls(cls), inOp: false, opStart: 0, state: -1, since: t };
      doubleFields(k, TASK_TIMES); // times in ns become fractions: doubles from the first task on, not a new map in run 0
    }
    return k;
  }

  private cls(cls: PriorityClass): ClassTime {
    let c = this.classes.get(cls);
    if (c === undefined) {
      // Double elements from the start (the times added are fractions): `enter`'s store is compiled for them once.
      const ns = doubleArray();
      for (let i = 0; i < TIME_CATEGORIES.length; i++) ns.push(0);
      this.classes.set(cls, c = { opTime: 0, ns });
      doubleFields(c, CLASS_TIMES);
    }
    return c;
  }

  /** Add the time since the last transition to the task's current state. */
  private account(k: TaskTime, t: number): void {
    if (k.inOp && k.state >= 0) {
      const from = Math.max(k.since, k.opStart, this.warmup);
      // 0 before warm-up rather than no store: the store then has type feedback from the first event on
      // (LockStats.warmupSink).
      k.ct.ns[k.state]! += Math.max(0, t - from);
    }
    k.since = t;
  }

  private closeOp(k: TaskTime, t: number): void {
    if (!k.inOp) return;
    // The later of the two read from the double field itself (not Math.max, whose small integer result gave
    // the subtraction small-integer feedback until the times passed 2^31 ns: a "not a Smi" deopt per isolate).
    const start = k.opStart, warmup = this.warmup;
    const from = start > warmup ? start : warmup;
    // 0 when the op ended before warm-up (t <= from) rather than no store: the store has type feedback from the
    // first op on (LockStats.warmupSink), not first at warm-up's end in optimised code.
    k.ct.opTime += Math.max(0, t - from);
    k.inOp = false;
  }
}
