/**
 * One simulated thread's user page faults: where the current one lands (its
 * page state drawn or met), and the CALL effect that runs the kernel's
 * do_user_addr_fault for it.
 */
import {
  Cost, cpu, mutableCall, do_user_addr_fault, LawName, do_user_addr_fault_and_return, set_page_state, VmAreaStruct,
  fault_fast_path_ok, do_user_addr_fault_fast_lock, do_user_addr_fault_fast_cpu, do_user_addr_fault_fast_handle, do_user_addr_fault_fast_ret,
  FAST_LOCK_MMAP, do_user_addr_fault_fast_retry_flags, do_user_addr_fault_fast_lock_mmap, do_user_addr_fault_fast_retry_cpu,
  do_user_addr_fault_fast_mmap_handle, do_user_addr_fault_fast_mmap_ret,
  vm_fault_alloc, vm_fault_reusable, FILEMAP_FAULT_STAGED, FilemapFaultStages,
  type CallEffect, type CpuEffect, type Effect, type FolioHolder, type KPath, type VmFault,
} from '../model/index.js';
import { doubleFields, mutableFields } from '../model/shapes.js';
import type { PageState } from '../scenario/types.js';
import type { Slot } from './build-mm.js';
import type { SimTask } from './engine.js';
import type { Workload } from './workload.js';

/**
 * A fault begun right after its thread slept: the cache and TLB refill of the
 * fault path (`refill`: Cost.fault_after_sleep, cached_fault_after_sleep,
 * major_fault_after_sleep or swapin_fault_after_sleep, by kind, measured by the `*-after-sleep` benches;
 * arch/x86/mm/fault.c exc_page_fault meets cold lines), then the fault.
 */
function* fault_after_sleep(refill: CpuEffect, path: KPath<number>): KPath<number> {
  yield refill;
  return yield* path;
}
const FAULT_AFTER_SLEEP_CPU = cpu(Cost.fault_after_sleep);
const CACHED_FAULT_AFTER_SLEEP_CPU = cpu(Cost.cached_fault_after_sleep);
const MAJOR_FAULT_AFTER_SLEEP_CPU = cpu(Cost.major_fault_after_sleep);
const SWAPIN_FAULT_AFTER_SLEEP_CPU = cpu(Cost.swapin_fault_after_sleep);

/**
 * A kind's refill by how long the thread slept (Scenario.after_sleep_points):
 * sleeps `xs` (ns, ascending) and refills `ys` (ns). With one, the simulator's
 * cost of the kind is 1 ns (simulate) and the refill's CPU step is its
 * interpolated ns of it.
 */
export interface SleepCurve {
  xs: Float64Array;
  ys: Float64Array;
}

/**
 * The refill after a sleep of `s` ns: linear between the measured sleeps,
 * flat below the first and beyond the last (docs/fidelity.md).
 */
export function interpolateRefill(c: SleepCurve, s: number): number {
  const xs = c.xs, ys = c.ys, n = xs.length;
  if (s <= xs[0]!) return ys[0]!;
  if (s >= xs[n - 1]!) return ys[n - 1]!;
  let i = 1;
  while (xs[i]! < s) i++; // xs[i - 1] < s <= xs[i]
  const x0 = xs[i - 1]!, y0 = ys[i - 1]!;
  return y0 + ((ys[i]! - y0) * (s - x0)) / (xs[i]! - x0);
}

/** The refill of `cost` after a sleep of `sleptNs`: its curve's figure when it has one, else its single value (or null: 0). */
function refillOf(curve: SleepCurve | null, cost: Cost, single: CpuEffect, singleNs: number, sleptNs: number): CpuEffect | null {
  if (curve === null) return singleNs > 0 ? single : null;
  const ns = Math.round(interpolateRefill(curve, sleptNs));
  return ns > 0 ? cpu(cost, ns) : null;
}

/**
 * The refill a fault after a sleep of `sleptNs` pays, by the kind of fault it
 * will be, or null (none, or its cost is 0): on an anonymous VMA, swapin_fault_after_sleep
 * when the page is swapped out (do_swap_page), else fault_after_sleep (the
 * `fault-after-sleep` bench's write fault); on a file VMA,
 * major_fault_after_sleep when the page is not in the page cache as the
 * fault begins (filemap_get_folio will miss: the kernel's filemap_fault
 * PGMAJFAULT), else cached_fault_after_sleep. A kind with a curve pays its
 * figure at `sleptNs` instead of its single value.
 */
