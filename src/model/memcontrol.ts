/**
 * Memory that runs out (mm/memcontrol.c, mm/page_alloc.c, mm/workingset.c;
 * v7.0, ../shared/kernel/memory-and-vma.md §C): one memory cgroup holding
 * the scenario's page cache, with memory.max, memory.high and other resident
 * memory charged to it, optionally inside a zone of `total` pages whose
 * watermarks wake kswapd. Page-cache folios of file VMAs and anonymous
 * folios are charged; reclaim drops the first and swaps the second out to
 * zram (vmscan.ts). Simplifications: docs/fidelity.md, "Reclaim".
 */
import { block, sleep, type BlockEffect, type KPath, type Task, type WaitResource } from './effects.js';
import { LruPage, Lruvec, page_key } from './lruvec.js';
import type { MmStruct, VmAreaStruct } from './mm_types.js';
import { current, wake_up_process } from './sched.js';
import { count_vm_event, VmEvent } from './vmstat.js';
import { psi_memstall_enter, psi_memstall_leave } from './trace.js';

/** include/linux/swap.h */
export const SWAP_CLUSTER_MAX = 32;
/** mm/internal.h */
export const MAX_RECLAIM_RETRIES = 16;
/** include/linux/memcontrol.h */
export const MEMCG_CHARGE_BATCH = 64;
/** CONFIG_HZ assumed 1000 (x86 default; the memory.high delay table in mm/memcontrol.c is for it). */
export const HZ = 1000;
const JIFFY_NS = 1_000_000_000 / HZ;
const MEMCG_MAX_HIGH_DELAY_JIFFIES = 2 * HZ;
const MEMCG_DELAY_PRECISION_SHIFT = 20;
const MEMCG_DELAY_SCALING_SHIFT = 14;

/** The `memory:` block in pages (Infinity: no limit; total 0: no zone model, no kswapd). */
export interface MemoryConfig {
  max: number;
  high: number;
  total: number;
  other: number;
  /** vm.swappiness (0-200): anon vs file scan balance; default 60. */
  swappiness?: number;
  /** vm.dirty_background_ratio (%): the flusher starts background writeback above it; default 10. */
  dirty_background_ratio?: number;
  /** vm.dirty_ratio (%): the dirty limit (balance_dirty_pages' throttling is not modelled); default 20. */
  dirty_ratio?: number;
  /** vm.dirty_writeback_centisecs in ns: the flusher's periodic wake-up; default 5 s. */
  dirty_writeback_ns?: number;
  /** vm.dirty_expire_centisecs in ns: the age at which periodic writeback writes an inode; default 30 s. */
  dirty_expire_ns?: number;
}

/** One dirty inode on the bdi_writeback's b_dirty list (the model's file is a VMA). */
export interface DirtyInode {
  /** inode->dirtied_when (ns): when it went from clean to dirty. */
  dirtied_when: number;
  /** Indices of its dirty pages. */
  readonly pages: Set<number>;
}

/** A wait queue of the model's own (pgdat->reclaim_wait, the flusher's sleep). */
export class WaitQueue implements WaitResource {
  readonly lockClass = 'io' as const;
  readonly waiters: Array<{ t: Task }> = [];
  readonly blockWait: BlockEffect;
  constructor(readonly label: string, what: string) {
    this.blockWait = block(this, what);
  }
  blockers(): void {}
}

/** kswapd's wait queue (pgdat->kswapd_wait). */
class KswapdWait implements WaitResource {
  readonly lockClass = 'io' as const;
  readonly label = 'pgdat->kswapd_wait';
  blockers(): void {}
}

/**
 * The memory cgroup (`struct mem_cgroup` with its page_counter, lruvec and
 * the workingset's non-resident clock) and the zone it lives in.
 */
export class MemCgroup {
  /** page_counter_read(&memcg->memory) minus `other`: charged page-cache pages. */
  usage = 0;
  readonly lruvec = new Lruvec();
  /** lruvec->nonresident_age (workingset_age_nonresident). */
  nonresident_age = 0;
  /** shrink_lruvec's running balance between anon and file batches (swappiness shares). */
  anon_credit = 0;
  file_credit = 0;
  /** Shadow entries left by eviction: page key -> nonresident_age at eviction. */
  readonly shadows = new Map<number, number>();
  /** Zone watermarks in pages (__setup_per_zone_wmarks), 0 without a zone model. */
  readonly wmark_min: number;
  readonly wmark_low: number;
  readonly wmark_high: number;
  /** The kswapd task, when the zone is modelled. */
  kswapd: Task | null = null;
  kswapd_sleeping = false;
  /** pgdat->kswapd_failures: balance_pgdat runs that reclaimed nothing. */
  kswapd_failures = 0;
  readonly kswapd_wait: WaitResource = new KswapdWait();
  /** The effect kswapd yields to sleep on kswapd_wait. */
  readonly kswapd_block: BlockEffect = block(this.kswapd_wait, 'kswapd_try_to_sleep');

