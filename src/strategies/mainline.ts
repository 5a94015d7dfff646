/**
 * mainline: the kernel as of ~v7.0 (per-VMA locks since v6.4, 0bff0aaea03e
 * "x86/mm: try VMA lock-based page fault handling first"; read faults under the
 * VMA lock since 12214eba1992). A fault tries lock_vma_under_rcu once; any
 * VM_FAULT_RETRY falls back to mmap_lock. Faults drop their lock to wait for
 * I/O on the first attempt (6b4c9f446981, Josef Bacik, v5.1). The mmap_lock
 * fallback is lock_mm_and_find_vma (killable, v6.5+). Not a proposal: the
 * kernel every strategy of the thread is compared with.
 */
import type { FaultStrategy } from '../model/index.js';

export const mainline: FaultStrategy = {
  name: 'mainline',
  per_vma_lock: true,
  lock_mm_and_find_vma: true,
  drop_lock_for_io: () => true,
  hold_for_locked_folio: () => false,
  retry_vma_after_io: false,
  retry_hard: false,
  retry_under_vma_lock: () => false,
};
