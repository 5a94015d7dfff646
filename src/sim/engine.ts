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
  Cost, EffectKind, LawName, install_lock_line, next_effect, last_return, install_clock, install_mm_cpumask, install_lru_add_batch, PAGEVEC_SIZE, install_fault_around_charges, install_sched, RwSemaphore, install_signal_wake, set_sched_points, install_tracepoints, install_vm_event_sink, set_current,
  type Effect, type Folio, type KPath, type LockLine, type MmStruct, type Task, type VmEvent,
} from '../model/index.js';
import { lockCpu, lockLineCharge } from './lock-line.js';
import type { Law, PriorityClass } from '../scenario/types.js';
import { Rng } from './rng.js';
import { objectArray } from '../model/shapes.js';
import { MAX_EVENTS, MAX_ZERO_TIME_EFFECTS, SimLimitError, SimTask, TaskState, type EngineConfig, type TaskLoop } from './task.js';
import { waitClass } from './cpus.js';
import { RqSched } from './runqueues.js';

/**
 * Events per call of Simulator.loop: run() calls it again until the heap is
 * empty or past `until`, so the events are processed in the same order. A
 * call that returns after a slice lets V8 enter the optimised loop at its
 * next call instead of replacing the running one on the stack (an OSR
 * compile, repeated after each deopt; bench/README.md, thirteenth session).
 * 1024 was too many under load: with the compiler thread starved, a slice
 * still ran long enough in the interpreter for V8 to OSR it (2 OSR compiles
 * of android-large at load 23); 128 gave none.
 */
export const LOOP_SLICE = 128;

export * from './task.js';

/** kernel/locking/rwsem.c RWSEM_WAIT_TIMEOUT, DIV_ROUND_UP(HZ, 250) jiffies: 4 ms at HZ 250 and 1000. */
const RWSEM_WAIT_TIMEOUT_NS = 4_000_000;
/** A jiffy at CONFIG_HZ=250 (the calibration host's), when the costs give no Cost.tick_nsec. */
const HZ_250_JIFFY_NS = 4_000_000;

export class Simulator extends RqSched {
  private readonly laws: readonly Law[];
  private readonly cbFn: Array<((f: Folio) => void) | null> = objectArray();
  private readonly cbArg: Array<Folio | null> = objectArray();
  private readonly cbFree: number[] = [];
  private readonly seed: number;
  private readonly readNsPerPage: number;
  private readonly writerSpin: boolean;
  /** One jiffy, ns (Cost.tick_nsec; CONFIG_HZ=250 without it): RWSEM_WAIT_TIMEOUT's clock (retryWriteLock). */
  private readonly jiffyNs: number;
  /** Cost.timer_wakeup and Cost.hrtimer_irq, ns (timerSleep). */
  private readonly timerLateNs: number;
  private readonly hrtimerIrqNs: number;
  /** Cost.flush_tlb_func, ns (tlbShootdown). */
  private readonly flushTlbFuncNs: number;
  /** Cost.lock_atomic and Cost.cacheline_transfer, ns (lockLine); both 0: no lock line is tracked. */
  private readonly lockAtomicNs: number;
  private readonly lineTransferNs: number;
  /** Events popped from the heap (for benchmarks). */
  events = 0;

  constructor(cfg: EngineConfig, private readonly mm: MmStruct) {
    super(cfg);
    this.laws = cfg.laws;
    this.seed = cfg.seed;
    this.readNsPerPage = cfg.readNsPerPage ?? 0;
    this.writerSpin = cfg.writerSpin ?? false;
    if (cfg.lockSteal === true) mm.mmap_lock.lockSteal = true;
    const tick = this.costs[Cost.tick_nsec] ?? 0;
    this.jiffyNs = tick > 0 ? tick : HZ_250_JIFFY_NS;
    this.timerLateNs = this.costs[Cost.timer_wakeup] ?? 0;
    this.hrtimerIrqNs = Math.round(this.costs[Cost.hrtimer_irq] ?? 0);
    this.flushTlbFuncNs = Math.round(this.costs[Cost.flush_tlb_func] ?? 0);
    this.lockAtomicNs = this.costs[Cost.lock_atomic] ?? 0;
    this.lineTransferNs = this.costs[Cost.cacheline_transfer] ?? 0;
  }

