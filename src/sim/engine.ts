/**
 * The discrete-event engine: integer-nanosecond time, an event heap, a fixed
 * number of CPUs with a priority-ordered run queue (optionally preemptive), and
 * tasks that are generators yielding model effects (src/model/effects.ts).
 *
 * A task runs its generator until an effect needs time (CPU, sleep, block);
 * zero-time effects (scheduling points, I/O submission) are handled inline.
 * Lock hand-over happens in the model (wake_up_process), which makes the woken
 * task runnable at the current time, after events already queued for it.
 */
import {
  Cost, EffectKind, LawName, next_effect, install_clock, install_mm_cpumask, install_lru_add_batch, PAGEVEC_SIZE, install_sched, RwSemaphore, install_signal_wake, set_sched_points, install_tracepoints, install_vm_event_sink, set_current,
  type Folio, type KPath, type MmStruct, type Task, type VmEvent, type WaitResource,
} from '../model/index.js';
import type { Law, PriorityClass } from '../scenario/types.js';
import { EventHeap } from './heap.js';
import { NullObserver, type SimObserver, type WaitClass } from './observer.js';
import { Rng } from './rng.js';
import { MAX_EVENTS, MAX_ZERO_TIME_EFFECTS, SimLimitError, SimTask, TaskState, type EngineConfig } from './task.js';
import { child_runs_first } from './placement.js';

export * from './task.js';

/** The wait class a resource reports (a folio locked by in-flight I/O counts as 'io'). */
function waitClass(res: WaitResource): WaitClass {
  const cls: WaitClass = res.lockClass;
  return cls === 'folio' && (res as Folio).owner === 'io' ? 'io' : cls;
}

export class Simulator {
  now = 0;
  readonly tasks: SimTask[] = [];
  readonly observer: SimObserver;
  private readonly heap = new EventHeap();
  private readonly costs: Float64Array;
  /** Cost.wakeup, ns (0: a woken task is runnable at once). */
  private readonly wakeupNs: number;
  private readonly laws: readonly Law[];
  private readonly cpus: number | null;
  private readonly preempt: boolean;
  private free: number;
  private readonly running: SimTask[] = [];
  private readonly runqueue: SimTask[] = [];
  private rqSeq = 0;
  private readonly cbFn: Array<((f: Folio) => void) | null> = [];
  private readonly cbArg: Array<Folio | null> = [];
  private readonly cbFree: number[] = [];
  private cur: SimTask | null = null;
  private readonly seed: number;
  private readonly readNsPerPage: number;
  private readonly writerSpin: boolean;
  /** Tasks spinning on an rwsem, each holding a CPU (trySpin). */
  private readonly spinners: SimTask[] = [];
  /** Events popped from the heap (for benchmarks). */
  events = 0;

  constructor(cfg: EngineConfig, private readonly mm: MmStruct) {
    this.cpus = cfg.cpus;
    this.free = cfg.cpus ?? 0;
    this.preempt = cfg.preempt;
    this.costs = Float64Array.from(cfg.costs);
    this.wakeupNs = Math.round(this.costs[Cost.wakeup] ?? 0);
    this.laws = cfg.laws;
    this.seed = cfg.seed;
    this.readNsPerPage = cfg.readNsPerPage ?? 0;
    this.writerSpin = cfg.writerSpin ?? false;
    this.observer = cfg.observer ?? new NullObserver();
  }

  /**
   * Add a task running `program`. Task k draws from random stream k+1 of the
   * seed (stream 0 is reserved), so tasks keep their streams as others are added.
   */
  spawn(comm: string, cls: PriorityClass, program: (t: SimTask) => KPath<unknown>, group = comm): SimTask {
    const t = new SimTask(this.tasks.length, comm, cls, group, Rng.stream(this.seed, this.tasks.length + 1));
    this.tasks.push(t);
    t.stack.push(program(t));
    t.state = TaskState.WOKEN;
    this.heap.push(this.now, t.id, t.evTag);
    return t;
  }

  /** Run `fn(folio)` at time `t` in interrupt context (no current task). */
  schedule(t: number, fn: (f: Folio) => void, folio: Folio): void {
    let slot = this.cbFree.pop();
    if (slot === undefined) {
      slot = this.cbFn.length;
      this.cbFn.push(fn);
      this.cbArg.push(folio);
    } else {
      this.cbFn[slot] = fn;
      this.cbArg[slot] = folio;
    }
    this.heap.push(t, -1 - slot, 0);
  }

