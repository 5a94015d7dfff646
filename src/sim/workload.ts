/**
 * A fault op's page states, in an array of one elements kind whatever
 * compiled this (Array.prototype.map's result differs between the
 * interpreter and TurboFan's inlined map, and UserFault.begin was
 * deoptimised on the new map: shapes.ts).
 */
function stateNames(states: ReadonlyArray<readonly [PageState, number]>): PageState[] {
  const out = objectArray<PageState>();
  for (const [st] of states) out.push(st);
  return out;
}

/**
 * The user-space side of a scenario: builds the mm from the scenario's VMA
 * groups and runs each thread's operation mix, calling the kernel paths the
 * way a program's syscalls and memory accesses would.
 *
 * Page states: before a fault, the target page is put in a state drawn from
 * the op's `states` weights -- unless a fault, I/O or lock holder is already
 * working on that page's folio, in which case the fault meets that real state
 * (two threads faulting one page share the I/O, as in the kernel).
 */
import {
  call, Cost, COST_NAMES, cpu, mutableCall, mutableSleep, do_mprotect_pkey, do_mmap, do_mmap_fixed,
  do_vmi_align_munmap, dup_mmap, fork_child_exit_cpu, LawName, madvise_dontneed, madvise_flags, MmStruct,
  MPROTECT_PROT_BITS, sleep, VM_PROT_MASK, do_mremap, MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE, VM_READ,
  VM_WRITE, get_user_pages, mem_cgroup_handle_over_high, proc_pid_maps_read, proc_pid_smaps_read, show_smaps_rollup,
  kswapd, wb_workfn, set_page_state, EINTR, exit_mmap, fatal_signal_pending, OOM_REAP_FAILED, OOM_REAPED,
  oom_reap_task, process_mrelease, send_sigkill, type FolioHolder, type FaultStrategy,
  type ForkStrategy, type KPath, type CostName,
} from '../model/index.js';
import { objectArray } from '../model/shapes.js';
import type {
  FaultOp, FrameSpec, GupOp, KillSpec, Law, MadviseOp, MremapOp, MunmapOp, OpSpec, PageState, ProcReadOp, RangeOp, Scenario, ThreadSpec,
} from '../scenario/types.js';
import { Simulator, type SimTask } from './engine.js';
import type { SimObserver } from './observer.js';
import { adviceOf, buildMm, type Slot, vmFlags } from './build-mm.js';
import { type CompiledFault, FAST_NONE, type SleepCurve, UserFault } from './user-fault.js';
import { ThreadLoop } from './thread-loop.js';
import { MprotectWalks } from './mprotect-walk.js';
import { ForkWalks } from './fork-walk.js';

export { buildMm, vmFlags };

export class Workload {
  readonly cumWeights = new Map<ThreadSpec, Float64Array>();
  readonly faults = new Map<FaultOp, CompiledFault>();
  /** The process's threads, and how many have not exited. */
  private readonly appTasks: SimTask[] = [];
  private live = 0;
  /** fork's copy_process CPU outside dup_mmap (Cost.copy_process); 0 = not charged, no step. */
  copyProcessNs = 0;
  /** The fork op's child exit is modelled (one of Cost.do_exit, exit_mmap_vma, unlink_anon_vmas, exit_mmap_pte set). */
  childExit = false;
  /** Cost.fault_after_sleep; 0 = not charged, no step. */
  faultAfterSleepNs = 0;
  /** Cost.cached_fault_after_sleep, major_fault_after_sleep, swapin_fault_after_sleep (a fault after a sleep, by kind); 0 = not charged, no step. */
  cachedFaultAfterSleepNs = 0;
  majorFaultAfterSleepNs = 0;
  swapinFaultAfterSleepNs = 0;
  /** The same kinds' refill by the sleep (Scenario.after_sleep_points), or null: the single value above. */
  faultAfterSleepBy: SleepCurve | null = null;
  cachedFaultAfterSleepBy: SleepCurve | null = null;
  majorFaultAfterSleepBy: SleepCurve | null = null;
  swapinFaultAfterSleepBy: SleepCurve | null = null;
  /**
   * Some fault after a sleep pays a refill (one of the four costs above 0,
   * or a curve): set by simulate() once the fields above are. When false,
   * UserFault.begin skips afterSleepRefill, which would return null for
   * every fault (the reference bench: all four are 0).
   */
  afterSleepRefills = true;
  /** The `mprotect` ops' pairs and their walks' refill (Cost.change_pte_after_sleep): set by simulate(). */
  mprotectWalks = new MprotectWalks(0, null);
  /** The `fork` ops' copy refill (Cost.copy_pte_after_sleep, fork-walk.ts): set by simulate(). */
  forkWalks = new ForkWalks(0, null);