  /* Dirty page cache and writeback (page_writeback.ts). */
  /** NR_FILE_DIRTY and NR_WRITEBACK of the memcg's page cache. */
  nr_dirty = 0;
  nr_writeback = 0;
  /** The bdi_writeback's b_dirty list, oldest dirtied first (the flusher walks it in this order). */
  readonly b_dirty = new Map<VmAreaStruct, DirtyInode>();
  /** The flusher kthread (wb_workfn), when spawned; sleeping in its idle wait. */
  flusher: Task | null = null;
  flusher_sleeping = false;
  readonly flusher_wait = new WaitQueue('bdi_writeback->dwork', 'wb_workfn (idle)');
  /** Work queued for the flusher since it last looked (wb_wakeup / the delayed work's timer). */
  wb_work_pending = false;
  /** WB_start_all: wakeup_flusher_threads asked for all dirty pages to be written. */
  wb_start_all = false;
  /** The delayed work's timer is armed (wb_wakeup_delayed). */
  wb_timer_armed = false;
  /** wb->last_old_flush (ns): the last periodic (kupdate) pass. */
  last_old_flush = 0;
  /** PGDAT_WRITEBACK: kswapd found a batch entirely under writeback. */
  pgdat_writeback = false;
  /** NR_THROTTLED_WRITTEN and the VMSCAN_THROTTLE_WRITEBACK wait queue (reclaim_throttle). */
  nr_throttled_written = 0;
  reclaim_wb_start = 0;
  readonly reclaim_wait = new WaitQueue('pgdat->reclaim_wait[WRITEBACK]', 'reclaim_throttle');

  constructor(readonly cfg: MemoryConfig) {
    if (cfg.total > 0) {
      // calculate_min_free_kbytes: sqrt(lowmem_kbytes * 16), clamped to [128, 262144] kB.
      const kb = Math.min(262144, Math.max(128, Math.floor(Math.sqrt(cfg.total * 4 * 16))));
      const min = Math.floor(kb / 4);
      // watermark_scale_factor 10: max(min / 4, managed * 10 / 10000).
      const t = Math.max(Math.floor(min / 4), Math.floor((cfg.total * 10) / 10000));
      this.wmark_min = min;
      this.wmark_low = min + t;
      this.wmark_high = min + 2 * t;
    } else {
      this.wmark_min = this.wmark_low = this.wmark_high = 0;
    }
  }
  /** Pages charged to the memcg (page cache + other). */
  get charged(): number {
    return this.usage + this.cfg.other;
  }
  /** zone_page_state(NR_FREE_PAGES), or Infinity without a zone model. */
  get free(): number {
    return this.cfg.total > 0 ? this.cfg.total - this.charged : Infinity;
  }
}

/**
 * Reclaim entry points, set by vmscan.ts (they call back into this module's
 * uncharge): try_to_free_mem_cgroup_pages / try_to_free_pages run in the
 * calling task; wakeup_kswapd wakes the kswapd task.
 */
export interface Reclaim {
  try_to_free_pages(memcg: MemCgroup, nr_to_reclaim: number): KPath<number>;
}
let reclaim: Reclaim | null = null;
export function install_reclaim(r: Reclaim): void {
  reclaim = r;
}

/** wakeup_kswapd (mm/vmscan.c): wake a sleeping kswapd unless the node is hopeless. */
export function wakeup_kswapd(memcg: MemCgroup): void {
  if (memcg.kswapd === null || !memcg.kswapd_sleeping || memcg.kswapd_failures >= MAX_RECLAIM_RETRIES) return;
  memcg.kswapd_sleeping = false;
  count_vm_event(VmEvent.KSWAPD_WAKE);
  wake_up_process(memcg.kswapd);
}

/**
 * The page allocator for `nr` pages (__alloc_pages, v7.0 §C.3): below the
 * low watermark wake kswapd; below min, direct reclaim in this task
 * (__alloc_pages_direct_reclaim -> try_to_free_pages), holding whatever
 * fault lock it holds. The get_page_from_freelist retries and compaction are
 * not modelled.
 */
function* alloc_pages(memcg: MemCgroup, nr: number): KPath {
  if (memcg.cfg.total === 0) return;
  if (memcg.free - nr < memcg.wmark_low) wakeup_kswapd(memcg);
  let retries = MAX_RECLAIM_RETRIES;
  while (memcg.free - nr < memcg.wmark_min && retries-- > 0) {
    count_vm_event(VmEvent.ALLOCSTALL);
    psi_memstall_enter('reclaim'); // __perform_reclaim
    const got = yield* reclaim!.try_to_free_pages(memcg, Math.max(nr, SWAP_CLUSTER_MAX));
    psi_memstall_leave('reclaim');
    if (got > 0) memcg.kswapd_failures = 0;
    else break;
  }
}

