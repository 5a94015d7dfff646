/**
 * The simulator's CPUs (moved out of engine.ts): the free-CPU count, the
 * running tasks and the priority-ordered run queue, wake-ups, writer
 * optimistic spinning on an rwsem, preemption. `Simulator` (engine.ts)
 * extends it with the event loop and the stepping of tasks.
 */
import {
  Cost, RwSemaphore,
  type Folio, type WaitResource,
} from '../model/index.js';
import { EventHeap } from './heap.js';
import { doubleFields, objectArray } from '../model/shapes.js';
import { NullObserver, type SimObserver, type WaitClass } from './observer.js';
import { SimTask, TaskState, type EngineConfig } from './task.js';
import { child_runs_first, select_idle_sibling } from './placement.js';

/** The wait class a resource reports (a folio locked by in-flight I/O counts as 'io'). */
export function waitClass(res: WaitResource): WaitClass {
  const cls: WaitClass = res.lockClass;
  return cls === 'folio' && (res as Folio).owner === 'io' ? 'io' : cls;
}

export abstract class CpuSched {
  now = 0;
  readonly tasks: SimTask[] = objectArray();
  readonly observer: SimObserver;
  protected readonly heap = new EventHeap();
  protected readonly costs: Float64Array;
  /** Cost.wakeup, ns (0: a woken task is runnable at once). */
  private readonly wakeupNs: number;
  protected readonly cpus: number | null;
  /** No CPU limit (`cpus: null`): every CPU step starts at once. */
  protected readonly unlimitedCpus: boolean;
  private readonly preempt: boolean;
  private free: number;
  /** One run queue per CPU (EngineConfig.perCpuRunqueues with a number of CPUs; sim/runqueues.ts). */
  protected readonly perCpu: boolean;
  private readonly running: SimTask[] = objectArray();
  private readonly runqueue: SimTask[] = objectArray();
  private rqSeq = 0;
  protected cur: SimTask | null = null;
  /** Tasks spinning on an rwsem, each holding a CPU (trySpin). */
  protected readonly spinners: SimTask[] = objectArray();
  /**
   * Per CPU the task running or spinning on it, null when idle (the
   * kernel's rq->curr; SimTask.cpu the other way). Empty with unlimited
   * CPUs. `free` is the number of nulls; placement decisions still use the
   * count, this only says which CPU (select_idle_sibling).
   */
  protected readonly cpuTask: Array<SimTask | null>;
  /** Cost.tick_sched_timer and Cost.tick_nsec, ns (sched_tick; 0: no tick). */
  private readonly tickNs: number;
  protected readonly tickPeriod: number;
  /** A tick is pending on the grid (armTick). */
  private tickArmed = false;
  private readonly tickFn = (): void => this.sched_tick();

  constructor(cfg: EngineConfig) {
    this.cpus = cfg.cpus;
    this.unlimitedCpus = cfg.cpus === null;
    this.free = cfg.cpus ?? 0;
    this.cpuTask = new Array<SimTask | null>(cfg.cpus ?? 0).fill(null);
    this.preempt = cfg.preempt;
    this.perCpu = cfg.perCpuRunqueues === true && cfg.cpus !== null;
    this.costs = Float64Array.from(cfg.costs);
    this.wakeupNs = Math.round(this.costs[Cost.wakeup] ?? 0);
    const tick = Math.round(this.costs[Cost.tick_nsec] ?? 0), tickNs = Math.round(this.costs[Cost.tick_sched_timer] ?? 0);
    this.tickPeriod = tick > 0 && tickNs > 0 ? tick : 0;
    this.tickNs = this.tickPeriod > 0 ? tickNs : 0;
    this.observer = cfg.observer ?? new NullObserver();
    doubleFields(this, ['now']); // passes 2^31 ns (model/shapes.ts)
  }

  /**
   * The CPUs other than the current task's that run a thread of the mm now
   * (the model's mm_cpumask without lazy-TLB CPUs, for a TLB shoot-down):
   * tasks on a CPU. The current task is being stepped, so it is not among
   * them. Capped at cpus - 1. A thread in user space (think time) is asleep
   * in the model and not counted (docs/fidelity.md).
   */
  protected remoteCpusRunning(): number {
    if (this.perCpu) return this.rqRemoteCpus();
    if (this.cpus !== null) return Math.min(this.running.length + this.spinners.length, this.cpus - 1);
    let n = this.spinners.length;
    for (const t of this.tasks) if (t.state === TaskState.RUNNING && t !== this.cur) n++;
    return n;
  }

  /** Tasks woken and not yet running (TaskState.WOKEN, in the wake-up latency), the current one not counted. */
  protected wokenPending(): number {
    let n = 0;
    for (const t of this.tasks) if (t.state === TaskState.WOKEN && t !== this.cur) n++;
    return n;
  }

