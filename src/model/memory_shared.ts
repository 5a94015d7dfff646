/**
 * mm/memory.c (~v7.0): the write faults of a shared file mapping (do_shared_fault
 * on a PTE none, wp_page_shared on a read-only PTE: ->page_mkwrite, the dirty
 * PTE, fault_dirty_shared_page) and vmf_can_call_fault. Moved out of memory.ts,
 * which dispatches to them (do_fault, handle_pte_fault).
 */
import type { KPath } from './effects.js';
import type { VmFault } from './fault_types.js';
import { filemap_fault, filemap_get_folio, maybe_unlock_mmap_for_io } from './filemap.js';
import {
  FAULT_FLAG_MKWRITE, FAULT_FLAG_VMA_LOCK, FAULT_FLAG_WRITE, Folio, VM_FAULT_COMPLETED, VM_FAULT_NOPAGE, VM_FAULT_RETRY,
  VM_FAULT_RETRY_HARD,
} from './mm_types.js';
import { balance_dirty_pages_ratelimited, folio_mark_dirty, folio_test_dirty } from './page_writeback.js';
import { f2fs_vm_page_mkwrite, filemap_page_mkwrite, folio_lock_holding } from './page_mkwrite.js';
import { pte_offset_map_lock } from './pgtable.js';
import { PT } from './mmap_lock.js';
import { vma_end_read } from './vma_lock.js';
import { folio_unlock } from './pagemap.js';
import { hooks, hooks_on } from './custom.js';
import { folio_mapped_young } from './memcontrol.js';
import { sched_points } from './sched.js';

/**
 * vmf_can_call_fault, as a predicate: a driver ->fault without ->map_pages is
 * not VMA-lock safe. (The kernel function also does the vma_end_read and
 * returns VM_FAULT_RETRY; do_fault does that below.)
 */
export function vmf_can_call_fault(vmf: VmFault): boolean {
  return vmf.vma.has_map_pages || (vmf.flags & FAULT_FLAG_VMA_LOCK) === 0;
}

/** vmf_can_call_fault said no: drop the VMA lock and retry under mmap_lock. */
export function* vmf_can_call_fault_retry(vmf: VmFault): KPath<number> {
  const vma = vmf.vma;
  if (sched_points) yield PT.vma_end_read;
  vma_end_read(vma);
  return VM_FAULT_RETRY | (vma.mm.fault.retry_hard ? VM_FAULT_RETRY_HARD : 0);
}

/**
 * do_page_mkwrite (mm/memory.c, v7.0 §B.2): call the file's
 * ->page_mkwrite with vmf->flags overwritten to FAULT_FLAG_WRITE |
 * FAULT_FLAG_MKWRITE (no ALLOW_RETRY: nothing in there may drop the fault
 * lock, so its waits hold it), then restore them. The callbacks modelled
 * all return VM_FAULT_LOCKED (folio locked) or VM_FAULT_NOPAGE (unlocked).
 */
function* do_page_mkwrite(vmf: VmFault, folio: Folio): KPath<number> {
  const old_flags = vmf.flags;
  vmf.flags = FAULT_FLAG_WRITE | FAULT_FLAG_MKWRITE;
  const kind = vmf.vma.page_mkwrite;
  const ret = kind === 'f2fs' ? yield* f2fs_vm_page_mkwrite(vmf, folio) : yield* filemap_page_mkwrite(vmf, folio, kind === 'stable');
  vmf.flags = old_flags;
  return ret;
}

/**
 * fault_dirty_shared_page (mm/memory.c, v7.0 §B.3), with the folio locked:
 * folio_mark_dirty, folio_unlock; then, if the folio was newly dirtied or
 * the file has ->page_mkwrite, maybe_unlock_mmap_for_io (a first attempt
 * releases the fault lock) before balance_dirty_pages_ratelimited (with a
 * memory model its background-writeback kick; no dirty throttling), and
 * VM_FAULT_COMPLETED if it released.
 */
