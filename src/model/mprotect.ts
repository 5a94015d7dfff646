/** mm/mprotect.c: do_mprotect_pkey -> mprotect_fixup. */
import { Cost, cpu, type KPath } from './effects.js';
import type { MmStruct } from './mm_types.js';
import { mmap_write_lock_killable, mmap_write_unlock, PT, vma_start_write } from './mmap_lock.js';
import { fault_inject, hooks } from './custom.js';
import { sched_points } from './sched.js';

/**
 * mprotect(addr, npages): mmap_lock for write, write-lock the VMA
 * (vma_modify_flags -> vma_start_write), change the PTEs, unlock.
 * Splitting the VMA at the range edges is not modelled (docs/fidelity.md).
 * Returns false (-ENOMEM) when no VMA covers `addr`, or -EINTR: a fatal
 * signal ended the wait for mmap_lock (mmap_write_lock_killable). The
 * VMA write lock is taken with vma_start_write, not the killable form
 * (whether mprotect was converted is unverified, locking.md §8).
 */
export function* do_mprotect_pkey(mm: MmStruct, addr: number, npages: number): KPath<boolean> {
  if ((yield* mmap_write_lock_killable(mm)) < 0) return false;
  const vma = mm.find_vma(addr);
  if (vma === null) {
    if (sched_points) yield PT.mmap_write_unlock;
    mmap_write_unlock(mm);
    return false;
  }
  if (!fault_inject.mprotect_skip_vma_start_write) yield* vma_start_write(vma);
  hooks.pt_update_begin(vma, 'change_protection', true); // model-only hook
  yield cpu(Cost.mprotect_fixup);
  yield cpu(Cost.change_pte, Math.min(npages, vma.vm_end - addr)); // change_protection
  hooks.pt_update_end(vma, 'change_protection');
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm);
  return true;
}
