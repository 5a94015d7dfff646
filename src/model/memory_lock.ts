/** release_fault_lock (include/linux/mm.h): drop whichever lock the fault holds. */
import type { VmFault } from './fault_types.js';
import { FAULT_FLAG_VMA_LOCK } from './mm_types.js';
import { mmap_read_unlock } from './mmap_lock.js';
import { vma_end_read } from './vma_lock.js';

export function release_fault_lock(vmf: VmFault): void {
  if ((vmf.flags & FAULT_FLAG_VMA_LOCK) !== 0) vma_end_read(vmf.vma);
  else mmap_read_unlock(vmf.vma.mm);
}
