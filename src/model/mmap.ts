/** mm/mmap.c: dup_mmap (fork) and exit_mmap. */
import { Cost, cpu, type KPath } from './effects.js';
import { VM_COPY_ON_FORK, VM_DONTCOPY, type MmStruct, type VmAreaStruct } from './mm_types.js';
import {
  mmap_read_lock, mmap_read_unlock, mmap_write_lock, mmap_write_lock_killable, mmap_write_unlock, PT, vma_mark_detached, vma_start_write_killable,
} from './mmap_lock.js';
import { vm_area_free } from './vma.js';
import { fault_inject, hooks } from './custom.js';
import { set_mmf_oom_skip, vma_oom_reaped } from './oom_kill.js';
import { current, fatal_signal_pending, sched_points } from './sched.js';
import { EINTR } from './signal.js';

/** mm/memory.c vma_needs_copy: copy_page_range only when it has work to do. */
export function vma_needs_copy(vma: VmAreaStruct): boolean {
  if (vma.vm_flags & VM_COPY_ON_FORK) return true;
  return vma.anon_vma !== null;
}

/**
 * dup_mmap: mmap_write_lock_killable(oldmm) for the whole copy; for each parent
 * VMA in address order, vma_start_write_killable (if the fork strategy says so,
 * mainline: always, fb49c455323f, 7974b09c143f), vm_area_dup + anon_vma_fork,
 * and copy_page_range when vma_needs_copy (the fork strategy's needs_copy:
 * Yang Shi's literal rule copies only with an anon_vma). The child mm is not
 * modelled. Returns 0, or -EINTR when a fatal signal interrupts it (goto
 * loop_out).
 */
export function* dup_mmap(oldmm: MmStruct): KPath<number> {
  if ((yield* mmap_write_lock_killable(oldmm)) < 0) return -EINTR;
  let retval = 0;
  const vmas = oldmm.vmas.slice(); // for_each_vma(vmi, mpnt)
  for (const mpnt of vmas) {
    const lock = oldmm.fork.lock_vma(mpnt);
    if (lock && !fault_inject.dup_mmap_skip_vma_start_write && (yield* vma_start_write_killable(mpnt)) < 0) {
      retval = -EINTR;
      break; // goto loop_out
    }
    if (mpnt.vm_flags & VM_DONTCOPY) continue;
    if (fatal_signal_pending(current)) { // "Don't duplicate many vmas if we've been oom-killed"
      retval = -EINTR;
      break;
    }
    hooks.anon_vma_fork(mpnt); // model-only hook: the child's anon_vma
    yield cpu(Cost.dup_vma);
    const copy = oldmm.fork.needs_copy(mpnt); // copy_page_range: if (!vma_needs_copy(dst_vma, src_vma)) return 0;
    hooks.dup_mmap_copy(mpnt, copy); // model-only hook: does the child get every page table it needs?
    if (copy) {
      hooks.pt_update_begin(mpnt, 'copy_page_range', lock); // model-only hook
      yield cpu(Cost.copy_pte, Math.round(mpnt.pages * mpnt.resident));
      hooks.pt_update_end(mpnt, 'copy_page_range');
    }
  }
  if (sched_points) yield PT.flush_tlb_mm;
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(oldmm);
  return retval;
}

/**
 * exit_mmap after the last thread left (mm_users == 0): unmap_vmas under
 * mmap read (pages the OOM reaper already unmapped cost nothing), set
 * MMF_OOM_SKIP, then free page tables and VMAs under mmap write.
 */
export function* exit_mmap(mm: MmStruct): KPath {
  yield* mmap_read_lock(mm);
  for (const vma of mm.vmas) {
    if (!vma_oom_reaped(vma)) yield cpu(Cost.zap_pte, Math.round(vma.pages * vma.resident));
  }
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm);
  set_mmf_oom_skip(mm);
  yield* mmap_write_lock(mm);
  yield cpu(Cost.exit_vma, mm.vmas.length); // free_pgtables + remove_vma
  for (const vma of mm.vmas.slice()) { // exit_mmap: vma_mark_detached + remove_vma -> vm_area_free, each VMA
    vma_mark_detached(vma);
    mm.unlink(vma);
    vm_area_free(vma);
  }
  mm.mm_mt.destroy(); // __mt_destroy
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm);
}
