/** mm/mprotect.c: do_mprotect_pkey -> mprotect_fixup. */
import { flush_tlb_mm_range, ptes_changed } from './tlb.js';
import { cpu, type KPath } from './effects.js';
import { Cost } from './cost.js';
import { VM_EXEC, VM_READ, VM_WRITE, type MmStruct, type VmAreaStruct } from './mm_types.js';
import { mmap_write_lock_killable, mmap_write_unlock, PT } from './mmap_lock.js';
import { vma_start_write } from './vma_lock.js';
import { fault_inject, hooks, hooks_on } from './custom.js';
import { sched_points } from './sched.js';
import { vma_modify_flags } from './vma.js';

/** The protection bits mprotect sets (PROT_READ | PROT_WRITE | PROT_EXEC as VM_* flags). */
export const VM_PROT_MASK = VM_READ | VM_WRITE | VM_EXEC;

/** Scenario protections (`prot: rw` ...) as VM_* bits. */
export const MPROTECT_PROT_BITS = {
  none: 0, r: VM_READ, rw: VM_READ | VM_WRITE, rx: VM_READ | VM_EXEC, rwx: VM_READ | VM_WRITE | VM_EXEC,
} as const satisfies Record<string, number>;

/**
 * mprotect(addr, npages, prot).
 *
 * With `prot` (VM_READ | VM_WRITE | VM_EXEC bits): the kernel's
 * do_mprotect_pkey. mmap_write_lock_killable; vma_find; for each VMA piece
 * of [addr, addr + npages) mprotect_fixup (below); tlb_finish_mmu (the TLB
 * shoot-down: Cost.flush_tlb_multi per remote CPU running the mm, tlb.ts); mmap_write_unlock. Returns false
 * (-ENOMEM) when part of the range is unmapped, or -EINTR.
 *
 * Without `prot`: the model before VMAs could split (kept for the existing
 * scenarios and their figures, docs/fidelity.md): write-lock the VMA at
 * `addr` and change `npages` PTEs; the VMA's flags and range stay as they are.
 *
 * `refill`: change_protection's walk over lines that are not in the CPU's
 * caches (change_pte_refill, below), in units of Cost.change_pte_after_sleep
 * per page changed; 0 (the checker, and a simulator without that cost): no
 * step.
 */
export function* do_mprotect_pkey(mm: MmStruct, addr: number, npages: number, prot?: number, refill = 0): KPath<boolean> {
  if ((yield* mmap_write_lock_killable(mm)) < 0) return false;
  // mmap_lock held for write, however it was taken (at once or after a sleep). Live: mm, addr, npages,
  // prot (arguments); what mmap_write_lock_killable read (the rwsem's answer, the wake-up) is dead.
  if (hooks_on) hooks.frame?.('mprotect_locked', [addr, npages, prot ?? -1]); // model-only hook
  let vma = mm.find_vma(addr);
  if (vma === null) {
    if (sched_points) yield PT.mmap_write_unlock;
    mmap_write_unlock(mm);
    return false;
  }
  if (prot === undefined) {
    if (!fault_inject.mprotect_skip_vma_start_write) yield* vma_start_write(vma);
    // Live: mm, addr, npages (arguments), vma; what find_vma and vma_start_write read is dead.
    if (hooks_on) hooks.frame?.('mprotect_vma_locked', [addr, npages, vma]); // model-only hook
    hooks.pt_update_begin(vma, 'change_protection', true); // model-only hook
    yield cpu(Cost.mprotect_fixup);
    yield cpu(Cost.change_pte, Math.min(npages, vma.vm_end - addr)); // change_protection
    if (refill > 0) yield* change_pte_refill(Math.min(npages, vma.vm_end - addr), refill);
    const flush = flush_tlb_mm_range(ptes_changed(Math.min(npages, vma.vm_end - addr), vma)); // tlb_finish_mmu
    if (flush !== null) yield flush;
    hooks.pt_update_end(vma, 'change_protection');
    if (sched_points) yield PT.mmap_write_unlock;
    mmap_write_unlock(mm);
    return true;
  }
  const start = addr, end = addr + npages;
  let ok = true;
  let changed = false; // did change_protection touch a present PTE (tlb_finish_mmu has a range to flush)?
  let prev = start > vma.vm_start ? vma : mm.mm_mt.prev(vma);
  for (let tmp = start; ;) {
    const newflags = (vma.vm_flags & ~VM_PROT_MASK) | prot;
    const tmp_end = Math.min(vma.vm_end, end);
    changed ||= newflags !== vma.vm_flags && ptes_changed(tmp_end - tmp, vma);
    const fixed = yield* mprotect_fixup(mm, vma, prev, tmp, tmp_end, newflags, refill);
    if (fixed === null) { // -ENOMEM: the map_count limit
      ok = false;
      break;
    }
    prev = fixed;
    tmp = Math.max(tmp_end, prev.vm_end); // nstart = tmp; if (nstart < prev->vm_end) nstart = prev->vm_end
    if (tmp >= end) break;
    const nx = mm.mm_mt.next(prev);
    if (nx === null || nx.vm_start !== tmp) { // a hole: -ENOMEM
      ok = false;
      break;
    }
    vma = nx;
  }
  const flush = flush_tlb_mm_range(changed); // tlb_finish_mmu -> flush_tlb_mm_range
  if (flush !== null) yield flush;
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm);
  return ok;
}