function* fault_dirty_shared_page(vmf: VmFault, folio: Folio, page_mkwrite: boolean): KPath<number> {
  const dirtied = !folio_test_dirty(vmf.vma, folio);
  folio_mark_dirty(vmf.vma, folio);
  if (sched_points) yield PT.folio_unlock;
  folio_unlock(folio);
  if (dirtied || page_mkwrite) {
    const u = maybe_unlock_mmap_for_io(vmf, false);
    const released = typeof u === 'boolean' ? u : yield* u;
    balance_dirty_pages_ratelimited(vmf.vma); // with memory: only its background-writeback kick (page_writeback.ts)
    if (released) return VM_FAULT_COMPLETED;
  }
  return 0;
}

/** finish_fault / finish_mkwrite_fault: a writable, dirty PTE for the folio. */
function finish_shared_write(vmf: VmFault, alloc: boolean): void {
  const vma = vmf.vma;
  if (!pte_offset_map_lock(vma.mm, vmf.pt, vmf.address, alloc)) return; // finish_fault: if (!vmf->pte) return VM_FAULT_NOPAGE
  if (vma.mm.memory !== null) folio_mapped_young(vma.mm.memory, vma, vmf.pgoff);
  vma.wrprotected.delete(vmf.pgoff);
  if (hooks_on) hooks.set_pte_at(vma, vmf.pgoff, 'file'); // model-only hook
}

/**
 * do_shared_fault (mm/memory.c, v7.0 §B.1), PTE none: __do_fault
 * (filemap_fault, returning the folio locked), then with a ->page_mkwrite
 * folio_unlock and do_page_mkwrite under the fault lock, finish_fault, and
 * fault_dirty_shared_page. A fault that filemap_fault sent to retry
 * returns here before ->page_mkwrite; the retry calls it.
 */
export function* do_shared_fault(vmf: VmFault): KPath<number> {
  const mkwrite = vmf.vma.page_mkwrite !== 'none';
  vmf.keep_locked = true;
  let ret = yield* filemap_fault(vmf);
  vmf.keep_locked = false;
  if ((ret & (VM_FAULT_NOPAGE | VM_FAULT_RETRY)) !== 0) return ret;
  const folio = vmf.folio!;
  if (mkwrite) {
    if (sched_points) yield PT.folio_unlock;
    folio_unlock(folio);
    const tmp = yield* do_page_mkwrite(vmf, folio);
    if ((tmp & VM_FAULT_NOPAGE) !== 0) { // the fault is taken again
      folio.refcount--;
      return tmp;
    }
  }
  finish_shared_write(vmf, true); // finish_fault: pmd_none -> pte_alloc
  folio.refcount--; // filemap_fault's reference now belongs to the PTE
  ret |= yield* fault_dirty_shared_page(vmf, folio, mkwrite);
  return ret;
}

/**
 * do_wp_page -> wp_page_shared (mm/memory.c, v7.0 §B.1): a write to a
 * shared file page mapped read-only. No page-cache lookup and no I/O: the
 * mapped folio is resident. folio_get; with ->page_mkwrite,
 * vmf_can_call_fault, do_page_mkwrite and finish_mkwrite_fault; without
 * (wp_page_reuse), folio_lock, uninterruptible, holding the fault lock.
 * Then fault_dirty_shared_page and folio_put.
 */
export function* wp_page_shared(vmf: VmFault): KPath<number> {
  const vma = vmf.vma;
  const folio = filemap_get_folio(vma, vmf.pgoff, true)!; // vm_normal_folio
  vmf.folio = folio;
  const mkwrite = vma.page_mkwrite !== 'none';
  folio.refcount++; // folio_get
  if (mkwrite) {
    if (!vmf_can_call_fault(vmf)) {
      folio.refcount--;
      return yield* vmf_can_call_fault_retry(vmf);
    }
    const tmp = yield* do_page_mkwrite(vmf, folio);
    if ((tmp & VM_FAULT_NOPAGE) !== 0) {
      folio.refcount--;
      return tmp;
    }
  } else {
    if (sched_points) yield PT.folio_trylock;
    yield* folio_lock_holding(folio); // wp_page_reuse; folio_lock
  }
  finish_shared_write(vmf, false); // finish_mkwrite_fault: a present PTE's table
  const ret = yield* fault_dirty_shared_page(vmf, folio, mkwrite);
  folio.refcount--; // folio_put
  return ret;
}