  /**
   * The model's lock-line hook (model/lock_line.ts): the current task's
   * atomic on `line`, charged to its next CPU step (SimTask.lockNs).
   * Installed only when Cost.lock_atomic or Cost.cacheline_transfer is set.
   */
  private lockLine(line: LockLine): void {
    const t = this.cur;
    if (t === null) return; // (interrupt context: no lock operation is modelled there)
    t.lockNs += lockLineCharge(line, lockCpu(t, this.unlimitedCpus), this.lockAtomicNs, this.lineTransferNs);
  }

  /**
   * The model's mm_cpumask hook (model/sched.ts tlb_flush_remote_cpus, asked
   * only by model/tlb.ts flush_tlb_mm_range when a shoot-down is needed):
   * the count of remote CPUs the flusher's Cost.flush_tlb_multi is charged
   * for (remoteCpusRunning). With Cost.flush_tlb_func, the IPI also takes
   * CPU from the task on each of those CPUs (native_flush_tlb_multi ->
   * on_each_cpu_cond_mask -> the call-function IPI -> flush_tlb_func on the
   * target): every CPU with a task on it other than the flusher's own (its
   * last CPU), at most that count, lowest index first, now (the IPIs are
   * sent as the flush begins). With unlimited CPUs (no identity) nobody is
   * charged.
   */
  private tlbShootdown(): number {
    const n = this.remoteCpusRunning();
    if (n > 0 && this.flushTlbFuncNs > 0) this.ipiOthers(this.cur, n, this.flushTlbFuncNs, 'flush_tlb_func');
    return n;
  }

  /**
   * A user-space timer sleep of `ns` by `task` (clock_nanosleep to an
   * absolute time, as the load generator sleeps its think times and gaps):
   * returns the SLEEP's length. kernel/time/hrtimer.c hrtimer_nanosleep ->
   * do_nanosleep sleeps until the hrtimer fires and the task runs again
   * Cost.timer_wakeup after the expiry. No sleep (ns <= 0), no timer.
   *
   * Where the hrtimer fires: do_nanosleep -> hrtimer_sleeper_start_expires
   * -> hrtimer_start_range_ns -> __hrtimer_start_range_ns ->
   * switch_hrtimer_base -> get_target_base: a timer that is not pinned may
   * move to get_nohz_timer_target(), which returns the current CPU when it
   * is not idle (idle_cpu(smp_processor_id()) is false: the sleeper is
   * running there as it arms the timer), and switch_hrtimer_base keeps the
   * timer local anyway when it would expire before the other CPU's next
   * event. So the model arms it on the CPU the sleeper last ran on
   * (task_cpu: SimTask.lastCpu; it holds no CPU between its bursts here).
   * At the expiry (hrtimer_interrupt -> __hrtimer_run_queues ->
   * hrtimer_wakeup -> try_to_wake_up) the task on that CPU, if any, loses
   * Cost.hrtimer_irq (CpuSched.irq). A sleep cut short by a signal
   * (signalWake: hrtimer_cancel on the way out) fires nothing. With
   * unlimited CPUs (no identity) or the cost 0 no interrupt is modelled.
   */
  timerSleep(task: SimTask, ns: number): number {
    if (ns <= 0) return ns;
    if (this.hrtimerIrqNs > 0 && task.lastCpu >= 0) this.armHrtimer(task, ns);
    return ns + this.timerLateNs;
  }