function afterSleepRefill(w: Workload, vma: VmAreaStruct, pgoff: number, sleptNs: number): CpuEffect | null {
  if (!vma.vm_file) {
    if (vma.swapped.has(pgoff)) return refillOf(w.swapinFaultAfterSleepBy, Cost.swapin_fault_after_sleep, SWAPIN_FAULT_AFTER_SLEEP_CPU, w.swapinFaultAfterSleepNs, sleptNs);
    return refillOf(w.faultAfterSleepBy, Cost.fault_after_sleep, FAULT_AFTER_SLEEP_CPU, w.faultAfterSleepNs, sleptNs);
  }
  const miss = vma.cache.get(pgoff) === undefined && vma.evicted.has(pgoff);
  if (miss) return refillOf(w.majorFaultAfterSleepBy, Cost.major_fault_after_sleep, MAJOR_FAULT_AFTER_SLEEP_CPU, w.majorFaultAfterSleepNs, sleptNs);
  return refillOf(w.cachedFaultAfterSleepBy, Cost.cached_fault_after_sleep, CACHED_FAULT_AFTER_SLEEP_CPU, w.cachedFaultAfterSleepNs, sleptNs);
}

/** An access that does not fault (a resident, mapped anonymous page with `memory:`). */
// eslint-disable-next-line require-yield -- no kernel step runs: the CALL returns at once
function* no_fault(): KPath<number> {
  return 0;
}

/**
 * The simulator's fast path for do_user_addr_fault (model/fault.ts,
 * do_user_addr_fault_fast_*): on unless a test turns it off to compare the
 * two forms' outputs (test/fault-fast-path.test.ts).
 */
export const faultFastPath = { on: true };

export const FAST_NONE = 0, FAST_COLD = 1, FAST_LOCKED = 2, FAST_HANDLING = 3, FAST_MMAP_LOCKED = 4, FAST_MMAP_HANDLING = 5,
  FAST_FILEMAP = 6, FAST_MMAP_FILEMAP = 7;

/** A fault op with its lookups done once. */
export interface CompiledFault {
  slots: Slot[];
  write: boolean;
  /** access: wp: the page is mapped read-only when resident (do_wp_page). */
  wp: boolean;
  /** order: sequential, and the pages of the group's VMAs together. */
  sequential: boolean;
  totalPages: number;
  states: PageState[];
  /** Cumulative weights; a Float64Array, so rng.pick sees one array kind (no deopt between integer and fractional weights). */
  stateCum: Float64Array;
}

/**
 * One thread's user page faults: where the current one lands, and the CALL
 * effect that runs it. Kept out of the thread loops (ThreadLoop, the frame
 * thread's generator) so that they stay small (a generator saves and
 * restores its live registers at every yield).
 */
export class UserFault {
  private vma: VmAreaStruct | null = null;
  private pgoff = 0;
  /** Reused CALL effect: engines consume a CALL as soon as it is yielded. */
  private readonly callEffect = mutableCall();
  /** With `memory:`, the access hit a resident anonymous page: no fault, no op. */
  private noFault = false;
  /** Next page (over the group's VMAs) of each `order: sequential` fault op. */
  private readonly cursors = new Map<CompiledFault, number>();
  /**
   * The thread slept (think time, a gap, a vsync wait) since its last op:
   * its next fault pays the refill of its kind (afterSleepRefill) when the
   * costs give one.
   */
  slept = false;
  /** How long (ns) the thread's last sleep was, when `slept` (a curve's refill is read at it). */
  sleptNs = 0;
  /**
   * Where the fast path stands when the thread resumes (it then calls
   * fastNext()): FAST_NONE, not on it; FAST_COLD, the cache and TLB refill
   * of a fault after a sleep ran (fault_after_sleep), lock_vma_under_rcu
   * next; FAST_LOCKED, `fastVma`'s lock is held and the first attempt's CPU
   * step ran, handle_mm_fault next; FAST_HANDLING, the path handle_mm_fault
   * returned ran as a CALL, its result next. After a VM_FAULT_RETRY that
   * goes on to lock_mmap (model/fault.ts, steps 5 to 8): FAST_MMAP_LOCKED,
   * mmap_lock is held for read on `fastVma` and the retried attempt's CPU
   * step ran, handle_mm_fault next; FAST_MMAP_HANDLING, the path it
   * returned ran as a CALL, its result next. FAST_FILEMAP and
   * FAST_MMAP_FILEMAP: handle_mm_fault's filemap_fault runs as stages
   * (`filemap`: its effects yielded from here, no generator), and its result
   * is then what FAST_HANDLING or FAST_MMAP_HANDLING takes.
   */
  fastStage = FAST_NONE;
  private fastVma: VmAreaStruct | null = null;
  private fastAddr = 0;
  private fastWrite = false;
  /** The fault's slot (its `idx`: lock_vma_under_rcu's guess of where the VMA is in the tree). */
  private fastSlot: Slot | null = null;
  /** The flags of the retry under mmap_lock (FAULT_FLAG_TRIED after a major fault). */
  private fastFlags = 0;
  /**
   * The fast path's struct vm_fault, reused from fault to fault while
   * handle_mm_fault returns at once (memory.ts vm_fault_reusable); null
   * after a path that sleeps kept it (the next fault makes another).
   */
  private vmf: VmFault | null = null;
  /** The thread's filemap_fault, run as stages when handle_mm_fault answers FILEMAP_FAULT_STAGED (on `vmf`). */
  private readonly filemap = new FilemapFaultStages();