  /** Run `fn` at time `t` in interrupt context: a timer (mod_timer, delayed work). */
  timer(t: number, fn: () => void): void {
    this.schedule(t, fn as (f: Folio) => void, null as unknown as Folio); // the callback takes no argument
  }

  /** Draw from law `i` (LawName) with the task's stream. */
  drawLaw(i: number, task: SimTask): number {
    return task.rng.draw((task.laws ?? this.laws)[i]!);
  }

  /**
   * The simulator whose run() is under way (runs are synchronous: one at a
   * time per thread). The kernel hooks below read it, so that every run
   * installs the same function objects: a closure made per run was a new
   * call target for the compiled kernel paths that call the hooks, which
   * then deoptimised in the second run of every isolate (bench/README.md,
   * "Less JIT work per isolate").
   */
  private static active: Simulator;
  private static readonly wakeHook = (t: Task) => Simulator.active.wake(t as SimTask);
  private static readonly nowHook = () => Simulator.active.now;
  private static readonly timerHook = (at: number, fn: () => void) => Simulator.active.timer(at, fn);
  private static readonly signalWakeHook = (t: Task) => Simulator.active.signalWake(t as SimTask);
  private static readonly cpumaskHook = () => Simulator.active.remoteCpusRunning();
  private static readonly vmEventHook = (ev: VmEvent) => {
    const s = Simulator.active;
    s.observer.vmEvent(s.now, s.cur, ev);
  };
  private static readonly tracepoints: Parameters<typeof install_tracepoints>[0] = {
    mmap_lock_acquire_returned: (m, write, success) => {
      const s = Simulator.active;
      if (m === s.mm && s.cur !== null) s.observer.mmapLockAcquired(s.now, s.cur, write, success);
    },
    mmap_lock_released: (m, write) => {
      const s = Simulator.active;
      if (m === s.mm && s.cur !== null) s.observer.mmapLockReleased(s.now, s.cur, write);
    },
    psi_memstall: (enter, kind) => {
      const s = Simulator.active;
      if (s.cur !== null) s.observer.memstall?.(s.now, s.cur, enter, kind);
    },
  };

  /** Run until simulated time `until` (events at t >= until are not processed). */
  run(until: number): void {
    const obs = this.observer;
    Simulator.active = this;
    set_sched_points(false); // zero-time points change nothing in a timed run
    install_sched(Simulator.wakeHook);
    install_clock(Simulator.nowHook, Simulator.timerHook);
    install_signal_wake(Simulator.signalWakeHook);
    install_mm_cpumask(Simulator.cpumaskHook);
    install_lru_add_batch(this.costs[Cost.folio_batch_move_lru]! > 0 ? PAGEVEC_SIZE : 0); // mm/swap.c lru_add batches (model/swap.ts)
    install_vm_event_sink(Simulator.vmEventHook);
    const mm = this.mm;
    install_tracepoints(Simulator.tracepoints);
    obs.begin?.(this.now, mm, this.tasks);
    try {
      this.loop(until);
      if (this.now < until) this.now = until;
      obs.finish(this.now, mm);
    } finally {
      install_signal_wake(null);
      install_mm_cpumask(null);
      install_lru_add_batch(0);
      install_tracepoints(null);
      set_sched_points(true);
    }
  }

  /**
   * The event loop of run(). A method of its own: V8 compiles a long loop
   * on-stack while it runs, and when that code reached run()'s epilogue it
   * was thrown away (a deopt at the end of every simulation, then a fresh
   * compile of the loop in the next one).
   */
  private loop(until: number): void {
    const heap = this.heap, tasks = this.tasks;
    while (heap.size !== 0 && heap.peekTime() < until) {
      heap.pop();
      this.now = heap.popTime;
      if (++this.events > MAX_EVENTS) {
        throw new SimLimitError(`the run went past ${MAX_EVENTS.toLocaleString('en-US')} events at ${this.now} ns of simulated time: shorten the duration, or lengthen think times`);
      }
      const p = heap.popPayload;
      if (p >= 0) {
        const task = tasks[p]!;
        if (heap.popTag !== task.evTag) continue;
        if (task.spinning) { // rwsem_optimistic_spin: the reader-owned spin threshold passed
          this.giveUpSpin(task);
          continue;
        }
        if (task.state === TaskState.RUNNING) this.cpuRelease(task);
        else if (task.state === TaskState.SLEEPING) task.ranSinceWake = 0; // woken by its timer
        if (task.resumeNotify) {
          task.resumeNotify = false;
          this.observer.resumed?.(this.now, task);
        }
        this.step(task);
      } else {
        const slot = -1 - p;
        const fn = this.cbFn[slot]!, arg = this.cbArg[slot]!;
        this.cbFn[slot] = null;
        this.cbArg[slot] = null;
        this.cbFree.push(slot);
        this.cur = null;
        set_current(null as unknown as Task);
        fn(arg);
      }
    }
  }