  constructor(
    readonly sim: Simulator,
    readonly mm: MmStruct,
    private readonly slots: Map<string, Slot[]>,
  ) {}

  /**
   * Spawn one task per thread. `laws` (LawName order) are the scenario's I/O
   * laws; a thread with an `io` override gets its own copy with the override.
   */
  spawnAll(threads: readonly ThreadSpec[], laws?: readonly Law[]): void {
    for (const th of threads) {
      let acc = 0;
      this.cumWeights.set(th, Float64Array.from(th.ops, (o) => (acc += o.weight)));
      for (const op of [...th.ops, ...(th.frame?.ops ?? [])]) {
        if (op.op === 'fault') {
          let a = 0;
          this.faults.set(op, {
            slots: this.slots.get(op.vma)!,
            write: op.access !== 'read',
            wp: op.access === 'wp',
            sequential: op.order === 'sequential',
            totalPages: this.slots.get(op.vma)!.reduce((n, sl) => n + sl.pages, 0),
            states: stateNames(op.states),
            stateCum: Float64Array.from(op.states, ([, w]) => (a += w)),
          });
        }
      }
      const frame = th.frame;
      const task = frame
        ? this.sim.spawn(th.name, th.class, (t) => this.life(t, th, frame), th.group)
        : this.sim.spawnLoop(th.name, th.class, (t) => new ThreadLoop(this, t, th), th.group);
      this.live++;
      this.appTasks.push(task);
      if (th.io !== undefined && laws !== undefined) {
        const own = laws.slice();
        if (th.io.read !== undefined) own[LawName.read] = th.io.read;
        if (th.io.swap !== undefined) own[LawName.swap] = th.io.swap;
        task.laws = own;
      }
    }
  }

  /**
   * Process death (scenario `kill`): a task outside the process (lmkd, or the
   * kernel's OOM killer and reaper) sends SIGKILL to every thread at
   * `kill.at`, then reaps the anonymous memory (oom_reap_task or
   * process_mrelease) unless `reaper` is 'none'.
   */
  spawnKiller(kill: KillSpec): void {
    const comm = kill.reaper === 'oom_reaper' ? 'oom_reaper' : kill.reaper === 'process_mrelease' ? 'lmkd' : 'killer';
    this.sim.spawn(comm, kill.reaper_class, () => this.killer(kill), comm);
  }

  private *killer(kill: KillSpec): KPath {
    const sim = this.sim, obs: SimObserver = sim.observer, mm = this.mm;
    yield sleep(kill.at);
    obs.death?.(sim.now, 'kill'); // observers see the sleepers the signal is about to wake
    for (const t of this.appTasks) send_sigkill(t); // do_send_sig_info(SIGKILL, ..., PIDTYPE_TGID)
    if (kill.reaper === 'none') return;
    if (kill.reaper_delay > 0) yield sleep(kill.reaper_delay);
    const r = kill.reaper === 'oom_reaper'
      ? yield* oom_reap_task(mm, () => obs.death?.(sim.now, 'reap_trylock_failed'))
      : yield* process_mrelease(mm);
    if (r === OOM_REAPED) obs.death?.(sim.now, 'reaped');
    else if (r === OOM_REAP_FAILED) obs.death?.(sim.now, 'reap_gave_up');
  }

