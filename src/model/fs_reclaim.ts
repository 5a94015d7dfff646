/**
 * lockdep's fs_reclaim map (mm/page_alloc.c `__fs_reclaim_map`), as a lock
 * class of the checker's lock-order graph: an allocation that may enter
 * direct reclaim with __GFP_FS acquires and releases it (might_alloc, from
 * prepare_alloc_pages), and kswapd holds it across its reclaim
 * (balance_pgdat: __fs_reclaim_acquire .. __fs_reclaim_release), so every
 * lock reclaim takes (try_to_unmap's i_mmap_rwsem) is ordered after every
 * lock held where a task allocates (a fault's VMA read lock). Nothing
 * sleeps on it: it is an annotation, with no state in the model.
 */
import type { MmStruct } from './mm_types.js';
import { hooks, hooks_on } from './custom.js';

/**
 * might_alloc(gfp) (include/linux/sched/mm.h) for a GFP_HIGHUSER_MOVABLE
 * allocation of the current task in `mm` (alloc_anon_folio, the COW copy:
 * vma_alloc_folio -> __alloc_pages -> prepare_alloc_pages):
 * fs_reclaim_acquire(gfp); fs_reclaim_release(gfp).
 */
export function might_alloc(mm: MmStruct): void {
  if (hooks_on) hooks.lock_acquire('fs_reclaim', mm); // model-only hook (lockdep: lock_map_acquire(&__fs_reclaim_map))
}

/** kswapd's balance_pgdat (mm/vmscan.c): __fs_reclaim_acquire(_THIS_IP_), held across the reclaim it does. */
export function __fs_reclaim_acquire(): void {
  if (hooks_on) hooks.fs_reclaim?.(1); // model-only hook
}

/** __fs_reclaim_release(_THIS_IP_). */
export function __fs_reclaim_release(): void {
  if (hooks_on) hooks.fs_reclaim?.(-1); // model-only hook
}
