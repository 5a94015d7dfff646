/**
 * The `phone` cost profile (profiles/phone.yaml, generated from this file and
 * checked by a test): the costs the android-app scenario uses, each labelled
 * with where it comes from in /work/shared/workload/parameters.md — almost
 * all are assumptions, since no per-step kernel CPU cost was found measured on
 * a phone. Only the swap figures are derived from a phone measurement.
 */
import { COST_NAMES, type CostName } from '../model/cost.js';
import { DEFAULT_COSTS } from '../scenario/schema.js';
import type { CostProfile, CostValue } from './profile.js';

const ASSUMED = 'assumption: nothing found that measures this step on a phone (the built-in default)';

const PHONE: Partial<Record<CostName, Omit<CostValue, 'value'> & { value?: number }>> = {
  do_anonymous_page: {
    value: 2000, source: 'assumption',
    from: 'parameters.md §6: minor anonymous fault CPU about 1.1 µs on a server [D], 1.5–3 µs on a phone [assumption]; the android-app scenario takes 2 µs',
  },
  fault_retry: {
    source: 'assumption',
    from: 'the built-in default. parameters.md §6 also gives about 100 µs of I/O submission CPU per page-cache miss; the model has no step of its own for it (docs/calibration.md)',
  },
  swap_out: { source: 'parameters.md', from: 'parameters.md §2.3: zram lz4 swap-out of a 4 KiB page on an OPPO phone, 35.4 µs, reclaim included [D]' },
  pgscan: { source: 'assumption', from: 'parameters.md §9.5: no measured per-folio scan cost found; the built-in default' },
  pgsteal: { source: 'assumption', from: 'parameters.md §9.7: "clean file page: 1–3 µs", itself an assumption; the built-in default' },
  do_read_fault: { source: 'assumption', from: 'not measured on a phone: 0, a file fault costs handle_mm_fault alone (the built-in model)' },
  wakeup: { source: 'assumption', from: 'not measured on a phone: 0, a woken task is runnable at once (the built-in model)' },
  copy_process: { source: 'assumption', from: 'not measured on a phone: 0, the fork op is dup_mmap alone (the built-in model)' },
  anon_vma_fork: { source: 'assumption', from: 'not measured on a phone: 0, fork charges dup_vma per VMA alone (the built-in model)' },
  copy_pte_range: { source: 'assumption', from: 'not measured on a phone: 0, fork charges copy_pte per present PTE alone (the built-in model)' },
  wrprotect_pte: { source: 'assumption', from: 'not measured on a phone: 0, fork charges copy_pte per present PTE alone (the built-in model)' },
  copy_file_pte: { source: 'assumption', from: 'not measured on a phone: 0, fork charges copy_pte per resident page alone (the built-in model)' },
  do_exit: { source: 'assumption', from: 'not measured on a phone: 0, the fork op does not model the child (the built-in model)' },
  exit_mmap_vma: { source: 'assumption', from: 'not measured on a phone: 0, the fork op does not model the child (the built-in model)' },
  unlink_anon_vmas: { source: 'assumption', from: 'not measured on a phone: 0, the fork op does not model the child (the built-in model)' },
  exit_mmap_pte: { source: 'assumption', from: 'not measured on a phone: 0, the fork op does not model the child (the built-in model)' },
  folio_batch_move_lru: { source: 'assumption', from: 'not measured on a phone: 0, no lru_add batch drain (the built-in model)' },
  fault_after_sleep: { source: 'assumption', from: 'not measured on a phone: 0, a fault after a sleep costs what one back to back does (the built-in model)' },
  timer_wakeup: { source: 'assumption', from: 'not measured on a phone: 0, a think time ends on time (the built-in model)' },
  flush_tlb_func: { source: 'assumption', from: 'arm64 invalidates other CPUs\' TLBs with broadcast TLBI instructions (arch/arm64 __flush_tlb_range), not IPIs: no handler runs on the other CPUs (memory-and-vma.md F.5 marks this unverified)' },
  hrtimer_irq: { source: 'assumption', from: 'not measured on a phone (parameters.md has no interrupt cost): 0, a timer\'s expiry takes no CPU from the task on its CPU (the built-in model)' },
  tick_sched_timer: { source: 'assumption', from: 'not measured on a phone (parameters.md has no tick cost): 0, no scheduler tick (the built-in model)' },
  tick_nsec: { source: 'assumption', from: 'not measured on a phone: 0, no scheduler tick (the built-in model; Android arm64 kernels commonly build CONFIG_HZ=250, not checked here)' },
  set_pte_range: { source: 'assumption', from: 'not measured on a phone: 0, fault-around\'s walk maps a neighbour at no cost beyond passing it (the built-in model)' },
  change_pte_after_sleep: { source: 'assumption', from: 'not measured on a phone: 0, an mprotect\'s walk costs change_pte per page however long ago its range was walked (the built-in model)' },
  copy_pte_after_sleep: { source: 'assumption', from: 'not measured on a phone: 0, a fork copies a present PTE for copy_pte however long ago the mm was last forked (the built-in model)' },
  lock_atomic: { source: 'assumption', from: 'not measured on a phone (parameters.md has no atomic or lock-operation cost): 0, lock operations cost no CPU (the built-in model); the `cacheline` bench run on the phone (X=0) would give it' },
  cacheline_transfer: { source: 'assumption', from: 'not measured on a phone (parameters.md has no cache-line transfer figure; on a big.LITTLE SoC it differs within a cluster and between clusters): 0, no lock line bounces (the built-in model); the `cacheline` bench pinned to two cores of one cluster, and of two, would give it' },
  swapin_fault_after_sleep: { source: 'assumption', from: 'not measured on a phone: 0, a swap-in after a sleep costs what one back to back does (the built-in model)' },
  cached_fault_after_sleep: { source: 'assumption', from: 'not measured on a phone: 0, a page-cache hit after a sleep costs what one back to back does (the built-in model)' },
  major_fault_after_sleep: {
    source: 'assumption',
    from: 'not measured on a phone: 0 (the built-in model). A phone\'s file reads come from UFS (parameters.md §2.1: a 4 KiB read completes in 172 µs p50 [M]), a SCSI blk-mq device completing by interrupt (drivers/ufs/core/ufshcd.c ufshcd_intr -> scsi_done; it does not set BLK_FEAT_SYNCHRONOUS [S]): the faulting task sleeps on the folio lock and is woken (io.read_synchronous false, the scenarios\' default); only zram is synchronous there (§2.3: swap-in on the faulting CPU, SWP_SYNCHRONOUS_IO [S])',
  },
  flush_tlb_multi: { source: 'assumption', from: 'arm64 invalidates other CPUs\' TLBs with broadcast TLBI instructions (arch/arm64 __flush_tlb_range), not IPIs: no per-CPU cost (memory-and-vma.md F.5 marks this unverified)' },
};