  /** A frame thread's life: its loop until a fatal signal, then do_exit. (Other threads: ThreadLoop.) */
  private *life(task: SimTask, th: ThreadSpec, frame: FrameSpec): KPath {
    yield call(this.frameThread(task, th, frame));
    yield* this.threadExit();
  }

  /** do_exit -> exit_mm -> mmput of a thread whose loop ended: the last thread to leave tears the address space down (exit_mmap). */
  *threadExit(): KPath {
    if (--this.live !== 0) return;
    const obs: SimObserver = this.sim.observer;
    obs.death?.(this.sim.now, 'threads_exited');
    yield* exit_mmap(this.mm);
    obs.death?.(this.sim.now, 'exit_mmap_done');
  }

  /**
   * A frame thread: at each vsync run the frame's ops in order, report the
   * frame's end, then sleep until the next vsync (skipping the vsyncs a late
   * frame overran, as Choreographer does).
   */
  private *frameThread(task: SimTask, th: ThreadSpec, frame: FrameSpec): KPath {
    const sim = this.sim, obs: SimObserver = sim.observer;
    const uf = new UserFault(this, task);
    // Reused effects (engines read a SLEEP's `ns`, and push a CALL's `path`, as soon as it is yielded).
    const pause = mutableSleep(), opCall = mutableCall();
    let vsync = th.start;
    if (vsync > 0) {
      yield sleep(vsync);
      uf.slept = true;
      uf.sleptNs = vsync;
    }
    for (;;) {
      for (const op of frame.ops) {
        const fault = op.op === 'fault' ? this.faults.get(op)! : null;
        for (let rep = 0; rep < op.repeat; rep++) {
          if (fatal_signal_pending(task)) return; // a fatal signal: back to user mode and exit
          if (rep > 0 && op.gap !== null) {
            const asked = task.rng.draw(op.gap);
            pause.ns = sim.timerSleep(task, asked);
            yield pause;
            uf.slept = true;
            uf.sleptNs = asked;
          }
          if (fatal_signal_pending(task)) return;
          if (fault === null) {
            opCall.path = this.runOp(task, op, sim, uf.slept);
            yield opCall;
            uf.slept = false;
          } else {
            let v: unknown = yield uf.begin(fault);
            while (uf.fastStage !== FAST_NONE) { // the fast path's next step (user-fault.ts)
              const c = uf.fastNext(v);
              v = typeof c === 'number' ? c : yield c;
            }
            uf.end(v as number);
          }
        }
      }
      if (fatal_signal_pending(task)) return;
      obs.frameEnd?.(sim.now, task, vsync);
      const k = Math.max(1, Math.ceil((sim.now - vsync) / frame.period));
      vsync += k * frame.period;
      if (vsync > sim.now) {
        pause.ns = vsync - sim.now;
        yield pause;
        uf.slept = true;
        uf.sleptNs = pause.ns;
      }
      if (fatal_signal_pending(task)) return;
    }
  }

  /**
   * Every op but faults (ThreadLoop and frame threads run them as a CALL); `slept`: the thread slept since its
   * last op. Each kind of op is its own generator: TurboFan compiles (and, after a deopt, recompiles) only the
   * kinds that run hot, each with its own callees inlined, instead of one generator with every kind's code
   * compiled again whenever any kind's path is first met (bench/README.md, "Compile time per isolate"). The
   * switch only picks the generator: nothing runs until the caller's first next(), as before.
   */
  runOp(task: SimTask, op: OpSpec, sim: Simulator, slept = false): KPath {
    switch (op.op) {
      case 'fault':
        throw new Error('faults run inline in the thread loop');
      case 'mprotect':
      case 'madvise_dontneed': return this.rangeOp(task, op, sim, slept);
      case 'madvise': return this.madviseOp(task, op, sim);
      case 'mremap': return this.mremapOp(task, op, sim);
      case 'munmap': return this.munmapOp(task, op, sim);
      case 'fork': return this.forkOp(task, sim, slept);
      case 'proc_maps':
      case 'proc_smaps':
      case 'proc_smaps_rollup': return this.procReadOp(task, op, sim);
      case 'gup': return this.gupOp(task, op, sim);
    }
  }

