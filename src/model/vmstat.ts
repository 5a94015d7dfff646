/**
 * Kernel event counters (mm/vmstat.c `vm_event_item`, with
 * CONFIG_PER_VMA_LOCK_STATS), counted by the kernel paths exactly where the
 * kernel counts them. The engine installs a sink that attributes each event to
 * the current task.
 */
export const enum VmEvent {
  VMA_LOCK_SUCCESS = 0,
  VMA_LOCK_ABORT = 1,
  VMA_LOCK_RETRY = 2,
  VMA_LOCK_MISS = 3,
  PGMAJFAULT = 4,
  PGFAULT = 5,
  /** Model-only: a handler returned VM_FAULT_RETRY (any lock). */
  FAULT_RETRY = 6,
  /** Model-only: the arch handler jumped back to lock_vma_under_rcu (VM_FAULT_RETRY_VMA). */
  FAULT_RETRY_VMA = 7,
  /** Model-only: a fault attempt ran under mmap_lock (fallback or retry). */
  FAULT_MMAP_PATH = 8,
  /** Model-only: read I/O submitted (filemap readahead / read_folio). */
  IO_READ = 9,
  /** Model-only: swap-in I/O submitted (swapin_readahead) or synchronous zram read. */
  IO_SWAP = 10,
  /** Model-only: a fault slept on a folio while still holding its VMA/mmap lock. */
  FAULT_HOLD_WAIT = 11,
  /** Model-only: fault ended in SIGSEGV (address not mapped). */
  FAULT_SIGSEGV = 12,
  /** Model-only: __anon_vma_prepare ran. */
  ANON_VMA_PREPARE = 13,
  /** Model-only: mmap_read_trylock for anon_vma preparation failed under the VMA lock. */
  ANON_VMA_TRYLOCK_FAIL = 14,
  /**
   * Model-only: a retried fault (FAULT_FLAG_TRIED) missed the page cache for
   * the folio an earlier attempt had read, and read it again (reclaim took it
   * between the read's completion and the retry's lookup).
   */
  RETRY_IO_MISS = 15,
  /** Model-only: the subset of RETRY_IO_MISS whose second read ran under the VMA lock (else mmap_lock). */
  RETRY_IO_MISS_VMA = 16,
  /** Model-only: do_async_mmap_readahead met a PG_readahead folio and started the next window. */
  ASYNC_READAHEAD = 17,
  /**
   * Model-only: filemap_fault's page_not_uptodate path read the folio itself
   * (no readahead: MADV_RANDOM, ra_pages 0, or mmap_miss > MMAP_LOTSAMISS).
   */
  PAGE_NOT_UPTODATE_READ = 18,
  /** mm/vmscan.c: folios scanned on the inactive list by kswapd / by direct (memcg) reclaim. */
  PGSCAN_KSWAPD = 19,
  PGSCAN_DIRECT = 20,
  /** mm/vmscan.c: folios reclaimed by kswapd / by direct (memcg) reclaim. */
  PGSTEAL_KSWAPD = 21,
  PGSTEAL_DIRECT = 22,
  /** mm/vmscan.c: a task entered direct reclaim (try_to_free_pages / try_to_free_mem_cgroup_pages). */
  ALLOCSTALL = 23,
  /** mm/workingset.c: a page-cache insert replaced a shadow entry (a refault). */
  WORKINGSET_REFAULT_FILE = 24,
  /** mm/workingset.c: a refault within the workingset size, activated at once. */
  WORKINGSET_ACTIVATE_FILE = 25,
  /** mm/vmscan.c: wakeup_kswapd woke a sleeping kswapd. */
  KSWAPD_WAKE = 26,
  /** mm/memcontrol.c MEMCG_MAX: a charge hit memory.max and reclaimed. */
  MEMCG_MAX = 27,
  /** mm/memcontrol.c MEMCG_HIGH: reclaim_high ran for usage over memory.high. */
  MEMCG_HIGH = 28,
  /** Model-only: a charge still over memory.max after MAX_RECLAIM_RETRIES was forced (memcg OOM not modelled). */
  MEMCG_OOM_FORCED = 29,
  /** mm/page_io.c: an anonymous page was written to swap (zram). */
  PSWPOUT = 30,
  /** mm/page_io.c: a page was read from swap (zram). */
  PSWPIN = 31,
  /**
   * Model-only: a ->page_mkwrite (f2fs always, a stable-writes mapping) slept
   * in folio_wait_writeback, holding the fault's VMA or mmap lock.
   */
  PAGE_MKWRITE_WB_WAIT = 32,
  /** mm/workingset.c: a swap-in replaced a shadow entry in the swap cache (an anonymous refault). */
  WORKINGSET_REFAULT_ANON = 33,
  /** mm/workingset.c: an anonymous refault within the workingset size, activated at once. */
  WORKINGSET_ACTIVATE_ANON = 34,
  /** mm/page-writeback.c NR_DIRTIED: a page-cache folio became dirty (folio_mark_dirty -> folio_account_dirtied). */
  NR_DIRTIED = 35,
  /** mm/page-writeback.c NR_WRITTEN: a folio's writeback completed (folio_end_writeback). */
  NR_WRITTEN = 36,
  /** mm/vmscan.c NR_VMSCAN_IMMEDIATE: reclaim met a dirty file folio, set PG_reclaim and activated it. */
  NR_VMSCAN_IMMEDIATE = 37,
  /** mm/swap.c PGROTATED: folio_end_writeback moved a PG_reclaim folio to the inactive list's tail. */
  PGROTATED = 38,
  /** Model-only (shrink_folio_list's stat->nr_writeback): reclaim met a folio under writeback, set PG_reclaim, activated it. */
  VMSCAN_WRITEBACK = 39,
  /** Model-only (tracepoint mm_vmscan_throttled): kswapd slept in reclaim_throttle(VMSCAN_THROTTLE_WRITEBACK). */
  VMSCAN_THROTTLE_WRITEBACK = 40,
  /** Model-only: shrink_inactive_list found only unqueued dirty folios and woke the flusher (wakeup_flusher_threads(WB_REASON_VMSCAN)). */
  FLUSHER_WAKE_VMSCAN = 41,
  /** Model-only: a page-cache miss read no window because mmap_miss > MMAP_LOTSAMISS (do_sync_mmap_readahead). */
  MMAP_LOTSAMISS = 42,
  /** Model-only: a page a read-around or async window brought in was reclaimed before any fault used it. */
  RA_UNUSED_RECLAIMED = 43,
  /** Model-only: a readahead window's __GFP_NORETRY charge failed after one reclaim pass: nothing of it was read. */
  RA_WINDOW_UNCHARGED = 44,
}
export const VM_EVENT_NAMES = [
  'VMA_LOCK_SUCCESS', 'VMA_LOCK_ABORT', 'VMA_LOCK_RETRY', 'VMA_LOCK_MISS',
  'PGMAJFAULT', 'PGFAULT', 'FAULT_RETRY', 'FAULT_RETRY_VMA', 'FAULT_MMAP_PATH',
  'IO_READ', 'IO_SWAP', 'FAULT_HOLD_WAIT', 'FAULT_SIGSEGV', 'ANON_VMA_PREPARE',
  'ANON_VMA_TRYLOCK_FAIL', 'RETRY_IO_MISS', 'RETRY_IO_MISS_VMA', 'ASYNC_READAHEAD', 'PAGE_NOT_UPTODATE_READ',
  'PGSCAN_KSWAPD', 'PGSCAN_DIRECT', 'PGSTEAL_KSWAPD', 'PGSTEAL_DIRECT', 'ALLOCSTALL', 'WORKINGSET_REFAULT_FILE',
  'WORKINGSET_ACTIVATE_FILE', 'KSWAPD_WAKE', 'MEMCG_MAX', 'MEMCG_HIGH', 'MEMCG_OOM_FORCED', 'PSWPOUT', 'PSWPIN',
  'PAGE_MKWRITE_WB_WAIT', 'WORKINGSET_REFAULT_ANON', 'WORKINGSET_ACTIVATE_ANON',
  'NR_DIRTIED', 'NR_WRITTEN', 'NR_VMSCAN_IMMEDIATE', 'PGROTATED', 'VMSCAN_WRITEBACK', 'VMSCAN_THROTTLE_WRITEBACK',
  'FLUSHER_WAKE_VMSCAN', 'MMAP_LOTSAMISS', 'RA_UNUSED_RECLAIMED', 'RA_WINDOW_UNCHARGED',
] as const;
/** Events that appear in reports only when some run counted them (the readahead and reclaim paths). */
export const VM_EVENTS_HIDDEN_IF_ZERO: readonly string[] = VM_EVENT_NAMES.slice(VmEvent.RETRY_IO_MISS);
export const NR_VM_EVENTS = VM_EVENT_NAMES.length;

let sink: (ev: VmEvent) => void = () => {};

export function install_vm_event_sink(fn: (ev: VmEvent) => void): void {
  sink = fn;
}

/** Kernel `count_vm_event` / `count_vm_vma_lock_event`. */
export function count_vm_event(ev: VmEvent): void {
  sink(ev);
}
