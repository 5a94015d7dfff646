/** mm/vma.c and mm/mmap.c: munmap and mmap of whole VMAs. */
import { Cost, cpu, type KPath } from './effects.js';
import { VmAreaStruct, type MmStruct } from './mm_types.js';
import {
  mmap_read_unlock, mmap_write_downgrade, mmap_write_lock_killable, mmap_write_unlock,
  PT, vma_mark_detached, vma_start_write,
} from './mmap_lock.js';
import { sched_points } from './sched.js';

/**
 * munmap of the VMA at `addr` (do_vmi_align_munmap): mmap write, write-lock and
 * detach the VMA (vms_gather_munmap_vmas), then downgrade to read and zap its
 * page tables (vms_complete_munmap_vmas). Returns the removed VMA, or null
 * (no VMA, or __vm_munmap's mmap_write_lock_killable interrupted).
 */
export function* do_vmi_align_munmap(mm: MmStruct, addr: number): KPath<VmAreaStruct | null> {
  if ((yield* mmap_write_lock_killable(mm)) < 0) return null;
  const vma = mm.find_vma(addr);
  if (vma === null) {
    if (sched_points) yield PT.mmap_write_unlock;
    mmap_write_unlock(mm);
    return null;
  }
  yield* vma_start_write(vma);
  if (sched_points) yield PT.vma_mark_detached;
  vma_mark_detached(vma);
  mm.unlink(vma);
  yield cpu(Cost.munmap_vma);
  if (sched_points) yield PT.mmap_write_downgrade;
  mmap_write_downgrade(mm);
  yield cpu(Cost.zap_pte, Math.round(vma.pages * vma.resident)); // unmap_region
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm);
  return vma;
}

/**
 * mmap of a fresh VMA with the same shape as `old` at the same range
 * (do_mmap -> __mmap_region): mmap write, new VMA write-locked and linked.
 * null when vm_mmap_pgoff's mmap_write_lock_killable is interrupted.
 */
export function* do_mmap(mm: MmStruct, old: VmAreaStruct): KPath<VmAreaStruct | null> {
  if ((yield* mmap_write_lock_killable(mm)) < 0) return null;
  yield cpu(Cost.do_mmap);
  const vma = new VmAreaStruct(mm, mm.nextVmaId++, old.group, old.vm_start, old.vm_end,
    old.vm_flags, old.vm_file, old.has_map_pages, old.resident);
  yield* vma_start_write(vma); // __mmap_new_vma: vma_start_write before vma_link
  mm.link(vma);
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm);
  return vma;
}