  /**
   * set_page_state's holder (made once per thread): a folio locked by reclaim
   * or under writeback is unlocked after a law drawn with this thread's stream.
   */
  private readonly holder: FolioHolder;

  constructor(private readonly w: Workload, readonly task: SimTask) {
    const sim = w.sim;
    this.holder = (folio, kind, unlock) => {
      const law = kind === 'locked' ? LawName.folio_lock_hold : LawName.writeback;
      sim.schedule(sim.now + sim.drawLaw(law, task), unlock, folio);
    };
    // The fast path's state is first rewritten when a strategy that takes it runs, perhaps runs later (model/shapes.ts).
    mutableFields(this, ['fastStage', 'fastVma', 'fastAddr', 'fastWrite']);
    // A sleep's length in ns is a fraction (an exponential think time): a double from the first thread on, not a
    // new map (and every UserFault method thrown away, "wrong map") when the first such sleep ends in run 0.
    doubleFields(this, ['sleptNs']);
  }

  /** nextSequential's page offset in its slot. */
  private seqPgoff = 0;

  /**
   * An `order: sequential` fault's page: the next in address order over the
   * group's VMAs, wrapping around (a round). Returns its slot; the offset in
   * it is left in seqPgoff. (Out of begin(), to keep that small enough for
   * TurboFan to inline what it calls.)
   */
  private nextSequential(fault: CompiledFault): Slot {
    const slots = fault.slots;
    let c = this.cursors.get(fault) ?? 0;
    let i = 0;
    while (c >= slots[i]!.pages) c -= slots[i++]!.pages;
    this.seqPgoff = c;
    const next = (this.cursors.get(fault) ?? 0) + 1;
    this.cursors.set(fault, next === fault.totalPages ? 0 : next);
    return slots[i]!;
  }

