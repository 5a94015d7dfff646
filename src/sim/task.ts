/**
 * The simulator's tasks and configuration (moved out of engine.ts): a task's
 * state, the limits on a run that cannot end, SimTask and EngineConfig.
 */
import type { Effect, KPath, RwSemaphore, WaitResource } from '../model/index.js';
import { doubleFields, mutableFields, objectArray } from '../model/shapes.js';
import type { Law, PriorityClass } from '../scenario/types.js';
import { PRIORITY_CLASSES } from '../scenario/types.js';
import type { SimObserver, SimTaskInfo } from './observer.js';
import type { Rng } from './rng.js';
import { class_weight, type SchedEntity } from './eevdf.js';

export const enum TaskState { NEW, RUNNING, RUNNABLE, BLOCKED, SLEEPING, WOKEN, DEAD }

/**
 * A run that could not end: a task took MAX_ZERO_TIME_EFFECTS effects in a
 * row without simulated time advancing (every cost and think time it meets
 * is zero), or the run went past MAX_EVENTS events. The scenario is at fault,
 * not the engine: the CLI reports it as bad input (exit 2).
 */
export class SimLimitError extends Error {
  override readonly name = 'SimLimitError';
}
/** Effects one task may take at one instant (a loop of zero-time ops never ends). */
export const MAX_ZERO_TIME_EFFECTS = 1_000_000;
/** Events in one run: far above any built-in (android-app's 10 s: a few million). */
export const MAX_EVENTS = 500_000_000;


/**
 * kernel/sched/fair.c sysctl_sched_base_slice, ns: normalized_sysctl_sched_base_slice
 * (0.70 ms since "sched/fair: Reduce the default slice to avoid tasks getting an extra
 * tick", 2025; 0.75 ms before) x (1 + ilog2(min(cpus, 8))) (update_sysctl,
 * get_update_sysctl_factor, SCHED_TUNABLESCALING_LOG).
 */
export function sched_base_slice(cpus: number): number {
  return 700_000 * (1 + Math.floor(Math.log2(Math.min(Math.max(cpus, 1), 8))));
}

export class SimTask implements SimTaskInfo, SchedEntity {
  readonly prio: number;
  /** Per-CPU run queues only (EngineConfig.perCpuRunqueues; sim/eevdf.ts): the task's sched_entity. */
  readonly weight: number;
  vruntime = 0;
  deadline = 0;
  vlag = 0;
  vprot = 0;
  execStart = 0;
  initial = true;
  /** TIF_NEED_RESCHED on the task's CPU (wakeup_preempt, update_deadline): it is switched out at its next preemption point. */
  needResched = false;
  state = TaskState.NEW;
  /** Call stack of paths (CALL effects push, returns pop); the top one runs. */
  readonly stack: Array<KPath<unknown>> = objectArray();
  /** Value passed to the top path at its next resume (a nested path's return). */
  resumeValue: unknown = undefined;
  /**
   * A thread loop that is not a generator (Simulator.spawnLoop), or null:
   * it runs below `stack` and yields through its `next` whenever the stack
   * is empty (a CALL it returns is pushed; the path's return value comes
   * back to it).
   */
  loop: TaskLoop | null = null;
  /** Generation tag: heap entries with another tag are stale (preemption). */
  evTag = 0;
  cpuLeft = 0;
  cpuEnd = 0;
  rqSeq = 0;
  blockedOn: WaitResource | null = null;
  blockedWhat = '';
  /** The current BLOCK is TASK_KILLABLE (a fatal signal ends it). */
  blockedKillable = false;
  /** SIGKILL pending (model `fatal_signal_pending`). */
  sigkill = false;
  /** Spinning on a CPU for an rwsem it is queued on (writer optimistic spinning, Simulator.trySpin). */
  spinning = false;
  /** The reader-owned spin's deadline is set (rwsem_rspin_threshold). */
  spinDeadline = false;
  /** When the current optimistic spin began (its wait starts there if it ends in a sleep). */
  spinSince = 0;
  /**
   * Lock stealing (EngineConfig.lockSteal): woken at the head of this rwsem's
   * queue without the lock (RwSemaphore.wokenWriter); it tries for it when it
   * runs (Simulator.retryWriteLock). Null otherwise.
   */
  lockRetry: RwSemaphore | null = null;
  /** When it last joined an rwsem's wait list (the kernel's waiter.timeout counts from there: RWSEM_WAIT_TIMEOUT). */
  lockWaitSince = 0;
  /** When its current wait began as observers saw it (`blocked`'s time, or its `since`: a spin's start). */
  waitBegan = 0;
  /** Woken from a sleep on a resource: the observer hears `resumed` when it runs again. */
  resumeNotify = false;
  /** CPU time since it last woke from a sleep (EEVDF's protected slice, Simulator.childPreemptsParent). */
  ranSinceWake = 0;
  /** Global run queue: it waited in the run queue (RUNNABLE, behind other tasks) since it last woke from a sleep. */
  queuedSinceWake = false;
  /** Global run queue: another task was waiting in the run queue when it last left a CPU (a CPU step's end, or a spin's). */
  othersQueuedAtRelease = false;
  /**
   * Global run queue: its lag when it last went to sleep was positive
   * (kernel/sched/fair.c update_entity_lag at the dequeue: vlag =
   * avg_vruntime - vruntime over the entities on its CPU's queue). It is 0
   * for a task alone there (its vruntime is the average), and a task that
   * ran while another waited is ahead of the average (a negative lag, which
   * DELAY_DEQUEUE and DELAY_ZERO clip to 0 at a sleep). It is positive for
   * one that was owed service and still had company when it slept: it
   * waited for a CPU since it woke (queuedSinceWake) and another task was
   * waiting when it left its CPU (othersQueuedAtRelease). The global queue
   * has no vruntimes or per-CPU queues: these two stand for them. Read at a
   * fork's end (Simulator.childPreemptsParent): only a wakee with a positive
   * lag preempts a parent inside its protected slice. With per-CPU run
   * queues the entity's own `vlag` is read instead.
   */
  lagOwed = false;
  /** When its current CPU burst (or spin) started. */
  runStart = 0;
  /** The CPU it runs or spins on now (an index below EngineConfig.cpus); -1 when on none, or the CPUs are unlimited. */
  cpu = -1;
  /** The CPU it last ran or spun on (the kernel's task_cpu(p)); -1 before its first run, or with unlimited CPUs. */
  lastCpu = -1;
  /**
   * The CPU that ran try_to_wake_up for its pending wake-up (the waker's
   * CPU; a timer or I/O completion's: its own lastCpu, where the hrtimer
   * was armed); -1 when none is pending (a think time's end: lastCpu).
   * Read by the vcpu_pack placement only (EngineConfig.vcpuPack).
   */
  wakeCpu = -1;
  /**
   * CPU time of lock operations (Cost.lock_atomic, Cost.cacheline_transfer;
   * sim/lock-line.ts) not charged yet, ns: added to its next CPU step (the
   * fault's own step after an acquire; after a release, the step the thread
   * loop yields at the op's end, ThreadLoop LOCK_RELEASE_CPU).
   */
  lockNs = 0;
  /** While spinning: the end of an interrupt on its CPU (a hand-over of the lock runs on from there, CpuSched.irq). */
  irqUntil = 0;
  /**
   * Latency laws for work this task submits or runs (LawName order), e.g. a
   * throttled cgroup's slower I/O; null = the scenario's.
   */
  laws: readonly Law[] | null = null;
  constructor(
    readonly id: number,
    readonly comm: string,
    readonly cls: PriorityClass,
    readonly group: string,
    readonly rng: Rng,
  ) {
    this.prio = PRIORITY_CLASSES.indexOf(cls);
    this.weight = class_weight(cls);
    // Times in ns (past 2^31) and virtual times: doubles from the start (model/shapes.ts).
    // cpuLeft too: a preempted burst's rest (cpuEnd - now) is a double, first in the middle of run 0.
    doubleFields(this, ['vruntime', 'deadline', 'vlag', 'vprot', 'execStart', 'cpuEnd', 'cpuLeft', 'spinSince', 'lockWaitSince', 'waitBegan', 'ranSinceWake', 'runStart', 'irqUntil']);
    // evTag is first rewritten by a preemption or a spin's timer, late in run 0: not a constant for V8 from the start.
    mutableFields(this, ['evTag']);
  }
}

