/**
 * Extra observers for figures the standard metrics do not break down:
 *
 * - `WriterWaits`: VMA write-lock waits (vma_start_write) per writer op, and
 *   whether a reader of the VMA was waiting for I/O when the writer started to
 *   wait; mmap_lock waits per writer op that holds or is queued ahead.
 * - `BlockedBehind`: per thread class, the time threads spend asleep behind
 *   another task (not their own I/O), and the part of it behind a task of a
 *   lower priority class in a given class map (used with all threads in one
 *   class, where the standard inversion figure is 0 by definition).
 *
 * - `FaultMmapWaits`: faults' mmap_lock waits, split into retries and first
 *   attempts.
 *
 * They only read events; they change nothing in the run. Waits count when
 * they begin at or after warm-up and end before the end of the run.
 */
import { VmEvent, type Task, type WaitResource } from '../model/index.js';
import type { OpName, PriorityClass } from '../scenario/types.js';
import { PRIORITY_CLASSES } from '../scenario/types.js';
import { NullObserver, type DeathEvent, type SimTaskInfo, type WaitClass } from '../sim/observer.js';
import type { ExtraObserver } from './types.js';

interface Wait {
  start: number;
  what: string;
  cls: WaitClass;
  res: WaitResource;
  /** Attribution decided when the wait began. */
  tag: string | null;
  behindIo: boolean;
}

/** Tracks each task's current op and wait; subclasses decide what to record. */
abstract class WaitObserver extends NullObserver implements ExtraObserver {
  protected readonly op = new Map<number, OpName>();
  protected readonly waits = new Map<number, Wait>();
  protected readonly samples: Record<string, number[]> = {};
  protected readonly figures: Record<string, number> = {};

  constructor(protected readonly warmup: number) {
    super();
  }

  override opBegin(_t: number, task: SimTaskInfo, op: OpName): void {
    this.op.set(task.id, op);
  }
  override opEnd(_t: number, task: SimTaskInfo): void {
    this.op.delete(task.id);
  }

  protected blockersOf(task: Task, res: WaitResource): Task[] {
    const out: Task[] = [];
    res.blockers(task, out);
    return out.filter((b) => b.id !== task.id);
  }

  protected add(name: string, v: number): void {
    (this.samples[name] ??= []).push(v);
  }

  collect(): { figures: Record<string, number>; samples: Record<string, number[]> } {
    return { figures: this.figures, samples: this.samples };
  }
}

/**
 * Samples:
 * - `vma_wait.<op>`: each vma_start_write wait of a writer op (mprotect,
 *   munmap, mmap, fork), in ns; `vma_wait_io.<op>`: those that began while a
 *   reader of the VMA was asleep on I/O (a fault holding its VMA lock across
 *   a read, a swap-in or writeback); `vma_wait.all`, `vma_wait_io.all`.
 * - `mmap_wait_behind.<op>`: mmap_lock waits (down_read / down_write) of
 *   other tasks that began with a task in writer op <op> holding mmap_lock or
 *   queued ahead; `.all` for any writer op.
 */
export class WriterWaits extends WaitObserver {
  override blocked(t: number, task: SimTaskInfo, res: WaitResource, what: string, cls: WaitClass): void {
    let tag: string | null = null;
    let behindIo = false;
    if (what === 'vma_start_write') {
      tag = this.op.get(task.id) ?? 'other';
      behindIo = this.blockersOf(task, res).some((b) => this.waits.get(b.id)?.cls === 'io');
    } else if (cls === 'mmap_lock') {
      for (const b of this.blockersOf(task, res)) {
        const op = this.op.get(b.id);
        if (op !== undefined && op !== 'fault') {
          tag = op;
          break;
        }
      }
    }
    this.waits.set(task.id, { start: t, what, cls, res, tag, behindIo });
  }

  override woken(t: number, task: SimTaskInfo): void {
    const w = this.waits.get(task.id);
    this.waits.delete(task.id);
    if (w === undefined || w.tag === null || w.start < this.warmup) return;
    const d = t - w.start;
    if (w.what === 'vma_start_write') {
      this.add(`vma_wait.${w.tag}`, d);
      this.add('vma_wait.all', d);
      if (w.behindIo) {
        this.add(`vma_wait_io.${w.tag}`, d);
        this.add('vma_wait_io.all', d);
      }
    } else {
      this.add(`mmap_wait_behind.${w.tag}`, d);
      this.add('mmap_wait_behind.all', d);
    }
  }
}

/**
 * Per class C (of the run): samples `behind_others.C` (each wait behind
 * another task: any wait except one on the task's own I/O) and
 * `behind_lower.C` (the waits whose blocking chain at the moment they began
 * holds a task of a lower class than the waiter's in `classOf`, the class
 * map given, e.g. the scenario's original classes).
 */