  /**
   * A user access faults: pick its page, put it in its drawn state, report
   * the op's start, and return the effect that runs do_user_addr_fault.
   */
  begin(fault: CompiledFault): CallEffect | CpuEffect {
    const task = this.task, rng = task.rng, slots = fault.slots, w = this.w;
    let slot: Slot, pgoff: number;
    if (fault.sequential) {
      slot = this.nextSequential(fault);
      pgoff = this.seqPgoff;
    } else {
      slot = slots.length === 1 ? slots[0]! : slots[rng.below(slots.length)]!;
      pgoff = rng.below(slot.pages);
    }
    const addr = slot.start + pgoff;
    const state = fault.states[fault.states.length === 1 ? 0 : rng.pick(fault.stateCum)]!;
    let vma = slot.vma;
    if (vma === null || vma.detached || addr < vma.vm_start || addr >= vma.vm_end) vma = slot.vma = w.mm.find_vma(addr);
    const memcg = w.mm.memory;
    this.vma = vma;
    this.pgoff = pgoff;
    if (memcg === null) {
      w.sim.observer.faultState?.(w.sim.now, task, state);
      if (vma !== null) {
        const set = set_page_state(vma, pgoff, state, this.holder);
        // access: wp: a resident page is mapped read-only (an absent one, or one a fault is working on, has no PTE)
        if (fault.wp) {
          if (set && state !== 'absent') vma.wrprotected.add(pgoff);
          else vma.wrprotected.delete(pgoff);
        }
      }
    } else if (vma !== null && this.memoryAccess(fault, vma, pgoff)) {
      return this.callEffect; // resident and mapped: the access does not fault
    }
    w.sim.observer.opBegin(w.sim.now, task, 'fault');
    // The refill by kind: each measured warm back to back and cold after a sleep
    // (docs/calibration.md "Fault latency", "The per-state fault p50s"; docs/fidelity.md).
    const cold = this.slept && vma !== null && w.afterSleepRefills ? afterSleepRefill(w, vma, pgoff, this.sleptNs) : null;
    if (memcg === null && faultFastPath.on && fault_fast_path_ok(w.mm)) {
      this.slept = false;
      this.fastAddr = addr;
      this.fastWrite = fault.write;
      this.fastSlot = slot;
      if (cold !== null) { // the refill's CPU step first
        this.fastStage = FAST_COLD;
        return cold;
      }
      return this.fastLock();
    }
    const path = memcg !== null ? do_user_addr_fault_and_return(w.mm, addr, fault.write) : do_user_addr_fault(w.mm, addr, fault.write);
    this.callEffect.path = cold !== null ? fault_after_sleep(cold, path) : path;
    this.slept = false;
    return this.callEffect;
  }

  /**
   * begin() with `memory:`: a `wp` access's page is mapped read-only; an
   * anonymous page resident and mapped takes no fault (true: the CALL
   * effect runs no_fault). Out of begin(), as nextSequential.
   */
  private memoryAccess(fault: CompiledFault, vma: VmAreaStruct, pgoff: number): boolean {
    if (fault.wp) {
      vma.wrprotected.add(pgoff); // handle_pte_fault takes do_wp_page only while the page is resident
      return false;
    }
    if (vma.vm_file) return false;
    const p = this.w.mm.memory!.lruvec.get(vma, pgoff);
    if (p === undefined) return false;
    p.young = true;
    this.noFault = true;
    this.callEffect.path = no_fault();
    return true;
  }

  /**
   * The fast path's thread resumed (fastStage is not FAST_NONE): after the
   * refill, lock_vma_under_rcu and the first attempt's CPU step to yield;
   * after that step, handle_mm_fault (a path that may sleep: a CALL effect
   * to yield); with its result, what follows: done (the VM_FAULT bits), or
   * the CALL effect that runs the rest of do_user_addr_fault. `v`: what the
   * thread's last yield returned.
   */
  fastNext(v: unknown): number | Effect {
    let stage = this.fastStage;
    if (stage === FAST_COLD) return this.fastLock();
    if (stage >= FAST_FILEMAP) { // filemap_fault's stages go on; their result is handle_mm_fault's
      const c = this.filemap.resume(v);
      if (typeof c !== 'number') return c;
      v = c;
      stage = this.fastStage = stage === FAST_FILEMAP ? FAST_HANDLING : FAST_MMAP_HANDLING;
    }
    if (stage >= FAST_MMAP_LOCKED) return this.fastMmap(v);
    const vma = this.fastVma!;
    let r: number | KPath<number>;
    if (stage === FAST_LOCKED) {
      const vmf = this.vmf ?? vm_fault_alloc(vma);
      r = do_user_addr_fault_fast_handle(vmf, vma, this.fastAddr, this.fastWrite);
      if (r === FILEMAP_FAULT_STAGED) { // filemap_fault on `vmf`, as stages
        this.vmf = vmf; // kept for the next fault: filemap_fault from do_read_fault sets neither vmf->folio nor keep_locked
        const c = this.filemap.begin(vmf);
        if (typeof c !== 'number') {
          this.fastStage = FAST_FILEMAP;
          return c;
        }
        r = c;
      }
      this.vmf = vm_fault_reusable(vmf, r) ? vmf : null;
      if (typeof r !== 'number') { // handle_mm_fault may sleep: run it, then come back with its VM_FAULT bits
        this.fastStage = FAST_HANDLING;
        this.callEffect.path = r;
        return this.callEffect;
      }
    } else r = v as number; // FAST_HANDLING: what the handle_mm_fault path (or filemap_fault's stages) returned
    this.fastVma = null;
    this.fastStage = FAST_NONE;
    const ret = r;
    r = do_user_addr_fault_fast_ret(this.w.mm, vma, this.fastAddr, this.fastWrite, ret);
    if (typeof r === 'number') return r === FAST_LOCK_MMAP ? this.fastLockMmap(ret) : r;
    this.callEffect.path = r;
    return this.callEffect;
  }

