/**
 * What the simulator reports as it runs. Metrics, traces and tests implement
 * `SimObserver`; kernel paths know nothing about it. All times are simulated ns.
 */
import type { Folio, MemstallKind, MmStruct, Task, VmEvent, WaitResource } from '../model/index.js';
import type { OpName, PageState, PriorityClass } from '../scenario/types.js';

/** What a blocked task waits for (a folio locked by in-flight I/O counts as 'io'). */
export type WaitClass = 'mmap_lock' | 'vma_lock' | 'folio' | 'io';

/** A simulated thread as observers see it. */
export interface SimTaskInfo extends Task {
  readonly cls: PriorityClass;
  /** Thread group name from the scenario (e.g. "Binder:{i}" -> "Binder"). */
  readonly group: string;
}

export interface SimObserver {
  opBegin(t: number, task: SimTaskInfo, op: OpName): void;
  opEnd(t: number, task: SimTaskInfo, op: OpName, ret: number): void;
  /**
   * The task went to sleep on `res` (`what`: down_read, vma_start_write, folio_lock, ...).
   * `since`: the wait began earlier, at `since` (a writer that spun optimistically on a CPU
   * before it slept, Simulator.trySpin: the kernel's contention tracepoint comes after the
   * spin, but the lock wait `faultline real` measures starts at mmap_lock_start_locking).
   */
  blocked(t: number, task: SimTaskInfo, res: WaitResource, what: string, cls: WaitClass, since?: number): void;
  /** The task was woken (wake_up_process) and is runnable again. */
  woken(t: number, task: SimTaskInfo): void;
  /**
   * A task woken from a sleep on a resource runs again (after the wake-up
   * latency, Cost.wakeup; at the wake-up's own time when it is 0).
   */
  resumed?(t: number, task: SimTaskInfo): void;
  /** The task wants a CPU and none is free. */
  cpuQueued(t: number, task: SimTaskInfo): void;
  /** The task starts running on a CPU. */
  cpuStart(t: number, task: SimTaskInfo): void;
  /** The task stops running (step done, or preempted when `preempted`). */
  cpuStop(t: number, task: SimTaskInfo, preempted: boolean): void;
  vmEvent(t: number, task: SimTaskInfo | null, ev: VmEvent): void;
  mmapLockAcquired(t: number, task: SimTaskInfo, write: boolean, success: boolean): void;
  mmapLockReleased(t: number, task: SimTaskInfo, write: boolean): void;
  /** The run ended at simulated time `t`. */
  finish(t: number, mm: MmStruct): void;
  /** A frame thread finished the work of the frame that began at vsync `vsync`. */
  frameEnd?(t: number, task: SimTaskInfo, vsync: number): void;
  /** Process death: `what` happened at `t` (see `DeathEvent`). */
  death?(t: number, what: DeathEvent): void;
  /** The run starts: the mm and every task spawned so far (traces name threads from it). */
  begin?(t: number, mm: MmStruct, tasks: readonly SimTaskInfo[]): void;
  /**
   * `task` submitted I/O on `folio` (law: a LawName index) that completes at
   * `done`; the folio stays locked until then.
   */
  ioSubmit?(t: number, task: SimTaskInfo, folio: Folio, law: number, done: number): void;
  /** psi_memstall_enter (`enter`) or psi_memstall_leave of `task` (with `memory:` only). */
  memstall?(t: number, task: SimTaskInfo, enter: boolean, kind: MemstallKind): void;
  /** The fault `task` begins next is on a page put in the drawn `state` (without `memory:` only). */
  faultState?(t: number, task: SimTaskInfo, state: PageState): void;
  /** `task`'s fork: whether its child runs on the parent's CPU before fork() returns (Simulator.childPreemptsParent). */
  forkPlacement?(t: number, task: SimTaskInfo, childFirst: boolean): void;
  /**
   * An interrupt of `ns` on CPU `cpu` (`what`: its handler, e.g.
   * hrtimer_interrupt) took that CPU from `task` (null: the CPU was idle).
   * Only with a cost above 0 (Cost.hrtimer_irq: hrtimer_interrupt;
   * Cost.flush_tlb_func: flush_tlb_func, a TLB shoot-down's IPI).
   */
  irq?(t: number, cpu: number, task: SimTaskInfo | null, what: string, ns: number): void;
}

/**
 * Milestones of process death (scenario `kill`): the SIGKILL, the reaper's
 * mmap_read_trylock failures, the end of reaping (anonymous memory freed),
 * the last thread leaving, and the end of exit_mmap.
 */