/**
 * try_charge_memcg (mm/memcontrol.c, v7.0 §C.1) for `nr` pages: over
 * memory.max, reclaim in this task (try_to_free_mem_cgroup_pages) and retry,
 * up to MAX_RECLAIM_RETRIES; `noretry` (__GFP_NORETRY, readahead) gives up
 * after one pass and returns false without charging. Past the retries the
 * kernel runs the memcg OOM killer; the model forces the charge
 * (MEMCG_OOM_FORCED). Over memory.high the task owes
 * memcg_nr_pages_over_high, paid on return to user
 * (mem_cgroup_handle_over_high). The in-charge synchronous memory.high
 * handling (over by more than MEMCG_CHARGE_BATCH) is not modelled.
 */
function* try_charge_memcg(memcg: MemCgroup, nr: number, noretry: boolean): KPath<boolean> {
  let retries = MAX_RECLAIM_RETRIES;
  while (memcg.charged + nr > memcg.cfg.max) {
    count_vm_event(VmEvent.MEMCG_MAX);
    psi_memstall_enter('reclaim');
    const got = yield* reclaim!.try_to_free_pages(memcg, Math.max(nr, SWAP_CLUSTER_MAX)); // try_to_free_mem_cgroup_pages
    psi_memstall_leave('reclaim');
    if (memcg.charged + nr <= memcg.cfg.max) break;
    if (noretry) return false;
    if (got > 0 && nr <= 8) continue;
    if (retries-- > 0) continue;
    count_vm_event(VmEvent.MEMCG_OOM_FORCED);
    break;
  }
  memcg.usage += nr;
  if (memcg.charged > memcg.cfg.high) current.memcg_nr_pages_over_high = (current.memcg_nr_pages_over_high ?? 0) + nr;
  return true;
}

/**
 * workingset_refault (mm/workingset.c, v7.0 §C.6) for a new folio `p` about
 * to go on the LRU: if its slot held a shadow entry, count the refault and,
 * when the refault distance (non-resident age now minus at eviction) is
 * within the workingset size (workingset_test_recent), put it straight on
 * the active list and age the clock (workingset_age_nonresident). The
 * workingset size is the active file list, plus the inactive file list for
 * an anonymous refault, plus, since swap (zram) is always available here,
 * the active anon list and, for a file refault, the inactive anon list.
 */
function workingset_refault(memcg: MemCgroup, p: LruPage): void {
  const key = page_key(p.vma, p.index);
  const shadow = memcg.shadows.get(key);
  if (shadow === undefined) return;
  memcg.shadows.delete(key);
  count_vm_event(p.anon ? VmEvent.WORKINGSET_REFAULT_ANON : VmEvent.WORKINGSET_REFAULT_FILE);
  const lru = memcg.lruvec;
  let workingset_size = lru.active.size; // NR_ACTIVE_FILE
  if (p.anon) workingset_size += lru.inactive.size; // NR_INACTIVE_FILE
  workingset_size += lru.active_anon.size; // mem_cgroup_get_nr_swap_pages() > 0
  if (!p.anon) workingset_size += lru.inactive_anon.size;
  if (memcg.nonresident_age - shadow > workingset_size) return;
  p.active = true;
  memcg.nonresident_age++; // workingset_age_nonresident on activation
  count_vm_event(p.anon ? VmEvent.WORKINGSET_ACTIVATE_ANON : VmEvent.WORKINGSET_ACTIVATE_FILE);
}

/**
 * filemap_alloc_folio + filemap_add_folio for pages [index, index + nr) of
 * `vma`'s file that are not resident (mm/filemap.c, v7.0): allocate, charge,
 * then insert each, with workingset_refault on a shadow (§C.6: refault
 * distance within the active list's size activates the folio at once) and
 * folio_add_lru. Reclaim during the charge can let another task add some of
 * the pages first: those are skipped (filemap_add_folio's -EEXIST) and their
 * charge is returned. Returns the indices added; empty when a `noretry`
 * charge (readahead) failed.
 */