  /** mprotect (a pair with `prot`, or the load generator's walk) and madvise(MADV_DONTNEED). */
  private *rangeOp(task: SimTask, op: RangeOp, sim: Simulator, slept: boolean): KPath {
    const obs: SimObserver = sim.observer;
    const mm = this.mm;
    const slot = this.pickSlot(task, op.vma);
    const n = Math.min(op.pages, slot.pages);
    const addr = this.rangeStart(task, slot, n);
    obs.opBegin(sim.now, task, op.op);
    if (op.op === 'mprotect' && op.prot != null) {
      // The protection the pages have now (what the GC restores after a pair).
      const old = (mm.find_vma(addr)?.vm_flags ?? VM_READ) & VM_PROT_MASK;
      const walks = this.mprotectWalks, range = { slot, addr, pages: n };
      const refill = walks.on ? walks.refill(range, mm.find_vma(addr), sim.now, slept) : 0;
      const ok = yield* do_mprotect_pkey(mm, addr, n, MPROTECT_PROT_BITS[op.prot], refill);
      obs.opEnd(sim.now, task, op.op, ok ? 0 : -12);
      if (op.restore === true) {
        obs.opBegin(sim.now, task, op.op);
        const again = walks.on ? walks.refill(range, mm.find_vma(addr), sim.now, false) : 0;
        const back = yield* do_mprotect_pkey(mm, addr, n, old, again);
        obs.opEnd(sim.now, task, op.op, back ? 0 : -12);
      }
      return;
    }
    if (op.op === 'mprotect') {
      // The load generator's pair (mprotect-walk.ts): the restore takes its protect's range.
      const walks = this.mprotectWalks;
      const r = walks.range(task.id, slot, addr, n);
      const refill = walks.on ? walks.refill(r, mm.find_vma(r.addr), sim.now, slept) : 0;
      const ok = yield* do_mprotect_pkey(mm, r.addr, r.pages, undefined, refill);
      obs.opEnd(sim.now, task, op.op, ok ? 0 : -12);
      return;
    }
    const ok = yield* madvise_dontneed(mm, addr, n);
    obs.opEnd(sim.now, task, op.op, ok ? 0 : -12);
  }

  /** madvise with an advice flag, and its restore. */
  private *madviseOp(task: SimTask, op: MadviseOp, sim: Simulator): KPath {
    const obs: SimObserver = sim.observer;
    const mm = this.mm;
    const slot = this.pickSlot(task, op.vma);
    const n = Math.min(op.pages, slot.pages);
    const addr = this.rangeStart(task, slot, n);
    const old = adviceOf(mm.find_vma(addr)?.vm_flags ?? 0); // the advice the pages have now (restore gives it back)
    obs.opBegin(sim.now, task, 'madvise');
    const ok = yield* madvise_flags(mm, addr, n, op.advice);
    obs.opEnd(sim.now, task, 'madvise', ok ? 0 : -12);
    if (op.restore) {
      obs.opBegin(sim.now, task, 'madvise');
      const back = yield* madvise_flags(mm, addr, n, old);
      obs.opEnd(sim.now, task, 'madvise', back ? 0 : -12);
    }
  }