export type DeathEvent = 'kill' | 'reap_trylock_failed' | 'reap_gave_up' | 'reaped' | 'threads_exited' | 'exit_mmap_done';

/** An observer that ignores everything; extend it and override what you need. */
export class NullObserver implements SimObserver {
  opBegin(_t: number, _task: SimTaskInfo, _op: OpName): void {}
  opEnd(_t: number, _task: SimTaskInfo, _op: OpName, _ret: number): void {}
  blocked(_t: number, _task: SimTaskInfo, _res: WaitResource, _what: string, _cls: WaitClass): void {}
  woken(_t: number, _task: SimTaskInfo): void {}
  cpuQueued(_t: number, _task: SimTaskInfo): void {}
  cpuStart(_t: number, _task: SimTaskInfo): void {}
  cpuStop(_t: number, _task: SimTaskInfo, _preempted: boolean): void {}
  vmEvent(_t: number, _task: SimTaskInfo | null, _ev: VmEvent): void {}
  mmapLockAcquired(_t: number, _task: SimTaskInfo, _write: boolean, _success: boolean): void {}
  mmapLockReleased(_t: number, _task: SimTaskInfo, _write: boolean): void {}
  finish(_t: number, _mm: MmStruct): void {}
  frameEnd(_t: number, _task: SimTaskInfo, _vsync: number): void {}
  death(_t: number, _what: DeathEvent): void {}
}

/** Fan one event stream out to several observers. */
export class MultiObserver implements SimObserver {
  constructor(private readonly obs: SimObserver[]) {}
  opBegin(t: number, task: SimTaskInfo, op: OpName): void { for (const o of this.obs) o.opBegin(t, task, op); }
  opEnd(t: number, task: SimTaskInfo, op: OpName, ret: number): void { for (const o of this.obs) o.opEnd(t, task, op, ret); }
  blocked(t: number, task: SimTaskInfo, res: WaitResource, what: string, cls: WaitClass, since?: number): void { for (const o of this.obs) o.blocked(t, task, res, what, cls, since); }
  woken(t: number, task: SimTaskInfo): void { for (const o of this.obs) o.woken(t, task); }
  resumed(t: number, task: SimTaskInfo): void { for (const o of this.obs) o.resumed?.(t, task); }
  cpuQueued(t: number, task: SimTaskInfo): void { for (const o of this.obs) o.cpuQueued(t, task); }
  cpuStart(t: number, task: SimTaskInfo): void { for (const o of this.obs) o.cpuStart(t, task); }
  cpuStop(t: number, task: SimTaskInfo, preempted: boolean): void { for (const o of this.obs) o.cpuStop(t, task, preempted); }
  vmEvent(t: number, task: SimTaskInfo | null, ev: VmEvent): void { for (const o of this.obs) o.vmEvent(t, task, ev); }
  mmapLockAcquired(t: number, task: SimTaskInfo, write: boolean, success: boolean): void { for (const o of this.obs) o.mmapLockAcquired(t, task, write, success); }
  mmapLockReleased(t: number, task: SimTaskInfo, write: boolean): void { for (const o of this.obs) o.mmapLockReleased(t, task, write); }
  finish(t: number, mm: MmStruct): void { for (const o of this.obs) o.finish(t, mm); }
  frameEnd(t: number, task: SimTaskInfo, vsync: number): void { for (const o of this.obs) o.frameEnd?.(t, task, vsync); }
  death(t: number, what: DeathEvent): void { for (const o of this.obs) o.death?.(t, what); }
  begin(t: number, mm: MmStruct, tasks: readonly SimTaskInfo[]): void { for (const o of this.obs) o.begin?.(t, mm, tasks); }
  ioSubmit(t: number, task: SimTaskInfo, folio: Folio, law: number, done: number): void { for (const o of this.obs) o.ioSubmit?.(t, task, folio, law, done); }
  memstall(t: number, task: SimTaskInfo, enter: boolean, kind: MemstallKind): void { for (const o of this.obs) o.memstall?.(t, task, enter, kind); }
  faultState(t: number, task: SimTaskInfo, state: PageState): void { for (const o of this.obs) o.faultState?.(t, task, state); }
  forkPlacement(t: number, task: SimTaskInfo, childFirst: boolean): void { for (const o of this.obs) o.forkPlacement?.(t, task, childFirst); }
  irq(t: number, cpu: number, task: SimTaskInfo | null, what: string, ns: number): void { for (const o of this.obs) o.irq?.(t, cpu, task, what, ns); }
}
