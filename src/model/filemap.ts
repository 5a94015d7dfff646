/**
 * File faults (mm/filemap.c, ~v7.0): filemap_fault and the helpers that decide
 * whether the fault drops its lock to wait for I/O.
 */
import { LawName, type KPath } from './effects.js';
import type { VmFault } from './fault_types.js';
import {
  FAULT_FLAG_KILLABLE, FAULT_FLAG_RETRY_NOWAIT, FAULT_FLAG_VMA_LOCK, FAULT_FLAG_WRITE, fault_flag_allow_retry_first,
  Folio, VM_FAULT_MAJOR, VM_FAULT_NOPAGE, VM_FAULT_RETRY, VM_FAULT_RETRY_VMA, type VmAreaStruct,
} from './mm_types.js';
import { release_fault_lock } from './memory_lock.js';
import { PT } from './mmap_lock.js';
import { __folio_lock, __folio_lock_killable, folio_alloc_locked_for_io, folio_trylock, folio_unlock } from './pagemap.js';
import { hooks } from './custom.js';
import { sched_points } from './sched.js';
import { count_vm_event, VmEvent } from './vmstat.js';

/**
 * maybe_unlock_mmap_for_io (mm/internal.h): on a first attempt, release the
 * fault lock (VMA or mmap) before waiting for I/O; returns whether it is
 * released (the kernel's `fpin`). The strategy may keep it (hold-io keeps
 * the VMA lock).
 */
function* maybe_unlock_mmap_for_io(vmf: VmFault, fpin: boolean): KPath<boolean> {
  if (fpin) return true;
  const flags = vmf.flags;
  if (fault_flag_allow_retry_first(flags) && (flags & FAULT_FLAG_RETRY_NOWAIT) === 0 &&
      vmf.vma.mm.fault.drop_lock_for_io('file', (flags & FAULT_FLAG_VMA_LOCK) !== 0)) {
    if (sched_points) yield PT.release_fault_lock;
    release_fault_lock(vmf);
    return true;
  }
  return false;
}

/**
 * lock_folio_maybe_drop_mmap, after its folio_trylock failed (the caller does
 * the trylock fast path): drop the fault lock (first attempt) and sleep for
 * the folio lock, killably for a KILLABLE fault. Patch 5/5 keeps the lock for
 * uptodate folios. Returns 1 (locked, fault lock dropped: `fpin`), 0 (locked,
 * fault lock held), or -1: a fatal signal ended the sleep and the fault lock
 * is released ("all fault_handlers only check for fatal signals if we return
 * VM_FAULT_RETRY, so we need to drop the fault lock here").
 */
function* lock_folio_maybe_drop_mmap(vmf: VmFault, folio: Folio, fpin: boolean): KPath<number> {
  if (!fpin && !vmf.vma.mm.fault.hold_for_locked_folio(folio)) {
    fpin = yield* maybe_unlock_mmap_for_io(vmf, fpin);
  }
  if (!fpin) count_vm_event(VmEvent.FAULT_HOLD_WAIT);
  if ((vmf.flags & FAULT_FLAG_KILLABLE) !== 0) {
    if ((yield* __folio_lock_killable(folio)) < 0) {
      if (!fpin) {
        if (sched_points) yield PT.release_fault_lock;
        release_fault_lock(vmf);
      }
      return -1;
    }
  } else {
    yield* __folio_lock(folio);
  }
  return fpin ? 1 : 0;
}

/** A scratch idle folio, see filemap_get_folio. */
let scratch: Folio | null = null;

/**
 * filemap_get_folio: the page-cache folio at `index`, or null on a miss. A
 * page that is cached but has no folio object (idle and uptodate, see
 * VmAreaStruct.cache) gets one: in the simulator a scratch folio, since its
 * lock is taken and released within one zero-time step and nobody else can
 * see it; with scheduling points on (checker), a real folio inserted into the
 * cache so that other tasks can contend for it.
 */
function filemap_get_folio(vma: VmAreaStruct, index: number): Folio | null {
  const f = vma.cache.get(index);
  if (f !== undefined) return f;
  if (vma.evicted.has(index)) return null;
  if (!sched_points) {
    if (scratch === null || !scratch.idle) scratch = new Folio(-1, -1);
    scratch.uptodate = true;
    return scratch;
  }
  const folio = new Folio(vma.id, index);
  folio.uptodate = true;
  vma.cache.set(index, folio);
  return folio;
}

/**
 * filemap_map_pages (the file's vm_ops->map_pages, run by do_fault_around
 * under rcu_read_lock): map the page if its folio is in the page cache,
 * uptodate and not locked (next_uptodate_folio's folio_trylock succeeds;
 * it is unlocked again once the PTE is set under the PTE lock). Returns
 * VM_FAULT_NOPAGE when the faulting page was mapped, else 0 and the fault
 * goes on to ->fault (filemap_fault). Never sleeps: a plain function, one
 * atomic step for the checker. Only the faulting page is modelled (the real
 * function also maps up to fault_around_pages - 1 neighbours; the model
 * draws each page's state afresh at its fault, so they would not be reused).
 */
export function filemap_map_pages(vma: VmAreaStruct, pgoff: number): number {
  const f = vma.cache.get(pgoff);
  if (f === undefined) {
    if (vma.evicted.has(pgoff)) return 0; // not in the page cache
  } else if (f.locked || !f.uptodate) {
    return 0; // next_uptodate_folio skips it: ->fault will wait for it
  }
  hooks.set_pte_at(vma, pgoff, 'file'); // filemap_map_folio_range -> set_pte_range
  return VM_FAULT_NOPAGE;
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
  if (sched_points) yield PT.filemap_get_folio;
  let folio = filemap_get_folio(vma, vmf.pgoff);
  if (folio === null) {
    // Page-cache miss: major fault.
    count_vm_event(VmEvent.PGMAJFAULT);
    ret = VM_FAULT_MAJOR;
    fpin = yield* maybe_unlock_mmap_for_io(vmf, fpin); // do_sync_mmap_readahead
    const bio = folio_alloc_locked_for_io(vma.id, vmf.pgoff, LawName.read, false);
    folio = bio.folio;
    vma.cache.set(vmf.pgoff, folio); // filemap_add_folio
    vma.evicted.delete(vmf.pgoff);
    count_vm_event(VmEvent.IO_READ);
    yield bio; // page_cache_ra_order -> read_pages: submit, do not wait
  }
  folio.refcount++;
  if (sched_points) yield PT.folio_trylock;
  if (!folio_trylock(folio)) {
    const r = yield* lock_folio_maybe_drop_mmap(vmf, folio, fpin);
    if (r < 0) { // out_retry: interrupted by a fatal signal, fault lock released
      folio.refcount--;
      return ret | VM_FAULT_RETRY;
    }
    fpin = r === 1;
  }
  if (!fpin) { // finish_fault -> set_pte_range (model-only hook); do_cow_fault maps a private copy
    hooks.set_pte_at(vma, vmf.pgoff, (vmf.flags & FAULT_FLAG_WRITE) !== 0 && !vma.vm_shared ? 'anon' : 'file');
  }
  if (sched_points) yield PT.folio_unlock;
  folio_unlock(folio); // fpin: "we dropped the lock at some point"; else finish_fault mapped it
  folio.refcount--;
  if (fpin) {
    const toVma = vma.mm.fault.retry_vma_after_io && (vmf.flags & FAULT_FLAG_VMA_LOCK) !== 0;
    return ret | VM_FAULT_RETRY | (toVma ? VM_FAULT_RETRY_VMA : 0);
  }
  return ret;
}
