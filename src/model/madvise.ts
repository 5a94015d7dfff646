/** mm/madvise.c: MADV_DONTNEED, which takes the VMA read lock when it can. */
import { Cost, cpu, type KPath } from './effects.js';
import type { MmStruct, VmAreaStruct } from './mm_types.js';
import { lock_vma_under_rcu, lock_vma_under_rcu_steps, mmap_read_lock, mmap_read_unlock, PT, vma_end_read } from './mmap_lock.js';
import { fault_inject, hooks } from './custom.js';
import { sched_points } from './sched.js';

/**
 * madvise(addr, npages, MADV_DONTNEED): get_lock_mode() says MADVISE_VMA_READ_LOCK;
 * try_vma_read_lock() (mm/madvise.c), whose fallback `take_mmap_read_lock:`
 * is the uninterruptible mmap_read_lock() (only MADVISE_MMAP_READ_LOCK mode
 * goes through madvise_lock's mmap_read_lock_killable); zap the range.
 * Returns false when the range is not mapped (-ENOMEM).
 */
export function* madvise_dontneed(mm: MmStruct, addr: number, npages: number): KPath<boolean> {
  let vma: VmAreaStruct | null;
  if (sched_points) {
    yield PT.lock_vma_under_rcu;
    vma = yield* lock_vma_under_rcu_steps(mm, addr);
  } else {
    vma = lock_vma_under_rcu(mm, addr);
  }
  if (vma !== null) {
    hooks.vma_use(vma, mm, addr, 'zap_page_range_single'); // model-only hook
    yield cpu(Cost.madvise_vma);
    hooks.pt_update_begin(vma, 'zap_page_range_single', false); // model-only hook
    yield cpu(Cost.zap_pte, Math.min(npages, vma.vm_end - addr));
    hooks.pt_update_end(vma, 'zap_page_range_single');
    if (fault_inject.madvise_mmap_lock_under_vma_lock) { // injected bug: mmap_lock taken under the VMA lock
      yield* mmap_read_lock(mm);
      if (sched_points) yield PT.mmap_read_unlock;
      mmap_read_unlock(mm);
    }
    if (sched_points) yield PT.vma_end_read;
    vma_end_read(vma);
    return true;
  }
  yield* mmap_read_lock(mm); // try_vma_read_lock: take_mmap_read_lock
  const v = mm.find_vma(addr);
  if (v !== null) {
    yield cpu(Cost.madvise_vma);
    hooks.pt_update_begin(v, 'zap_page_range_single', false); // model-only hook
    yield cpu(Cost.zap_pte, Math.min(npages, v.vm_end - addr));
    hooks.pt_update_end(v, 'zap_page_range_single');
  }
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm);
  return v !== null;
}