export function phoneProfile(): CostProfile {
  const costs = {} as Record<CostName, CostValue>;
  for (const n of COST_NAMES) {
    const p = PHONE[n];
    costs[n] = { value: p?.value ?? DEFAULT_COSTS[n], source: p?.source ?? 'assumption', from: p?.from ?? ASSUMED };
  }
  return {
    name: 'phone',
    description: 'An Android phone as the workload notes (parameters.md) describe it: the android-app scenario\'s costs. Most per-step CPU costs are assumptions; the swap figures are derived from a phone measurement. Not fitted: no phone was calibrated. Devices (a scenario\'s io section, not this profile): file reads from UFS, a real block device completing by interrupt (parameters.md §2.1 [M]), so io.read_synchronous stays false; swap on zram, synchronous (§2.3, SWP_SYNCHRONOUS_IO [S]), so io.swap_synchronous stays true.',
    host: null,
    costs,
    io: {
      swap: {
        law: { law: 'constant', value: 17_700 }, source: 'parameters.md',
        from: 'parameters.md §2.3: zram lz4 swap-in of a 4 KiB page on an OPPO phone, 17.7 µs per fault [D]; zram completes it on the faulting CPU (SWP_SYNCHRONOUS_IO, §2.3 [S])',
      },
    },
    measurements: {},
  };
}