/**
 * mprotect_fixup (mm/mprotect.c) of [start, end) inside `vma`: nothing when
 * the flags do not change; else vma_modify_flags (merge, write-locking the
 * neighbours it changes, or split, write-locking the pieces), vma_start_write
 * (idempotent), vm_flags_reset, change_protection. Returns the VMA that now
 * covers [start, end) (the kernel's *pprev), or null (-ENOMEM from
 * vma_modify: a split at the map_count limit).
 */
export function* mprotect_fixup(
  mm: MmStruct, vma: VmAreaStruct, prev: VmAreaStruct | null, start: number, end: number, newflags: number, refill = 0,
): KPath<VmAreaStruct | null> {
  if (newflags === vma.vm_flags) return vma;
  const v = yield* vma_modify_flags(mm, prev, vma, start, end, newflags);
  if (v === null) return null;
  if (!fault_inject.mprotect_skip_vma_start_write) yield* vma_start_write(v);
  hooks.vma_change(v, 'flags'); // model-only hook: vm_flags_reset asserts the write lock
  v.vm_flags = newflags;
  if ((newflags & VM_WRITE) === 0) v.anon_ptes_writable = 0; // change_protection write-protects every PTE
  hooks.pt_update_begin(v, 'change_protection', true); // model-only hook
  yield cpu(Cost.mprotect_fixup);
  yield cpu(Cost.change_pte, end - start); // change_protection
  if (refill > 0) yield* change_pte_refill(end - start, refill);
  hooks.pt_update_end(v, 'change_protection');
  return v;
}

/**
 * change_protection -> change_pte_range over lines the CPU no longer holds:
 * for each PTE the walk reads and rewrites the PTE table's line and, for a
 * present PTE, the struct page's (vm_normal_page -> page_folio, and
 * mprotect_folio_pte_batch; change_present_ptes -> commit_anon_folio_batch
 * reads PageAnonExclusive when the PTE may be made writable again). Cost.change_pte is fitted back to back, with every such
 * line in the cache; a walk whose range was last walked long ago, or before
 * the task slept, refills them: `refill` units of Cost.change_pte_after_sleep
 * per page (the simulator chooses the units from the range's age: src/sim/
 * mprotect-walk.ts). One CPU step with the walk's lock held, as change_pte's.
 */
function* change_pte_refill(pages: number, refill: number): KPath {
  const n = Math.round(pages * refill);
  if (n > 0) yield cpu(Cost.change_pte_after_sleep, n);
}
