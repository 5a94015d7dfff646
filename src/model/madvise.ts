/** mm/madvise.c: MADV_DONTNEED, which takes the VMA read lock when it can, and the flag-changing behaviours. */
import { flush_tlb_mm_range, ptes_changed } from './tlb.js';
import { cpu, point, type KPath } from './effects.js';
import { Cost } from './cost.js';
import { userfaultfd_missing, VM_RAND_READ, VM_SEQ_READ, type MmStruct, type VmAreaStruct } from './mm_types.js';
import { mmap_read_lock, mmap_read_unlock, mmap_write_lock_killable, mmap_write_unlock, PT } from './mmap_lock.js';
import { lock_vma_under_rcu, lock_vma_under_rcu_steps, vma_end_read, vma_start_write } from './vma_lock.js';
import { vma_modify_flags } from './vma.js';
import { fault_inject, hooks, hooks_on } from './custom.js';
import { __pte_offset_map, pmd_index, pte_offset_map_lock_pinned, pte_unmap_unlock, PTRS_PER_PTE } from './pgtable.js';
import { sched_points } from './sched.js';
import { free_pte, reclaim_pt_is_enabled, try_get_and_clear_pmd } from './pt_reclaim.js';

/** zap_pte_range's pte_offset_map_lock, where the spin_lock(ptl) may wait. */
const ZAP_PTL = point('zap_pte_range: pte_offset_map_lock(mm, pmd, addr, &ptl)');

/**
 * zap_pmd_range (mm/memory.c) over [start, end), as a walk of the PTE
 * tables (the PTEs it clears are in the zap's cost): for each pmd that is
 * not none, zap_pte_range maps the table (__pte_offset_map, under
 * rcu_read_lock), takes its PTL in a later step, and re-checks the pmd
 * (pgtable.ts); when it changed (khugepaged retracted the table)
 * zap_pte_range returns early and zap_pmd_range does the same pmd again
 * (`if (addr != next) pmd--`), which is now none. With PT_RECLAIM
 * (pt_reclaim.ts), a zap of the whole PMD range clears the pmd under the
 * PTL (try_get_and_clear_pmd) and frees the table after pte_unmap_unlock
 * (free_pte). Walked as objects only where another path can change the pmd
 * under the zap: khugepaged's retraction (a VMA with a mapping: the
 * checker's khugepaged scenarios), or PT_RECLAIM (a zap that covers a whole
 * PMD range); elsewhere the walk is the cost alone.
 */
function* zap_pmd_range(mm: MmStruct, vma: VmAreaStruct, start: number, end: number): KPath {
  for (let a = start; a < end; a = (pmd_index(a) + 1) * PTRS_PER_PTE) {
    const can_reclaim_pt = reclaim_pt_is_enabled(vma, pmd_index(a), start, end); // zap_pte_range: reclaim_pt_is_enabled(start, end, details)
    for (;;) {
      const pt = __pte_offset_map(mm, a); // rcu_read_lock; pmdp_get_lockless
      if (pt === null) break; // pmd_none: nothing to zap in this PMD range
      yield ZAP_PTL;
      if (!pte_offset_map_lock_pinned(mm, pt, a, 'zap_pte_range')) continue; // pmd changed: do this pmd again
      // The PTEs are cleared under the PTL (in the zap's cost); then, the PTE loop done (addr == end):
      const direct_reclaim = can_reclaim_pt && try_get_and_clear_pmd(mm, pt); // if (can_reclaim_pt && direct_reclaim && addr == end)
      pte_unmap_unlock(pt);
      if (direct_reclaim) free_pte(pt); // if (can_reclaim_pt) { if (direct_reclaim) free_pte(mm, start, tlb, pmdval); ... }
      break;
    }
  }
}

/** Whether zap_pmd_range over [start, end) of `vma` walks the tables as objects (see zap_pmd_range). */
function zap_walks_tables(vma: VmAreaStruct, start: number, end: number): boolean {
  if (vma.mapping !== null) return true;
  for (let a = start; a < end; a = (pmd_index(a) + 1) * PTRS_PER_PTE) {
    if (reclaim_pt_is_enabled(vma, pmd_index(a), start, end)) return true;
  }
  return false;
}