  /**
   * Of wokenPending, those whose lag at their last sleep was positive
   * (update_entity_lag: vlag > 0): with per-CPU run queues the entity's
   * vlag, with the global queue SimTask.lagOwed.
   */
  protected wokenPendingOwed(): number {
    let n = 0;
    for (const t of this.tasks) {
      if (t.state === TaskState.WOKEN && t !== this.cur && (this.perCpu ? t.vlag > 0 : t.lagOwed)) n++;
    }
    return n;
  }

  /**
   * `t` wakes from a sleep (think, gap, lock or I/O wait): a new run period
   * starts (ranSinceWake: the protected slice's count) and the lag it went
   * to sleep with is kept (SimTask.lagOwed).
   */
  protected newRunPeriod(t: SimTask): void {
    t.ranSinceWake = 0;
    t.lagOwed = t.queuedSinceWake && t.othersQueuedAtRelease;
    t.queuedSinceWake = false;
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
    if (this.perCpu) return this.rqChildPreemptsParent(parent);
    return this.cpus !== null && child_runs_first(this.cpus, this.free, this.wokenPending(), parent.ranSinceWake, this.wokenPendingOwed());
  }

  /**
   * wake_up_process: the blocked task becomes runnable now, or after the
   * wake-up latency (Cost.wakeup: try_to_wake_up's IPI, idle exit and context
   * switch) when the scenario's costs give one.
   */
  protected wake(t: SimTask): void {
    if (t.state !== TaskState.BLOCKED) {
      throw new Error(`wake_up_process(${t.comm}): task is not sleeping (lost or double wake-up)`);
    }
    if (t.spinning) { // handed the lock while spinning: it is on a CPU, no wake-up latency
      this.endSpin(t, true);
      t.state = TaskState.WOKEN;
      t.blockedOn = null;
      this.heap.push(t.irqUntil > this.now ? t.irqUntil : this.now, t.id, t.evTag); // after an interrupt on its CPU (irq)
      return;
    }
    t.state = TaskState.WOKEN;
    const on = t.blockedOn;
    if (on instanceof RwSemaphore && on.wokenWriter === t) t.lockRetry = on; // woken without the lock (lock stealing)
    t.blockedOn = null;
    this.newRunPeriod(t);
    const w = this.cur; // try_to_wake_up runs on the waker's CPU; in a timer callback (w null) on the hrtimer's, the task's last
    t.wakeCpu = w !== null ? (w.cpu >= 0 ? w.cpu : w.lastCpu) : t.lastCpu;
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
  protected trySpin(t: SimTask, sem: RwSemaphore): boolean {
    if (sem.nrQueued !== 1 || sem.spinner !== null) return false;
    const owner = (sem.writer ?? sem.readers[sem.readers.length - 1] ?? null) as SimTask | null;
    if (owner === null || owner.state !== TaskState.RUNNING) return false;
    if (this.perCpu) {
      if (t.cpu < 0 || t.needResched) return false; // it spins on the CPU it holds; need_resched() stops it
    } else if (this.cpus !== null) {
      if (this.free === 0) return false;
      this.free--;
      this.takeCpu(t, select_idle_sibling(this.cpuTask, t.lastCpu));
    }
    t.spinning = true;
    t.spinDeadline = false;
    t.spinSince = this.now;
    t.runStart = this.now;
    t.irqUntil = 0;
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
  protected ownerOffCpu(t: SimTask): void {
    for (let i = this.spinners.length - 1; i >= 0; i--) {
      const s = this.spinners[i]!;
      const sem = s.blockedOn as RwSemaphore;
      if (sem.writer === t) this.giveUpSpin(s);
      else if (sem.writer === null && !s.spinDeadline) this.spinOnReaders(s, sem); // downgraded: reader-owned now
    }
  }

  /** The spin ends with the lock not taken: the CPU is given up and the task sleeps on the lock. */
  protected giveUpSpin(t: SimTask): void {
    this.endSpin(t, false);
    const res = t.blockedOn as RwSemaphore;
    res.optimistic_spin_end(t); // rwsem_down_write_slowpath: rwsem_add_waiter, then schedule()
    t.lockWaitSince = this.now; // waiter.timeout = jiffies + RWSEM_WAIT_TIMEOUT
    t.waitBegan = t.spinSince;
    this.observer.blocked(this.now, t, res, t.blockedWhat, waitClass(res), t.spinSince);
    if (t.sigkill) this.signalWake(t); // signal_pending_state before its first schedule()
  }

  /** The spin ends: `keepCpu` (per-CPU run queues, the lock handed to it) it stays on its CPU, else it leaves it. */
  private endSpin(t: SimTask, keepCpu: boolean): void {
    const sp = this.spinners;
    sp.splice(sp.indexOf(t), 1);
    t.spinning = false;
    t.ranSinceWake += this.now - t.runStart; // a spin is time on a CPU
    t.evTag++; // a pending threshold timer is stale now
    this.observer.cpuStop(this.now, t, false);
    if (this.cpus === null) return;
    if (this.perCpu) {
      if (!keepCpu) this.rqOffCpu(t);
      return;
    }
    const cpu = this.leaveCpu(t);
    t.othersQueuedAtRelease = this.runqueue.length !== 0; // SimTask.lagOwed
    const next = this.runqueue.shift();
    if (next !== undefined) this.startOnCpu(next, cpu);
    else this.free++;
  }

  /**
   * An interrupt of `ns` on CPU `cpu` now (`what`: the handler, for
   * observers): the task running on that CPU loses the time. A CPU burst in
   * progress ends `ns` later (its heap entry is pushed again; a lock it
   * holds is held that much longer); a spinning writer (trySpin), whose
   * spin is time-bounded from its start (rwsem_rspin_threshold) and is not
   * work, runs on after the interrupt if the lock is handed to it meanwhile
   * (irqUntil). An idle CPU, or unlimited CPUs (no identity), costs nobody
   * anything. Interrupts on one CPU in a row add up (each one's handler
   * runs after the last).
   */
  protected irq(cpu: number, ns: number, what: string): void {
    const on = cpu >= 0 && cpu < this.cpuTask.length ? this.cpuTask[cpu]! : null;
    // Per-CPU run queues: a task handed the lock it spun for holds its CPU this instant between bursts; it loses nothing.
    const t = on !== null && (on.spinning || on.state === TaskState.RUNNING) ? on : null;
    this.observer.irq?.(this.now, cpu, t, what, ns);
    if (t === null) return;
    if (t.spinning) {
      t.irqUntil = (t.irqUntil > this.now ? t.irqUntil : this.now) + ns;
      return;
    }
    t.cpuEnd += ns;
    t.evTag++;
    this.heap.push(t.cpuEnd, t.id, t.evTag);
  }

  /** Run `fn` at time `t` in interrupt context (Simulator.timer). */
  abstract timer(t: number, fn: () => void): void;

  /** Per-CPU run queues (sim/runqueues.ts): `task` wants a CPU for its burst (cpuLeft). */
  protected abstract rqRunOnCpu(task: SimTask): void;
  /** Per-CPU run queues: `task` leaves the CPU it holds (sleep, block, exit, a spin given up). */
  protected abstract rqOffCpu(task: SimTask): void;
  /** Per-CPU run queues: CPUs other than the current task's with a task on them. */
  protected abstract rqRemoteCpus(): number;
  /** Per-CPU run queues: childPreemptsParent. */
  protected abstract rqChildPreemptsParent(parent: SimTask): boolean;

  /**
   * The periodic scheduler tick on the busy CPUs (CONFIG_NO_HZ_IDLE): at
   * every multiple of Cost.tick_nsec (the jiffies grid:
   * tick_init_jiffy_update aligns it; no skew_tick) each CPU with a task
   * on it takes the tick's interrupt (kernel/time/tick-sched.c
   * tick_nohz_handler -> tick_sched_handle -> update_process_times ->
   * sched_tick, the softirqs it raised), Cost.tick_sched_timer taken from
   * that task (CpuSched.irq); an idle CPU has stopped its tick
   * (tick_nohz_idle_stop_tick) and costs nothing. The grid's next tick is
   * armed while some CPU is busy (armTick from takeCpu: a CPU leaving idle
   * restarts its tick on the grid, tick_nohz_restart -> hrtimer_forward)
   * and not re-armed after a tick that found every CPU idle. The tick's
   * slice check (a reschedule) and load balancing are not modelled
   * (docs/fidelity.md).
   */
  private sched_tick(): void {
    this.tickArmed = false;
    let busy = false;
    for (let c = 0; c < this.cpuTask.length; c++) {
      if (this.cpuTask[c] === null) continue;
      busy = true;
      this.irq(c, this.tickNs, 'tick_sched_timer');
    }
    if (busy) this.armTick();
  }

  /** Arm the tick at the grid's next multiple of tick_nsec after now (once). */
  private armTick(): void {
    if (this.tickArmed) return;
    this.tickArmed = true;
    this.timer((Math.floor(this.now / this.tickPeriod) + 1) * this.tickPeriod, this.tickFn);
  }

  /**
   * An IPI of `ns` to up to `max` CPUs with a task on them, other than
   * `self`'s CPU (its last one), lowest index first (CpuSched.irq on each).
   */
  protected ipiOthers(self: SimTask | null, max: number, ns: number, what: string): void {
    const own = self === null ? -1 : self.lastCpu;
    for (let c = 0, sent = 0; c < this.cpuTask.length && sent < max; c++) {
      if (c === own || this.cpuTask[c] === null) continue;
      this.irq(c, ns, what);
      sent++;
    }
  }

  /**
   * signal_wake_up(t, fatal): a killable sleep is cancelled on its resource
   * and the task woken (it finds it was not handed the lock); a think or gap
   * sleep (user space: nanosleep, epoll) ends now; an uninterruptible sleep,
   * or a task on a CPU, is left alone (it sees the signal at its next check).
   */
  protected signalWake(t: SimTask): void {
    if (t.state === TaskState.BLOCKED) {
      if (t.blockedKillable && t.blockedOn?.cancel_wait?.(t) === true) this.wake(t);
    } else if (t.state === TaskState.SLEEPING) {
      t.evTag++;
      this.newRunPeriod(t);
      t.state = TaskState.WOKEN;
      this.heap.push(this.now, t.id, t.evTag);
    }
  }

  protected runOnCpu(task: SimTask, ns: number): void {
    task.cpuLeft = ns;
    // Unlimited CPUs inline, the run queue out of line (runOnCpus): small
    // enough for TurboFan to inline into step() under faultline's inlining
    // budget (src/sweep/v8-flags.ts; bench/README.md, "The hot loop within
    // the inlining budget").
    if (this.cpus === null) {
      task.state = TaskState.RUNNING;
      task.runStart = this.now;
      this.observer.cpuStart(this.now, task);
      this.heap.push(this.now + ns, task.id, task.evTag);
      return;
    }
    this.runOnCpus(task);
  }

  /** runOnCpu with a fixed number of CPUs: a free one, a preempted victim's, or the run queue. */
  private runOnCpus(task: SimTask): void {
    if (this.perCpu) {
      this.rqRunOnCpu(task);
      return;
    }
    if (this.free === 0 && this.spinners.length !== 0) this.giveUpSpin(this.spinners[0]!); // need_resched()
    if (this.free > 0) {
      this.free--;
      this.startOnCpu(task, select_idle_sibling(this.cpuTask, task.lastCpu));
      return;
    }
    if (this.preempt) {
      let victim: SimTask | null = null;
      for (const r of this.running) if (victim === null || r.prio > victim.prio) victim = r;
      if (victim !== null && victim.prio > task.prio) {
        const cpu = victim.cpu;
        this.preemptTask(victim);
        this.startOnCpu(task, cpu);
        return;
      }
    }
    this.enqueueRunnable(task);
    if (this.spinners.length !== 0) this.ownerOffCpu(task);
  }

  /** `task` takes CPU `cpu` (idle, or just left by the task it follows). */
  protected takeCpu(task: SimTask, cpu: number): void {
    this.cpuTask[cpu] = task;
    task.cpu = cpu;
    task.lastCpu = cpu;
    if (this.tickPeriod > 0) this.armTick();
  }

  /** `task` leaves its CPU (task_cpu stays: lastCpu); returns the CPU. */
  private leaveCpu(task: SimTask): number {
    const cpu = task.cpu;
    this.cpuTask[cpu] = null;
    task.cpu = -1;
    return cpu;
  }

  private startOnCpu(task: SimTask, cpu: number): void {
    this.takeCpu(task, cpu);
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
    this.leaveCpu(victim);
    this.enqueueRunnable(victim);
    if (this.spinners.length !== 0) this.ownerOffCpu(victim);
  }

  private enqueueRunnable(task: SimTask): void {
    task.state = TaskState.RUNNABLE;
    task.queuedSinceWake = true; // SimTask.lagOwed
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
  protected cpuRelease(task: SimTask): void {
    task.ranSinceWake += this.now - task.runStart;
    this.observer.cpuStop(this.now, task, false);
    if (this.cpus !== null) this.cpuReleaseCpu(task); // out of line, as in runOnCpu
  }

  /** cpuRelease with a fixed number of CPUs: the CPU goes to the best runnable task, or is free. */
  protected cpuReleaseCpu(task: SimTask): void {
    if (this.perCpu) return; // it keeps its CPU to its next preemption point or sleep (runqueues.ts)
    this.removeRunning(task);
    const cpu = this.leaveCpu(task);
    task.othersQueuedAtRelease = this.runqueue.length !== 0; // SimTask.lagOwed
    const next = this.runqueue.shift();
    if (next !== undefined) this.startOnCpu(next, cpu);
    else this.free++;
  }
}
