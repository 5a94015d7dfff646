/**
 * File faults (mm/filemap.c, ~v7.0): filemap_fault and the helpers that decide
 * whether the fault drops its lock to wait for I/O.
 */
import { LawName, point, type KPath } from './effects.js';
import type { VmFault } from './fault_types.js';
import {
  FAULT_FLAG_RETRY_NOWAIT, FAULT_FLAG_VMA_LOCK, fault_flag_allow_retry_first,
  VM_FAULT_MAJOR, VM_FAULT_RETRY, VM_FAULT_RETRY_VMA, type Folio,
} from './mm_types.js';
import { release_fault_lock } from './memory_lock.js';
import { __folio_lock, folio_alloc_locked_for_io, folio_unlock } from './pagemap.js';
import { current, sched_points } from './sched.js';
import { count_vm_event, VmEvent } from './vmstat.js';

const PT_filemap_get_folio = point('filemap_get_folio(mapping, index)');

/**
 * maybe_unlock_mmap_for_io (mm/internal.h): on a first attempt, release the
 * fault lock (VMA or mmap) before waiting for I/O; returns whether it is
 * released (the kernel's `fpin`). The strategy may keep it (hold-io).
 */
function* maybe_unlock_mmap_for_io(vmf: VmFault, fpin: boolean): KPath<boolean> {
  if (fpin) return true;
  const flags = vmf.flags;
  if (fault_flag_allow_retry_first(flags) && (flags & FAULT_FLAG_RETRY_NOWAIT) === 0 &&
      vmf.vma.mm.fault.drop_lock_for_io('file')) {
    yield* release_fault_lock(vmf);
    return true;
  }
  return false;
}

/**
 * lock_folio_maybe_drop_mmap: trylock; else drop the fault lock (first attempt)
 * and sleep for the folio lock. Patch 5/5 keeps the lock for uptodate folios.
 * Signals are not modelled, so it always returns with the folio locked.
 */
function* lock_folio_maybe_drop_mmap(vmf: VmFault, folio: Folio, fpin: boolean): KPath<boolean> {
  if (folio.trylock(current)) return fpin;
  if (!fpin && !vmf.vma.mm.fault.hold_for_locked_folio(folio)) {
    fpin = yield* maybe_unlock_mmap_for_io(vmf, fpin);
  }
  if (!fpin) count_vm_event(VmEvent.FAULT_HOLD_WAIT);
  yield* __folio_lock(folio);
  return fpin;
}

/**
 * filemap_fault: page-cache hit maps the folio; a miss starts read I/O
 * (do_sync_mmap_readahead drops the lock first on a first attempt), then waits
 * for the folio lock, which the I/O completion releases. If the fault lock was
 * dropped at any point, return VM_FAULT_RETRY so the arch code redoes the fault;
 * patch 1/5 adds VM_FAULT_RETRY_VMA when the lock was the VMA lock.
 */
export function* filemap_fault(vmf: VmFault): KPath<number> {
  const vma = vmf.vma;
  let ret = 0;
  let fpin = false;
  if (sched_points) yield PT_filemap_get_folio;
  let folio = vma.cache.get(vmf.pgoff);
  if (folio === undefined) {
    // Page-cache miss: major fault.
    count_vm_event(VmEvent.PGMAJFAULT);
    ret = VM_FAULT_MAJOR;
    fpin = yield* maybe_unlock_mmap_for_io(vmf, fpin); // do_sync_mmap_readahead
    const bio = folio_alloc_locked_for_io(vma.id, vmf.pgoff, LawName.read, false);
    folio = bio.folio;
    vma.cache.set(vmf.pgoff, folio);
    count_vm_event(VmEvent.IO_READ);
    yield bio; // page_cache_ra_order -> read_pages: submit, do not wait
  }
  folio.refcount++;
  fpin = yield* lock_folio_maybe_drop_mmap(vmf, folio, fpin);
  if (fpin) {
    yield* folio_unlock(folio);
    folio.refcount--;
    const m = vma.mm.fault;
    const toVma = m.retry_vma_after_io && (vmf.flags & FAULT_FLAG_VMA_LOCK) !== 0;
    return ret | VM_FAULT_RETRY | (toVma ? VM_FAULT_RETRY_VMA : 0);
  }
  // finish_fault maps the uptodate folio; the caller unlocks it (VM_FAULT_LOCKED).
  yield* folio_unlock(folio);
  folio.refcount--;
  return ret;
}