  private step(task: SimTask): void {
    this.cur = task;
    set_current(task);
    const stack = task.stack;
    let val = task.resumeValue;
    task.resumeValue = undefined;
    for (let n = 0; ; n++) {
      if (n === MAX_ZERO_TIME_EFFECTS) {
        throw new SimLimitError(`thread ${task.comm} took ${MAX_ZERO_TIME_EFFECTS.toLocaleString('en-US')} steps at ${this.now} ns without simulated time advancing: some think time, gap or cost must be above zero`);
      }
      const e = next_effect(stack, val);
      val = undefined;
      if (e === null) {
        task.state = TaskState.DEAD;
        if (this.spinners.length !== 0) this.ownerOffCpu(task);
        return;
      }
      switch (e.k) {
        case EffectKind.POINT:
          continue;
        case EffectKind.CPU: {
          let ns = this.costs[e.cost]! * e.n + (e.then === -1 ? 0 : this.costs[e.then]!);
          const x = e.extra;
          if (x !== null) for (let i = 0; i < x.length; i += 2) ns += this.costs[x[i]!]! * x[i + 1]!;
          if (ns <= 0) continue;
          this.runOnCpu(task, Math.round(ns));
          return;
        }
        case EffectKind.CPU_LAW: {
          const ns = task.rng.draw((task.laws ?? this.laws)[e.law]!);
          if (ns <= 0) continue;
          this.runOnCpu(task, ns);
          return;
        }
        case EffectKind.SLEEP:
          if (e.ns <= 0) continue;
          task.state = TaskState.SLEEPING;
          this.heap.push(this.now + e.ns, task.id, task.evTag);
          if (this.spinners.length !== 0) this.ownerOffCpu(task);
          return;
        case EffectKind.BLOCK: {
          task.state = TaskState.BLOCKED;
          task.blockedOn = e.res;
          task.blockedWhat = e.what;
          task.blockedKillable = e.killable;
          const res = e.res;
          if (this.spinners.length !== 0) this.ownerOffCpu(task);
          if (this.writerSpin && res instanceof RwSemaphore && e.what === 'down_write' && this.trySpin(task, res)) return;
          this.observer.blocked(this.now, task, res, e.what, waitClass(res));
          return;
        }
        case EffectKind.SUBMIT: {
          let ns = task.rng.draw((task.laws ?? this.laws)[e.law]!);
          if (e.n > 1 && e.law === LawName.read) ns += Math.round((e.n - 1) * this.readNsPerPage);
          this.schedule(this.now + ns, e.end_io, e.folio);
          this.observer.ioSubmit?.(this.now, task, e.folio, e.law, this.now + ns);
          continue;
        }
      }
    }
  }

  /**
   * The CPUs other than the current task's that run a thread of the mm now
   * (the model's mm_cpumask without lazy-TLB CPUs, for a TLB shoot-down):
   * tasks on a CPU. The current task is being stepped, so it is not among
   * them. Capped at cpus - 1. A thread in user space (think time) is asleep
   * in the model and not counted (docs/fidelity.md).
   */
  private remoteCpusRunning(): number {
    if (this.cpus !== null) return Math.min(this.running.length + this.spinners.length, this.cpus - 1);
    let n = this.spinners.length;
    for (const t of this.tasks) if (t.state === TaskState.RUNNING && t !== this.cur) n++;
    return n;
  }

  /** Tasks woken and not yet running (TaskState.WOKEN, in the wake-up latency), the current one not counted. */
  private wokenPending(): number {
    let n = 0;
    for (const t of this.tasks) if (t.state === TaskState.WOKEN && t !== this.cur) n++;
    return n;
  }

  /**
   * kernel_clone -> wake_up_new_task: does the child run on the parent's
   * CPU before the parent returns to user space (sim/placement.ts
   * child_runs_first: no idle CPU, and a task woken meanwhile queued on the
   * parent's CPU, or the parent past its protected slice)? The parent, the
   * task being stepped, runs on a CPU in the kernel but holds none here (its
   * CPU burst was released before the step), so one free CPU is its own.
   * Unlimited CPUs: never (a CPU is always idle).
   */
  childPreemptsParent(parent: SimTask): boolean {
    return this.cpus !== null && child_runs_first(this.cpus, this.free, this.wokenPending(), parent.ranSinceWake);
  }