  /** mremap and the mremap that undoes it. */
  private *mremapOp(task: SimTask, op: MremapOp, sim: Simulator): KPath {
    const obs: SimObserver = sim.observer;
    const mm = this.mm;
    // The last n pages of the slot, to new_pages; then the mremap that undoes it.
    const slot = this.pickSlot(task, op.vma);
    const n = Math.min(op.pages ?? slot.pages, slot.pages), m = op.new_pages;
    const addr = slot.start + slot.pages - n;
    obs.opBegin(sim.now, task, 'mremap');
    const ret = yield* do_mremap(mm, addr, n, m, (op.maymove ? MREMAP_MAYMOVE : 0) | (op.dontunmap ? MREMAP_DONTUNMAP : 0));
    obs.opEnd(sim.now, task, 'mremap', ret < 0 ? -12 : 0);
    if (ret < 0 || (ret === addr && m === n)) return;
    obs.opBegin(sim.now, task, 'mremap');
    const back = ret === addr
      ? yield* do_mremap(mm, addr, m, n, 0) // resized in place: shrink back, or grow back into the pages it unmapped
      : yield* do_mremap(mm, ret, m, n, MREMAP_MAYMOVE | MREMAP_FIXED, addr); // moved: move back (unmapping what DONTUNMAP left)
    obs.opEnd(sim.now, task, 'mremap', back < 0 ? -12 : 0);
  }

  /** munmap + mmap of the VMA, or mmap(MAP_FIXED) over it. */
  private *munmapOp(task: SimTask, op: MunmapOp, sim: Simulator): KPath {
    const obs: SimObserver = sim.observer;
    const mm = this.mm;
    const slot = this.pickSlot(task, op.vma);
    if (op.fixed) {
      // mmap(MAP_FIXED) over the VMA: a new mapping with its flags replaces it (__mmap_region).
      const v = mm.find_vma(slot.start);
      if (v === null) return;
      obs.opBegin(sim.now, task, 'mmap');
      const vma = yield* do_mmap_fixed(mm, {
        group: v.group, vm_start: v.vm_start, vm_end: v.vm_end, vm_flags: v.vm_flags, vm_file: v.vm_file,
        has_map_pages: v.has_map_pages, resident: 0,
      });
      obs.opEnd(sim.now, task, 'mmap', vma === null ? -EINTR : 0);
      return;
    }
    obs.opBegin(sim.now, task, 'munmap');
    const old = yield* do_vmi_align_munmap(mm, slot.start);
    obs.opEnd(sim.now, task, 'munmap', old === null ? -22 : 0);
    if (old !== null) {
      obs.opBegin(sim.now, task, 'mmap');
      const vma = yield* do_mmap(mm, old);
      obs.opEnd(sim.now, task, 'mmap', vma === null ? -EINTR : 0);
    }
  }

  /** fork: dup_mmap and the child's placement and exit. */
  private *forkOp(task: SimTask, sim: Simulator, slept: boolean): KPath {
    const obs: SimObserver = sim.observer;
    const mm = this.mm;
    obs.opBegin(sim.now, task, 'fork');
    // kernel/fork.c copy_process: the work around copy_mm -> dup_mm -> dup_mmap, outside mmap_lock.
    if (this.copyProcessNs > 0) yield cpu(Cost.copy_process);
    const walks = this.forkWalks;
    const ret = yield* dup_mmap(mm, null, walks.on ? walks.refill(sim.now, slept) : 0);
    walks.walked(sim.now);
    // kernel/fork.c kernel_clone -> wake_up_new_task: the child (which calls exit_group(0) at once)
    // is placed on an idle CPU if there is one; if not, it is queued on the parent's CPU and runs
    // before the parent returns to user space when a reader woken by dup_mmap's mmap_write_unlock
    // was queued on the parent's CPU too (check_preempt_wakeup_fair: the wakee preempts the
    // parent; EEVDF then picks the child, placed with half a slice, before the parent), or when
    // the parent has run past its protected slice (RUN_TO_PARITY; Simulator.childPreemptsParent,
    // sim/placement.ts). Then the parent returns from fork() only after the child's do_exit ->
    // exit_mmap (fork_child_exit_cpu), charged here on the parent's CPU. Otherwise the child's
    // exit is not modelled (docs/fidelity.md).
    const childFirst = ret === 0 && this.childExit && sim.childPreemptsParent(task);
    if (ret === 0 && this.childExit) obs.forkPlacement?.(sim.now, task, childFirst);
    if (childFirst) yield fork_child_exit_cpu(mm);
    obs.opEnd(sim.now, task, 'fork', ret);
  }