  /**
   * timerSleep's hrtimer expiry on the sleeper's last CPU. A method of its
   * own: the closure made here would otherwise make timerSleep too large for
   * TurboFan to inline into the thread loop under faultline's inlining budget.
   */
  private armHrtimer(task: SimTask, ns: number): void {
    const cpu = task.lastCpu, tag = task.evTag;
    this.timer(this.now + ns, () => {
      if (task.state === TaskState.SLEEPING && task.evTag === tag) this.irq(cpu, this.hrtimerIrqNs, 'hrtimer_interrupt');
    });
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

  /**
   * Add a task whose program is a TaskLoop (the thread loop, sim/thread-loop.ts)
   * rather than a generator: the same streams and start as spawn().
   */
  spawnLoop(comm: string, cls: PriorityClass, loop: (t: SimTask) => TaskLoop, group = comm): SimTask {
    const t = new SimTask(this.tasks.length, comm, cls, group, Rng.stream(this.seed, this.tasks.length + 1));
    this.tasks.push(t);
    t.loop = loop(t);
    t.state = TaskState.WOKEN;
    this.heap.push(this.now, t.id, t.evTag);
    return t;
  }

  /**
   * next_effect for a task with a TaskLoop: the paths on its stack first;
   * when the stack is empty (or its last path returned) the loop goes on
   * with the value, and a CALL it returns is pushed and run.
   */
  private loopEffect(loop: TaskLoop, stack: Array<KPath<unknown>>, val: unknown): Effect | null {
    if (stack.length !== 0) {
      const e = next_effect(stack, val);
      if (e !== null) return e;
      val = last_return();
    }
    for (;;) {
      const e = loop.next(val);
      if (e === null || e.k !== EffectKind.CALL) return e;
      stack.push(e.path);
      const f = next_effect(stack, undefined);
      if (f !== null) return f;
      val = last_return();
    }
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
  private static readonly cpumaskHook = () => Simulator.active.tlbShootdown();
  private static readonly lockLineHook = (line: LockLine) => Simulator.active.lockLine(line);
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
    install_fault_around_charges(this.costs[Cost.filemap_map_pages]! > 0 || this.costs[Cost.next_uptodate_folio]! > 0 || this.costs[Cost.set_pte_range]! > 0); // do_fault_around's neighbours (model/fault_around.ts)
    install_vm_event_sink(Simulator.vmEventHook);
    install_lock_line(this.lockAtomicNs > 0 || this.lineTransferNs > 0 ? Simulator.lockLineHook : null); // model/lock_line.ts
    const mm = this.mm;
    install_tracepoints(Simulator.tracepoints);
    obs.begin?.(this.now, mm, this.tasks);
    try {
      while (this.loop(until));
      if (this.now < until) this.now = until;
      obs.finish(this.now, mm);
    } finally {
      install_signal_wake(null);
      install_mm_cpumask(null);
      install_lru_add_batch(0);
      install_fault_around_charges(false);
      install_lock_line(null);
      install_tracepoints(null);
      set_sched_points(true);
    }
  }

  /** Events per loop() call (LOOP_SLICE; a test sets others to show the slices change nothing). */
  static loopSlice = LOOP_SLICE;

  /**
   * The event loop of run(). A method of its own: V8 compiles a long loop
   * on-stack while it runs, and when that code reached run()'s epilogue it
   * was thrown away (a deopt at the end of every simulation, then a fresh
   * compile of the loop in the next one). It returns after `loopSlice`
   * events (true: call it again) or when the heap is empty or past `until`
   * (false).
   */
  private loop(until: number): boolean {
    const heap = this.heap, tasks = this.tasks;
    for (let n = Simulator.loopSlice; n !== 0; n--) {
      if (heap.size === 0 || heap.peekTime() >= until) return false;
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
        if (task.lockRetry !== null && !this.retryWriteLock(task)) continue;
        if (task.state === TaskState.RUNNING) {
          // cpuRelease, written out: the loop's inlining budget goes to the
          // event heap's pop, and this runs at every CPU step's end.
          task.ranSinceWake += this.now - task.runStart;
          this.observer.cpuStop(this.now, task, false);
          if (!this.unlimitedCpus) this.cpuReleaseCpu(task);
        }
        else if (task.state === TaskState.SLEEPING) this.newRunPeriod(task); // woken by its timer
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
    return true;
  }

  /**
   * Lock stealing (EngineConfig.lockSteal): `task`, woken at the head of an
   * rwsem's queue without the lock, runs: rwsem_down_write_slowpath's loop
   * calls rwsem_try_write_lock (RwSemaphore.try_write_lock). It returns true
   * with the lock taken (the task resumes, its wait ends now). Else a reader
   * stole the lock meanwhile: the task sleeps again, and its wait goes on:
   * observers hear `blocked` again with `since` the wait's first start (the
   * metrics count one wait, as faultline real's mmap_lock_start_locking ->
   * acquire_returned does). If it has waited past its waiter.timeout
   * (jiffies + RWSEM_WAIT_TIMEOUT, DIV_ROUND_UP(HZ, 250) jiffies: 4 ms at
   * HZ 250 or 1000; time_after: the jiffy after) it sets
   * RWSEM_FLAG_HANDOFF. Returns false then.
   */
  private retryWriteLock(task: SimTask): boolean {
    const sem = task.lockRetry!;
    task.lockRetry = null;
    if (sem.try_write_lock(task)) return true;
    task.state = TaskState.BLOCKED;
    task.blockedOn = sem;
    const j = this.jiffyNs;
    const timeout = Math.floor(task.lockWaitSince / j) + Math.ceil(RWSEM_WAIT_TIMEOUT_NS / j);
    if (Math.floor(this.now / j) > timeout) sem.setHandoff(task);
    this.observer.blocked(this.now, task, sem, task.blockedWhat, waitClass(sem), task.waitBegan);
    if (task.cpu >= 0) this.rqOffCpu(task);
    if (task.sigkill) this.signalWake(task); // signal_pending_state before schedule()
    return false;
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
      const loop = task.loop;
      const e = loop === null ? next_effect(stack, val) : this.loopEffect(loop, stack, val);
      val = undefined;
      if (e === null) {
        task.state = TaskState.DEAD;
        if (task.cpu >= 0) this.rqOffCpu(task); // per-CPU run queues: it held its CPU
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
          if (task.lockNs !== 0) { // lock operations since its last CPU step (sim/lock-line.ts)
            ns += task.lockNs;
            task.lockNs = 0;
          }
          if (ns <= 0) continue;
          this.runOnCpu(task, Math.round(ns));
          return;
        }
        case EffectKind.CPU_LAW: {
          let ns = task.rng.draw((task.laws ?? this.laws)[e.law]!);
          if (e.n > 1 && e.law === LawName.read) ns += Math.round((e.n - 1) * this.readNsPerPage); // a readahead window read synchronously (zram)
          if (task.lockNs !== 0) {
            ns += Math.round(task.lockNs);
            task.lockNs = 0;
          }
          if (ns <= 0) continue;
          this.runOnCpu(task, ns);
          return;
        }
        case EffectKind.SLEEP:
          if (e.ns <= 0) continue;
          task.state = TaskState.SLEEPING;
          this.heap.pendTime = this.now + e.ns; // (EventHeap.pushPending: no HeapNumber per sleep past 2^30 ns)
          this.heap.pushPending(task.id, task.evTag);
          if (task.cpu >= 0) this.rqOffCpu(task);
          if (this.spinners.length !== 0) this.ownerOffCpu(task);
          return;
        case EffectKind.BLOCK: {
          task.state = TaskState.BLOCKED;
          task.lockWaitSince = this.now;
          task.waitBegan = this.now;
          task.blockedOn = e.res;
          task.blockedWhat = e.what;
          task.blockedKillable = e.killable;
          const res = e.res;
          if (this.spinners.length !== 0) this.ownerOffCpu(task);
          if (this.writerSpin && res instanceof RwSemaphore && e.what === 'down_write' && this.trySpin(task, res)) return;
          this.observer.blocked(this.now, task, res, e.what, waitClass(res));
          if (task.cpu >= 0) this.rqOffCpu(task);
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
}
