/**
 * Scenario defaults (documented in docs/scenario-format.md), filled in by
 * the resolver for every field a file leaves out. Re-exported by ./schema.ts.
 */
import type { CostName } from '../model/cost.js';
import type { Law } from './types.js';

/** CPU cost of kernel steps, ns (all assumptions unless noted in the docs). */
export const DEFAULT_COSTS: Readonly<Record<CostName, number>> = {
  handle_mm_fault: 2000,
  fault_retry: 1000,
  anon_vma_prepare: 1000,
  do_anonymous_page: 1000,
  mprotect_fixup: 2000,
  change_pte: 20,
  munmap_vma: 3000,
  zap_pte: 20,
  dup_vma: 1000,
  copy_pte: 30,
  do_mmap: 3000,
  madvise_vma: 1000,
  exit_vma: 1000,
  // Assumptions (parameters.md §9.5/§9.7 found no measured per-page reclaim cost;
  // "clean file page: 1-3 us" is itself an assumption there). Used only with `memory:`.
  pgscan: 100,
  pgsteal: 2000,
  // zram lz4 swap-out per 4K page on a phone [D] (parameters.md §2.3): reclaim + compression + zram write.
  swap_out: 35400,
  // 0: the built-in model charges a file fault handle_mm_fault alone; cost profiles set it (docs/calibration.md).
  do_read_fault: 0,
  // 0: the built-in fork op is dup_mmap alone; cost profiles set it (docs/calibration.md).
  copy_process: 0,
  // 0: a woken task is runnable at once; cost profiles set it (docs/calibration.md).
  wakeup: 0,
  // Non-fault readers of mmap_lock (parameters.md §9.6). Assumptions: formatting one maps line / one smaps entry.
  show_map: 1000,
  show_smap: 4000,
  // smaps_rollup of a 200 GB-RSS process took 4.5 s: ~22 ms per GB RSS = 84 ns per 4 KiB page [D] (§9.6).
  smaps_pte: 84,
  // Assumption: follow_page_mask of one page.
  gup_page: 100,
  // Measured on this project's build host (kernel 6.18, bench/README.md "Split and merge"):
  // an mprotect pair that splits a 64 MB VMA twice and merges it back costs 1.39 us more than
  // the same pair on a VMA of its own; one third each (unpopulated pages: no anon_vma). Charged
  // per __split_vma / commit_merge. `faultline calibrate` fits both (bench mprotect-split, fit.ts).
  split_vma: 460,
  merge_vma: 460,
  // 0: the built-in fork charges dup_vma and copy_pte alone, and no TLB shoot-down;
  // cost profiles set them (docs/calibration.md "Fork by page-table kind", "TLB shoot-down").
  anon_vma_fork: 0,
  copy_pte_range: 0,
  wrprotect_pte: 0,
  flush_tlb_multi: 0,
  copy_file_pte: 0,
  // 0: the built-in fork does not model the child; cost profiles set them
  // (docs/calibration.md "The forked child's exit").
  do_exit: 0,
  exit_mmap_vma: 0,
  unlink_anon_vmas: 0,
  exit_mmap_pte: 0,
  // 0: no lru_add batch drain and no cache refill after a sleep; cost profiles set them
  // (docs/calibration.md "Fault latency: the lru_add batch and the fault after a sleep").
  folio_batch_move_lru: 0,
  fault_after_sleep: 0,
  // 0: a think time or gap ends on time; cost profiles set it
  // (docs/calibration.md "The read-wait totals: how late a timer sleep ends").
  timer_wakeup: 0,
  // 0: a timer sleep's expiry takes no CPU from the task on its CPU; cost profiles set it
  // (docs/calibration.md "The long read holds, traced").
  hrtimer_irq: 0,
  // 0: a TLB shoot-down's IPI takes no CPU from the tasks on the target CPUs; cost profiles set it.
  flush_tlb_func: 0,
  // 0: a file fault or a swap-in after a sleep costs what one back to back does; cost profiles set them
  // (docs/calibration.md "The per-state fault p50s").
  cached_fault_after_sleep: 0,
  major_fault_after_sleep: 0,
  swapin_fault_after_sleep: 0,
  filemap_map_pages: 0,
  next_uptodate_folio: 0,
  // 0: no scheduler tick on a busy CPU; cost profiles set both
  // (docs/calibration.md "What interrupts a real writer, traced").
  tick_sched_timer: 0,
  tick_nsec: 0,
  set_pte_range: 0,
  change_pte_after_sleep: 0,
  copy_pte_after_sleep: 0,
  // 0: lock operations cost no CPU and no lock line is tracked; cost profiles set both
  // (docs/calibration.md "The lock's cache line, measured").
  lock_atomic: 0,
  cacheline_transfer: 0,
};

const us = (x: number) => Math.round(x * 1000);

/** Default I/O laws (sources in docs/scenario-format.md and /work/shared/workload/parameters.md). */
export const DEFAULT_IO: Readonly<{ read: Law; read_synchronous: boolean; swap: Law; swap_synchronous: boolean; writeback: Law; folio_lock_hold: Law }> = {
  // UFS 4K random read, 1 job, QD1, completion latency [M] (parameters.md §2.1).
  read: {
    law: 'empirical',
    points: [[1, us(120)], [50, us(172)], [90, us(206)], [95, us(223)], [99, us(239)], [99.5, us(258)], [99.9, us(330)], [99.95, us(433)], [99.99, us(709)], [100, us(2000)]],
  },
  // UFS is a blk-mq device completing by interrupt, not BLK_FEAT_SYNCHRONOUS: the reader sleeps on the folio lock.
  read_synchronous: false,
  // zram lz4 swap-in per 4K page [D] (parameters.md §2.3).
  swap: { law: 'constant', value: us(17.7) },
  swap_synchronous: true,
  // UFS 4K random write QD1 [M] (§2.1); no max was reported: p100 = p99.99 is an assumption.
  writeback: {
    law: 'empirical',
    points: [[50, us(112)], [99, us(200)], [99.9, us(545)], [99.95, us(5800)], [99.99, us(16450)], [100, us(16450)]],
  },
  // Assumption: nothing found on how long reclaim/migration hold a folio lock.
  folio_lock_hold: { law: 'uniform', min: us(5), max: us(50) },
};

export const DEFAULTS = {
  seed: 1,
  warmup: 0,
  cpus: 8,
  preempt: true,
  reader_wake: 'all',
  class: 'DEFAULT',
  start: 0,
  weight: 1,
  repeat: 1,
  resident: 1,
  map_pages: true,
  dontcopy: false,
  exec: false,
  shared: false,
} as const;