  /** A read of /proc/PID/maps, smaps or smaps_rollup. */
  private *procReadOp(task: SimTask, op: ProcReadOp, sim: Simulator): KPath {
    const obs: SimObserver = sim.observer;
    const mm = this.mm;
    obs.opBegin(sim.now, task, op.op);
    if (op.op === 'proc_maps') yield* proc_pid_maps_read(mm, op.lock === 'vma', op.chunk);
    else if (op.op === 'proc_smaps') yield* proc_pid_smaps_read(mm, op.chunk);
    else yield* show_smaps_rollup(mm);
    obs.opEnd(sim.now, task, op.op, 0);
  }

  /** get_user_pages over a range, each page in its drawn state. */
  private *gupOp(task: SimTask, op: GupOp, sim: Simulator): KPath {
    const obs: SimObserver = sim.observer;
    const mm = this.mm;
    const slot = this.pickSlot(task, op.vma);
    const n = Math.min(op.pages, slot.pages);
    const addr = this.rangeStart(task, slot, n);
    const rng = task.rng;
    let cum = this.gupCum.get(op);
    if (cum === undefined) {
      let a = 0;
      this.gupCum.set(op, (cum = op.states.map(([, w]) => (a += w))));
    }
    const stateCum = cum;
    const holder: FolioHolder = (folio, kind, unlock) => {
      sim.schedule(sim.now + sim.drawLaw(kind === 'locked' ? LawName.folio_lock_hold : LawName.writeback, task), unlock, folio);
    };
    // The page's drawn state, just before GUP looks it up (without memory:, as for a fault).
    const before = (a: number): void => {
      if (mm.memory !== null) return;
      const vma = mm.find_vma(a);
      const st = op.states[op.states.length === 1 ? 0 : rng.pick(stateCum)]![0];
      if (vma !== null) set_page_state(vma, a - vma.vm_start, st, holder);
    };
    obs.opBegin(sim.now, task, 'gup');
    const ret = yield* get_user_pages(mm, addr, n, op.access === 'write', op.mode, before);
    if (mm.memory !== null) yield* mem_cgroup_handle_over_high(mm); // return to user
    obs.opEnd(sim.now, task, 'gup', ret < 0 ? ret : 0);
  }

  /** Cumulative state weights of each gup op (made on first use). */
  private readonly gupCum = new Map<OpSpec, number[]>();

  /** A random start for `n` pages inside the slot (the op's range). */
  private rangeStart(task: SimTask, slot: Slot, n: number): number {
    return slot.start + task.rng.below(slot.pages - n + 1);
  }

  private pickSlot(task: SimTask, group: string): Slot {
    const list = this.slots.get(group)!;
    return list.length === 1 ? list[0]! : list[task.rng.below(list.length)]!;
  }
}

/** Cost table in COST_NAMES order from a scenario. */
export function costArray(sc: Scenario): number[] {
  // A refill with a curve (Scenario.after_sleep_points) is charged as its interpolated ns of a 1 ns cost (user-fault.ts refillOf).
  const by: Partial<Record<CostName, unknown>> = sc.after_sleep_points ?? {};
  return COST_NAMES.map((n) => (by[n] !== undefined ? 1 : sc.costs[n]));
}

/** A kind's [sleep ns, refill ns] points as a curve (user-fault.ts interpolateRefill), or null. */
function sleepCurve(points: ReadonlyArray<readonly [number, number]> | undefined): SleepCurve | null {
  if (points === undefined || points.length === 0) return null;
  return { xs: Float64Array.from(points, (p) => p[0]), ys: Float64Array.from(points, (p) => p[1]) };
}

/** Transfer time of one 4 KiB page at `mbps` MB/s (10^6 bytes/s), in ns. */
export function readNsPerPage(mbps: number): number {
  return (4096 * 1000) / mbps;
}

