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
}
export const VM_EVENT_NAMES = [
  'VMA_LOCK_SUCCESS', 'VMA_LOCK_ABORT', 'VMA_LOCK_RETRY', 'VMA_LOCK_MISS',
  'PGMAJFAULT', 'PGFAULT', 'FAULT_RETRY', 'FAULT_RETRY_VMA', 'FAULT_MMAP_PATH',
  'IO_READ', 'IO_SWAP', 'FAULT_HOLD_WAIT', 'FAULT_SIGSEGV', 'ANON_VMA_PREPARE',
  'ANON_VMA_TRYLOCK_FAIL', 'RETRY_IO_MISS', 'RETRY_IO_MISS_VMA', 'ASYNC_READAHEAD', 'PAGE_NOT_UPTODATE_READ',
] as const;
/** Events that appear in reports only when some run counted them (the readahead and reclaim paths). */
export const VM_EVENTS_HIDDEN_IF_ZERO: readonly string[] = ['RETRY_IO_MISS', 'RETRY_IO_MISS_VMA', 'ASYNC_READAHEAD', 'PAGE_NOT_UPTODATE_READ'];
export const NR_VM_EVENTS = VM_EVENT_NAMES.length;

let sink: (ev: VmEvent) => void = () => {};

export function install_vm_event_sink(fn: (ev: VmEvent) => void): void {
  sink = fn;
}

/** Kernel `count_vm_event` / `count_vm_vma_lock_event`. */
export function count_vm_event(ev: VmEvent): void {
  sink(ev);
}