export class BlockedBehind extends WaitObserver {
  constructor(warmup: number, private readonly classOf: (comm: string) => PriorityClass) {
    super(warmup);
  }

  private rank(t: Task): number {
    return PRIORITY_CLASSES.indexOf(this.classOf(t.comm));
  }

  override blocked(t: number, task: SimTaskInfo, res: WaitResource, what: string, cls: WaitClass): void {
    const direct = this.blockersOf(task, res);
    const mine = this.rank(task);
    // Walk the chain over tasks that are themselves asleep.
    let lower = false;
    const seen = new Set<number>([task.id]);
    const stack = [...direct];
    while (stack.length !== 0 && !lower) {
      const b = stack.pop()!;
      if (seen.has(b.id)) continue;
      seen.add(b.id);
      if (this.rank(b) > mine) lower = true;
      const w = this.waits.get(b.id);
      if (w !== undefined) stack.push(...this.blockersOf(b, w.res));
    }
    this.waits.set(task.id, {
      start: t, what, cls, res,
      tag: direct.length === 0 ? null : task.cls,
      behindIo: lower,
    });
  }

  override woken(t: number, task: SimTaskInfo): void {
    const w = this.waits.get(task.id);
    this.waits.delete(task.id);
    if (w === undefined || w.tag === null || w.start < this.warmup) return;
    this.add(`behind_others.${this.classOf(task.comm)}`, t - w.start);
    if (w.behindIo) this.add(`behind_lower.${this.classOf(task.comm)}`, t - w.start);
  }
}

/**
 * mmap_lock waits of faults, split by why the fault was on mmap_lock:
 * `fault_mmap_wait.retry` once the fault has returned VM_FAULT_RETRY at
 * least once (a retry after dropping its lock for I/O), otherwise
 * `fault_mmap_wait.first` (a fallback after lock_vma_under_rcu failed, or
 * the first attempt of a pre-per-VMA-lock fault).
 */
export class FaultMmapWaits extends WaitObserver {
  private readonly retried = new Set<number>();

  override opBegin(t: number, task: SimTaskInfo, op: OpName): void {
    super.opBegin(t, task, op);
    this.retried.delete(task.id);
  }

  override vmEvent(_t: number, task: SimTaskInfo | null, ev: VmEvent): void {
    if (task !== null && ev === VmEvent.FAULT_RETRY) this.retried.add(task.id);
  }

  override blocked(t: number, task: SimTaskInfo, res: WaitResource, what: string, cls: WaitClass): void {
    const tag = cls === 'mmap_lock' && this.op.get(task.id) === 'fault' ? (this.retried.has(task.id) ? 'retry' : 'first') : null;
    this.waits.set(task.id, { start: t, what, cls, res, tag, behindIo: false });
  }

  override woken(t: number, task: SimTaskInfo): void {
    const w = this.waits.get(task.id);
    this.waits.delete(task.id);
    if (w === undefined || w.tag === null || w.start < this.warmup) return;
    this.add(`fault_mmap_wait.${w.tag}`, t - w.start);
  }
}

/**
 * Process death (scenario `kill`): what the SIGKILL interrupted, and when the
 * milestones came. At the kill, counts the app's sleepers by what they sleep
 * on (figures `kill.io`: a folio locked for I/O or writeback; `kill.vma_writer`:
 * vma_start_write; `kill.mmap_lock`: mmap_lock); samples `death.threads_exit`,
 * `death.reaped`, `death.exit` (ns after the kill).
 */
export class KillSnapshot extends WaitObserver {
  private killAt = -1;

  override blocked(t: number, task: SimTaskInfo, res: WaitResource, what: string, cls: WaitClass): void {
    this.waits.set(task.id, { start: t, what, cls, res, tag: null, behindIo: false });
  }

  override woken(_t: number, task: SimTaskInfo): void {
    this.waits.delete(task.id);
  }

  override death(t: number, what: DeathEvent): void {
    switch (what) {
      case 'kill': {
        this.killAt = t;
        let io = 0, vw = 0, ml = 0;
        for (const w of this.waits.values()) {
          if (w.what === 'vma_start_write') vw++;
          else if (w.cls === 'io') io++;
          else if (w.cls === 'mmap_lock') ml++;
        }
        this.figures['kill.io'] = io;
        this.figures['kill.vma_writer'] = vw;
        this.figures['kill.mmap_lock'] = ml;
        break;
      }
      case 'threads_exited': this.add('death.threads_exit', t - this.killAt); break;
      case 'reaped': this.add('death.reaped', t - this.killAt); break;
      case 'exit_mmap_done': this.add('death.exit', t - this.killAt); break;
      default: break;
    }
  }
}