export interface RunSpec {
  scenario: Scenario;
  fault: FaultStrategy;
  fork: ForkStrategy;
  seed: number;
  observer?: SimObserver;
}

/** Build and run one simulation of a scenario. Returns the engine (for its counters). */
export function simulate(spec: RunSpec): Simulator {
  const sc = spec.scenario;
  const { mm, slots } = buildMm(sc, spec.fault, spec.fork);
  const sim = new Simulator({
    cpus: sc.cpus,
    preempt: sc.preempt,
    costs: costArray(sc),
    laws: [sc.io.read, sc.io.swap, sc.io.writeback, sc.io.folio_lock_hold],
    seed: spec.seed,
    ...(spec.observer ? { observer: spec.observer } : {}),
    ...(sc.io.read_bandwidth !== undefined ? { readNsPerPage: readNsPerPage(sc.io.read_bandwidth) } : {}),
    ...(sc.mmap_lock.writer_spin === true ? { writerSpin: true } : {}),
    ...(sc.mmap_lock.lock_steal !== false ? { lockSteal: true } : {}),
    ...(sc.sched?.runqueues === 'per-cpu' ? { perCpuRunqueues: true } : {}),
    ...(sc.sched?.vcpu_pack === true ? { vcpuPack: true } : {}),
  }, mm);
  const w = new Workload(sim, mm, slots);
  w.copyProcessNs = sc.costs.copy_process;
  w.childExit = sc.costs.do_exit + sc.costs.exit_mmap_vma + sc.costs.unlink_anon_vmas + sc.costs.exit_mmap_pte > 0;
  w.faultAfterSleepNs = sc.costs.fault_after_sleep;
  w.cachedFaultAfterSleepNs = sc.costs.cached_fault_after_sleep;
  w.majorFaultAfterSleepNs = sc.costs.major_fault_after_sleep;
  w.swapinFaultAfterSleepNs = sc.costs.swapin_fault_after_sleep;
  const by = sc.after_sleep_points;
  if (by !== undefined) {
    w.faultAfterSleepBy = sleepCurve(by.fault_after_sleep);
    w.cachedFaultAfterSleepBy = sleepCurve(by.cached_fault_after_sleep);
    w.majorFaultAfterSleepBy = sleepCurve(by.major_fault_after_sleep);
    w.swapinFaultAfterSleepBy = sleepCurve(by.swapin_fault_after_sleep);
  }
  w.afterSleepRefills = w.faultAfterSleepNs > 0 || w.cachedFaultAfterSleepNs > 0 || w.majorFaultAfterSleepNs > 0 ||
    w.swapinFaultAfterSleepNs > 0 || w.faultAfterSleepBy !== null || w.cachedFaultAfterSleepBy !== null ||
    w.majorFaultAfterSleepBy !== null || w.swapinFaultAfterSleepBy !== null;
  w.mprotectWalks = new MprotectWalks(sc.costs.change_pte_after_sleep, sleepCurve(by?.change_pte_after_sleep));
  w.forkWalks = new ForkWalks(sc.costs.copy_pte_after_sleep, sleepCurve(by?.copy_pte_after_sleep));
  w.spawnAll(sc.threads, [sc.io.read, sc.io.swap, sc.io.writeback, sc.io.folio_lock_hold]);
  if (sc.kill !== undefined) w.spawnKiller(sc.kill);
  const memcg = mm.memory;
  if (memcg !== null && memcg.cfg.total > 0) sim.spawn('kswapd0', 'DEFAULT', () => kswapd(memcg), 'kswapd');
  // The flusher (wb_workfn), when some file VMA can be dirtied through a shared writable mapping.
  if (memcg !== null && mm.vmas.some((v) => v.vm_file && v.vm_shared && (v.vm_flags & VM_WRITE) !== 0)) {
    sim.spawn('kworker/flush', 'DEFAULT', () => wb_workfn(memcg), 'flusher');
  }
  sim.run(sc.duration);
  return sim;
}