  /**
   * wake_up_process: the blocked task becomes runnable now, or after the
   * wake-up latency (Cost.wakeup: try_to_wake_up's IPI, idle exit and context
   * switch) when the scenario's costs give one.
   */
  private wake(t: SimTask): void {
    if (t.state !== TaskState.BLOCKED) {
      throw new Error(`wake_up_process(${t.comm}): task is not sleeping (lost or double wake-up)`);
    }
    if (t.spinning) { // handed the lock while spinning: it is on a CPU, no wake-up latency
      this.endSpin(t);
      t.state = TaskState.WOKEN;
      t.blockedOn = null;
      this.heap.push(this.now, t.id, t.evTag);
      return;
    }
    t.state = TaskState.WOKEN;
    t.blockedOn = null;
    t.ranSinceWake = 0;
    t.resumeNotify = true;
    this.observer.woken(this.now, t);
    this.heap.push(this.now + this.wakeupNs, t.id, t.evTag);
  }

  /**
   * A writer queued on an rwsem spins instead of sleeping
   * (kernel/locking/rwsem.c rwsem_down_write_slowpath ->
   * rwsem_can_spin_on_owner && rwsem_optimistic_spin), when:
   * - the lock's owner is on a CPU: a writer in a CPU step, or for a
   *   reader-owned lock the last reader to take it (rwsem_can_spin_on_owner:
   *   owner_on_cpu);
   * - it is the only waiter and no other writer spins (the OSQ lets one
   *   spin; a spinner cannot steal the lock past sleeping waiters that were
   *   queued before it; docs/fidelity.md);
   * - a CPU is free (it spins on one; none free stands for need_resched()).
   * It then leaves the wait list (RwSemaphore.optimistic_spin_begin: new
   * readers take the lock past it) and holds the CPU (the observer sees it
   * running, not blocked) until
   * (a) the lock is free: it takes it and runs on at once, no wake-up latency; (b)
   * the writer owner leaves its CPU (rwsem_spin_on_owner: !owner_on_cpu ->
   * OWNER_NONSPINNABLE); (c) the lock is reader-owned for longer than
   * rwsem_rspin_threshold, (20 + min(readers, 30)) / 2 µs; (d) another task
   * needs a CPU and none is free (need_resched). In (b)-(d) it joins the
   * wait list's tail and sleeps (a wait from the spin's start). Readers never
   * spin (v5.11+).
   */
  private trySpin(t: SimTask, sem: RwSemaphore): boolean {
    if (sem.nrQueued !== 1 || sem.spinner !== null) return false;
    const owner = (sem.writer ?? sem.readers[sem.readers.length - 1] ?? null) as SimTask | null;
    if (owner === null || owner.state !== TaskState.RUNNING) return false;
    if (this.cpus !== null) {
      if (this.free === 0) return false;
      this.free--;
    }
    t.spinning = true;
    t.spinDeadline = false;
    t.spinSince = this.now;
    t.runStart = this.now;
    sem.optimistic_spin_begin(t);
    this.spinners.push(t);
    this.observer.cpuStart(this.now, t);
    if (sem.writer === null) this.spinOnReaders(t, sem);
    return true;
  }

  /** rwsem_optimistic_spin, reader-owned: spin until rwsem_rspin_threshold. */
  private spinOnReaders(t: SimTask, sem: RwSemaphore): void {
    t.spinDeadline = true;
    this.heap.push(this.now + (20 + Math.min(sem.readers.length, 30)) * 500, t.id, t.evTag);
  }

  /** `t` left its CPU (blocked, sleeping, queued, preempted, dead): spinners on a lock it write-owns stop. */
  private ownerOffCpu(t: SimTask): void {
    for (let i = this.spinners.length - 1; i >= 0; i--) {
      const s = this.spinners[i]!;
      const sem = s.blockedOn as RwSemaphore;
      if (sem.writer === t) this.giveUpSpin(s);
      else if (sem.writer === null && !s.spinDeadline) this.spinOnReaders(s, sem); // downgraded: reader-owned now
    }
  }