export function* filemap_charge_and_add(mm: MmStruct, vma: VmAreaStruct, index: number, nr: number, noretry: boolean): KPath<number[]> {
  const memcg = mm.memory!;
  const lru = memcg.lruvec;
  let want = 0;
  for (let i = index; i < index + nr; i++) if (lru.get(vma, i) === undefined) want++;
  const added: number[] = [];
  if (want === 0) return added;
  yield* alloc_pages(memcg, want);
  if (!(yield* try_charge_memcg(memcg, want, noretry))) {
    count_vm_event(VmEvent.RA_WINDOW_UNCHARGED); // only readahead charges with __GFP_NORETRY
    return added;
  }
  for (let i = index; i < index + nr; i++) {
    if (lru.get(vma, i) !== undefined) continue;
    const p = new LruPage(vma, i);
    workingset_refault(memcg, p);
    lru.add(p);
    vma.evicted.delete(i);
    vma.file_ptes.delete(i); // a page just added to the page cache is mapped nowhere (fault_around.ts)
    added.push(i);
  }
  memcg.usage -= want - added.length; // mem_cgroup_uncharge of the folios that lost the race
  return added;
}

/**
 * The charge of a new anonymous folio (alloc_anon_folio -> mem_cgroup_charge,
 * or mem_cgroup_swapin_charge_folio for a swap-in), then folio_add_lru_vma
 * (inactive anon list). Runs in the faulting task holding its fault lock.
 * A swap-in (`swapin`) first meets the swap cache slot's shadow entry:
 * workingset_refault, as swapin_folio does before folio_add_lru.
 * Returns false when another task made the page resident while this one
 * reclaimed (its charge is returned).
 */
export function* anon_charge_and_add(mm: MmStruct, vma: VmAreaStruct, index: number, swapin = false): KPath<boolean> {
  const memcg = mm.memory!;
  if (memcg.lruvec.get(vma, index) !== undefined) return false;
  yield* alloc_pages(memcg, 1);
  yield* try_charge_memcg(memcg, 1, false);
  if (memcg.lruvec.get(vma, index) !== undefined) {
    memcg.usage--;
    return false;
  }
  const p = new LruPage(vma, index, true);
  if (swapin) workingset_refault(memcg, p);
  memcg.lruvec.add(p);
  return true;
}

/** A resident page was mapped by a fault: its PTE is young (read later by folio_referenced). */
export function folio_mapped_young(memcg: MemCgroup, vma: VmAreaStruct, index: number): void {
  const p = memcg.lruvec.get(vma, index);
  if (p !== undefined) {
    p.young = true;
    p.ra_unused = false;
  }
}

/**
 * calculate_high_delay (mm/memcontrol.c): the memory.high penalty in
 * jiffies for `nr_pages` charged over high, quadratic in the overage,
 * clamped at 2 s (MEMCG_MAX_HIGH_DELAY_JIFFIES).
 */
export function calculate_high_delay(memcg: MemCgroup, nr_pages: number): number {
  const usage = memcg.charged, high = memcg.cfg.high;
  if (usage <= high) return 0;
  const overage = Math.floor(((usage - high) * 2 ** MEMCG_DELAY_PRECISION_SHIFT) / Math.max(high, 1));
  let penalty = Math.floor((overage * overage * HZ) / 2 ** (MEMCG_DELAY_PRECISION_SHIFT + MEMCG_DELAY_SCALING_SHIFT));
  penalty = Math.floor((penalty * nr_pages) / MEMCG_CHARGE_BATCH);
  return Math.min(penalty, MEMCG_MAX_HIGH_DELAY_JIFFIES);
}

/**
 * mem_cgroup_handle_over_high (resume_user_mode_work, v7.0 §C.2): on return
 * to user space, after the fault released its lock, reclaim what the task
 * charged over memory.high (reclaim_high), then sleep the penalty if it is
 * more than HZ/100 and reclaim no longer makes progress.
 */
export function* mem_cgroup_handle_over_high(mm: MmStruct): KPath {
  const memcg = mm.memory;
  const nr = current.memcg_nr_pages_over_high ?? 0;
  if (memcg === null || nr === 0) return;
  current.memcg_nr_pages_over_high = 0;
  let retries = MAX_RECLAIM_RETRIES;
  let in_retry = false;
  for (;;) {
    let got = 0;
    if (memcg.charged > memcg.cfg.high) { // reclaim_high
      count_vm_event(VmEvent.MEMCG_HIGH);
      psi_memstall_enter('reclaim');
      got = yield* reclaim!.try_to_free_pages(memcg, in_retry ? SWAP_CLUSTER_MAX : nr);
      psi_memstall_leave('reclaim');
    }
    const penalty = calculate_high_delay(memcg, nr);
    if (penalty <= HZ / 100) return;
    if (got > 0 || retries-- > 0) {
      in_retry = true;
      continue;
    }
    psi_memstall_enter('throttle');
    yield sleep(penalty * JIFFY_NS); // schedule_timeout_killable(penalty_jiffies)
    psi_memstall_leave('throttle');
    return;
  }
}