  /**
   * The fast path's VM_FAULT_RETRY (`ret`) goes on to lock_mmap: take
   * mmap_lock and find the VMA there, and return the retried attempt's CPU
   * step to yield; or, when that would sleep or find no VMA, the CALL effect
   * that runs do_user_addr_fault from `lock_mmap:`.
   */
  private fastLockMmap(ret: number): CallEffect | CpuEffect {
    const mm = this.w.mm, flags = do_user_addr_fault_fast_retry_flags(this.fastWrite, ret);
    const vma = do_user_addr_fault_fast_lock_mmap(mm, this.fastAddr);
    if (vma === null) {
      this.callEffect.path = do_user_addr_fault(mm, this.fastAddr, this.fastWrite, null, 0, flags, 1);
      return this.callEffect;
    }
    this.fastStage = FAST_MMAP_LOCKED;
    this.fastVma = vma;
    this.fastFlags = flags;
    return do_user_addr_fault_fast_retry_cpu;
  }

  /** The retry under mmap_lock resumed (FAST_MMAP_LOCKED or FAST_MMAP_HANDLING): as fastNext's, handle_mm_fault, then its result. */
  private fastMmap(v: unknown): number | Effect {
    let r: number | KPath<number>;
    if (this.fastStage === FAST_MMAP_LOCKED) {
      const vma = this.fastVma!, vmf = this.vmf ?? vm_fault_alloc(vma);
      r = do_user_addr_fault_fast_mmap_handle(vmf, vma, this.fastAddr, this.fastFlags);
      if (r === FILEMAP_FAULT_STAGED) { // as in fastNext
        this.vmf = vmf;
        const c = this.filemap.begin(vmf);
        if (typeof c !== 'number') {
          this.fastStage = FAST_MMAP_FILEMAP;
          return c;
        }
        r = c;
      }
      this.vmf = vm_fault_reusable(vmf, r) ? vmf : null;
      if (typeof r !== 'number') {
        this.fastStage = FAST_MMAP_HANDLING;
        this.callEffect.path = r;
        return this.callEffect;
      }
    } else r = v as number;
    this.fastVma = null;
    this.fastStage = FAST_NONE;
    r = do_user_addr_fault_fast_mmap_ret(this.w.mm, this.fastAddr, this.fastWrite, this.fastFlags, r);
    if (typeof r === 'number') return r;
    this.callEffect.path = r;
    return this.callEffect;
  }

  /** The fast path's lock_vma_under_rcu: the first attempt's CPU step to yield, or the general form from `lock_mmap:`. */
  private fastLock(): CallEffect | CpuEffect {
    const mm = this.w.mm, slot = this.fastSlot!;
    const locked = do_user_addr_fault_fast_lock(mm, this.fastAddr, slot.idx);
    if (locked !== null && mm.vmas[slot.idx] !== locked) slot.idx = mm.mm_mt.indexOf(locked); // the guess for the next fault in the slot
    if (locked === null) {
      this.fastStage = FAST_NONE;
      this.callEffect.path = do_user_addr_fault(mm, this.fastAddr, this.fastWrite, null);
      return this.callEffect;
    }
    this.fastStage = FAST_LOCKED;
    this.fastVma = locked;
    return do_user_addr_fault_fast_cpu(locked);
  }

  /**
   * The fault returned `ret`. The page is mapped now; its state is drawn
   * afresh at the next fault, so an idle folio need not stay in the cache
   * (keeps the tables small).
   */
  end(ret: number): void {
    const sim = this.w.sim;
    if (this.noFault) {
      this.noFault = false;
      return;
    }
    sim.observer.opEnd(sim.now, this.task, 'fault', ret);
    const vma = this.vma;
    if (vma === null || vma.cache.size === 0) return;
    const f = vma.cache.get(this.pgoff);
    if (f !== undefined && f.idle) vma.cache.delete(this.pgoff);
  }
}