  /** The spin ends with the lock not taken: the CPU is given up and the task sleeps on the lock. */
  private giveUpSpin(t: SimTask): void {
    this.endSpin(t);
    const res = t.blockedOn as RwSemaphore;
    res.optimistic_spin_end(t); // rwsem_down_write_slowpath: rwsem_add_waiter, then schedule()
    this.observer.blocked(this.now, t, res, t.blockedWhat, waitClass(res), t.spinSince);
    if (t.sigkill) this.signalWake(t); // signal_pending_state before its first schedule()
  }

  private endSpin(t: SimTask): void {
    const sp = this.spinners;
    sp.splice(sp.indexOf(t), 1);
    t.spinning = false;
    t.ranSinceWake += this.now - t.runStart; // a spin is time on a CPU
    t.evTag++; // a pending threshold timer is stale now
    this.observer.cpuStop(this.now, t, false);
    if (this.cpus === null) return;
    const next = this.runqueue.shift();
    if (next !== undefined) this.startOnCpu(next);
    else this.free++;
  }

  /**
   * signal_wake_up(t, fatal): a killable sleep is cancelled on its resource
   * and the task woken (it finds it was not handed the lock); a think or gap
   * sleep (user space: nanosleep, epoll) ends now; an uninterruptible sleep,
   * or a task on a CPU, is left alone (it sees the signal at its next check).
   */
  private signalWake(t: SimTask): void {
    if (t.state === TaskState.BLOCKED) {
      if (t.blockedKillable && t.blockedOn?.cancel_wait?.(t) === true) this.wake(t);
    } else if (t.state === TaskState.SLEEPING) {
      t.evTag++;
      t.ranSinceWake = 0;
      t.state = TaskState.WOKEN;
      this.heap.push(this.now, t.id, t.evTag);
    }
  }

  private runOnCpu(task: SimTask, ns: number): void {
    task.cpuLeft = ns;
    if (this.cpus === null) {
      task.state = TaskState.RUNNING;
      task.runStart = this.now;
      this.observer.cpuStart(this.now, task);
      this.heap.push(this.now + ns, task.id, task.evTag);
      return;
    }
    if (this.free === 0 && this.spinners.length !== 0) this.giveUpSpin(this.spinners[0]!); // need_resched()
    if (this.free > 0) {
      this.free--;
      this.startOnCpu(task);
      return;
    }
    if (this.preempt) {
      let victim: SimTask | null = null;
      for (const r of this.running) if (victim === null || r.prio > victim.prio) victim = r;
      if (victim !== null && victim.prio > task.prio) {
        this.preemptTask(victim);
        this.startOnCpu(task);
        return;
      }
    }
    this.enqueueRunnable(task);
    if (this.spinners.length !== 0) this.ownerOffCpu(task);
  }

  private startOnCpu(task: SimTask): void {
    this.running.push(task);
    task.state = TaskState.RUNNING;
    task.runStart = this.now;
    task.cpuEnd = this.now + task.cpuLeft;
    this.observer.cpuStart(this.now, task);
    this.heap.push(task.cpuEnd, task.id, task.evTag);
  }

  private preemptTask(victim: SimTask): void {
    this.removeRunning(victim);
    victim.cpuLeft = victim.cpuEnd - this.now;
    victim.ranSinceWake += this.now - victim.runStart;
    victim.evTag++;
    this.observer.cpuStop(this.now, victim, true);
    this.enqueueRunnable(victim);
    if (this.spinners.length !== 0) this.ownerOffCpu(victim);
  }

  private enqueueRunnable(task: SimTask): void {
    task.state = TaskState.RUNNABLE;
    task.rqSeq = this.rqSeq++;
    const rq = this.runqueue;
    let i = rq.length;
    while (i > 0) {
      const o = rq[i - 1]!;
      if (o.prio < task.prio || (o.prio === task.prio && o.rqSeq < task.rqSeq)) break;
      i--;
    }
    rq.splice(i, 0, task);
    this.observer.cpuQueued(this.now, task);
  }

  private removeRunning(task: SimTask): void {
    const r = this.running;
    const i = r.indexOf(task);
    r[i] = r[r.length - 1]!;
    r.pop();
  }

  /** A CPU burst finished: give the CPU to the best runnable task. */
  private cpuRelease(task: SimTask): void {
    task.ranSinceWake += this.now - task.runStart;
    this.observer.cpuStop(this.now, task, false);
    if (this.cpus === null) return;
    this.removeRunning(task);
    const next = this.runqueue.shift();
    if (next !== undefined) this.startOnCpu(next);
    else this.free++;
  }
}