/**
 * The zap's cleared PTEs in the model's page state, where it tracks them:
 * file PTEs while fault-around's charges are installed, and anonymous
 * PTEs (a VMA registered for missing userfaults: the next fault there is
 * delivered to user space again). userfaultfd_remove does nothing
 * without UFFD_FEATURE_EVENT_REMOVE, which the model's context lacks.
 */
function model_ptes_zapped(vma: VmAreaStruct, start: number, end: number): void {
  if (vma.file_ptes.size > 0) for (let a = start; a < end; a++) vma.file_ptes.delete(vma.pgoff_of(a)); // file PTEs the model tracks (fault_around.ts)
  if (!userfaultfd_missing(vma)) return;
  for (let a = start; a < end; a++) vma.anon_present.delete(vma.pgoff_of(a));
}

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
    const end = Math.min(addr + npages, vma.vm_end);
    if (hooks_on && zap_walks_tables(vma, addr, end)) yield* zap_pmd_range(mm, vma, addr, end);
    const flush = flush_tlb_mm_range(ptes_changed(Math.min(npages, vma.vm_end - addr), vma)); // zap_page_range_single -> tlb_finish_mmu
    if (flush !== null) yield flush;
    hooks.pt_update_end(vma, 'zap_page_range_single');
    model_ptes_zapped(vma, addr, end);
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
    const end = Math.min(addr + npages, v.vm_end);
    if (hooks_on && zap_walks_tables(v, addr, end)) yield* zap_pmd_range(mm, v, addr, end);
    const flush = flush_tlb_mm_range(ptes_changed(Math.min(npages, v.vm_end - addr), v)); // zap_page_range_single -> tlb_finish_mmu
    if (flush !== null) yield flush;
    hooks.pt_update_end(v, 'zap_page_range_single');
    model_ptes_zapped(v, addr, end);
  }
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm);
  return v !== null;
}

/** The madvise behaviours that only change vm_flags (the model's subset). */
export type MadviseFlagBehavior = 'random' | 'sequential' | 'normal';

/**
 * madvise(addr, npages, MADV_RANDOM / MADV_SEQUENTIAL / MADV_NORMAL)
 * (mm/madvise.c): madvise_lock takes mmap_write_lock_killable (these
 * behaviours need the write lock); madvise_walk_vmas visits each VMA piece of
 * the range; madvise_update_vma: nothing when the flags do not change, else
 * vma_modify_flags (merge or split, write-locking what it changes, as for
 * mprotect), vma_start_write, vm_flags_reset. Returns false (-ENOMEM) when
 * part of the range is unmapped, or the lock wait was interrupted.
 */
export function* madvise_flags(mm: MmStruct, addr: number, npages: number, behavior: MadviseFlagBehavior): KPath<boolean> {
  if ((yield* mmap_write_lock_killable(mm)) < 0) return false;
  let vma = mm.find_vma(addr);
  let ok = vma !== null;
  const start = addr, end = addr + npages;
  const set = behavior === 'random' ? VM_RAND_READ : behavior === 'sequential' ? VM_SEQ_READ : 0;
  let prev = vma !== null && start > vma.vm_start ? vma : vma !== null ? mm.mm_mt.prev(vma) : null;
  for (let tmp = start; vma !== null;) {
    const new_flags = (vma.vm_flags & ~(VM_RAND_READ | VM_SEQ_READ)) | set;
    const tmp_end = Math.min(vma.vm_end, end);
    // madvise_update_vma
    if (new_flags !== vma.vm_flags) {
      const v = yield* vma_modify_flags(mm, prev, vma, tmp, tmp_end, new_flags);
      if (v === null) { // -ENOMEM: the map_count limit
        ok = false;
        break;
      }
      vma = v;
      yield* vma_start_write(vma); // "vm_flags is protected by the mmap_lock held in write mode"
      hooks.vma_change(vma, 'flags'); // model-only hook: vm_flags_reset
      vma.vm_flags = new_flags;
      yield cpu(Cost.madvise_vma);
    }
    prev = vma;
    tmp = Math.max(tmp_end, prev.vm_end); // madvise_walk_vmas: if (start < prev->vm_end) start = prev->vm_end
    if (tmp >= end) break;
    const nx = mm.mm_mt.next(prev);
    if (nx === null || nx.vm_start !== tmp) {
      ok = false;
      break;
    }
    vma = nx;
  }
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm);
  return ok;
}