/**
 * A task's program as a resumable object instead of a generator (the
 * simulator's thread loop, sim/thread-loop.ts): `next(v)` is a generator's
 * `next(v).value`, null when the program ended. It saves a generator's
 * suspend, resume and result object at every effect of the hot loop.
 */
export interface TaskLoop {
  next(v: unknown): Effect | null;
}

export interface EngineConfig {
  /** CPUs; null = unlimited (every CPU step starts at once). */
  cpus: number | null;
  preempt: boolean;
  /** CPU cost in ns per Cost index (src/model/cost.ts COST_NAMES order). */
  costs: ArrayLike<number>;
  /** Laws per LawName index: read, swap, writeback, folio_lock_hold. */
  laws: readonly Law[];
  seed: number;
  observer?: SimObserver;
  /**
   * rwsem writer optimistic spinning (scenario `mmap_lock.writer_spin`): a
   * writer that must wait spins on a CPU instead of sleeping while the lock
   * is held by a writer on a CPU, or by readers for up to the reader-owned
   * spin threshold. A timing effect of the simulator only (see trySpin).
   */
  writerSpin?: boolean;
  /**
   * rwsem lock stealing on mm->mmap_lock (scenario `mmap_lock.lock_steal`,
   * RwSemaphore.lockSteal): a release wakes a writer at the head without
   * giving it the lock, a reader in the slow path takes a free lock past it,
   * and the writer tries when it runs; RWSEM_FLAG_HANDOFF after
   * RWSEM_WAIT_TIMEOUT. A timing effect of the simulator only. The scenario's
   * default is on (workload.ts); absent here: off.
   */
  lockSteal?: boolean;
  /**
   * Transfer time per 4 KiB page of a read request beyond its first page
   * (io.read_bandwidth): a request of n pages takes the `read` law's draw
   * plus (n - 1) x this. 0 or absent: every read takes the law's draw.
   */
  readNsPerPage?: number;
  /**
   * One run queue per CPU (scenario `sched.runqueues: per-cpu`; a number of
   * CPUs only): wake-up placement (select_task_rq_fair), EEVDF wake-up
   * preemption at the next preemption point, idle balancing (sim/cpus.ts,
   * sim/eevdf.ts). Absent or false: the global queue ordered by class.
   */
  perCpuRunqueues?: boolean;
  /**
   * With perCpuRunqueues: the calibration host's wake-up packing (scenario
   * `sched.vcpu_pack`; its kernel's `sched_vcpu_pack`, not mainline): a
   * woken task is queued on the waking CPU when that CPU runs exactly one
   * task and has none queued (RqSched.rqRunOnCpu).
   */
  vcpuPack?: boolean;
}
