/**
 * File faults (mm/filemap.c, ~v7.0): filemap_fault and the helpers that decide
 * whether the fault drops its lock to wait for I/O, and when it reads ahead
 * (the readahead itself is readahead.ts).
 */
import type { KPath, MutableSubmit, SubmitEffect } from './effects.js';
import { filemap_charge_and_add, folio_mapped_young } from './memcontrol.js';
import type { VmFault } from './fault_types.js';
import {
  FAULT_FLAG_KILLABLE, FAULT_FLAG_RETRY_NOWAIT, FAULT_FLAG_TRIED, FAULT_FLAG_VMA_LOCK, FAULT_FLAG_WRITE,
  fault_flag_allow_retry_first, Folio, MMAP_LOTSAMISS, VM_EXEC, VM_FAULT_LOCKED, VM_FAULT_MAJOR, VM_FAULT_NOPAGE, VM_FAULT_RETRY,
  VM_FAULT_RETRY_VMA, VM_RAND_READ, type VmAreaStruct,
} from './mm_types.js';
import { release_fault_lock } from './memory_lock.js';
import { pte_offset_map_lock } from './pgtable.js';
import { PT } from './mmap_lock.js';
import {
  __folio_lock, __folio_lock_killable, FOLIO_QUEUED, folio_lock_killable_queue, folio_lock_killable_woken, folio_submit_read, folio_trylock,
  folio_unlock, folio_wait_locked_killable, submit_read_bio,
} from './pagemap.js';
import { page_cache_async_ra, page_cache_ra_order, page_cache_ra_window } from './readahead.js';
import { hooks, hooks_on } from './custom.js';
import { filemap_frame, filemap_ra_frame } from './filemap_frames.js';
import { sched_points } from './sched.js';
import { count_vm_event, VmEvent } from './vmstat.js';

/**
 * maybe_unlock_mmap_for_io (mm/internal.h): on a first attempt, release the
 * fault lock (VMA or mmap) before waiting for I/O; returns whether it is
 * released (the kernel's `fpin`). The strategy may keep it (hold-io keeps
 * the VMA lock). Returns the answer, or (with scheduling points) the path
 * that releases the lock after its point and answers true, for the caller
 * to run (`typeof r === 'boolean' ? r : yield* r`): a fault that drops its
 * lock for I/O runs no generator for it in the simulator.
 */
export function maybe_unlock_mmap_for_io(vmf: VmFault, fpin: boolean): boolean | KPath<boolean> {
  if (fpin) return true;
  const flags = vmf.flags;
  if (fault_flag_allow_retry_first(flags) && (flags & FAULT_FLAG_RETRY_NOWAIT) === 0 &&
      vmf.vma.mm.fault.drop_lock_for_io('file', (flags & FAULT_FLAG_VMA_LOCK) !== 0)) {
    if (sched_points) return release_fault_lock_at_point(vmf);
    release_fault_lock(vmf);
    return true;
  }
  return false;
}
/** maybe_unlock_mmap_for_io's release with scheduling points: the point, then release_fault_lock. */
function* release_fault_lock_at_point(vmf: VmFault): KPath<boolean> {
  yield PT.release_fault_lock;
  release_fault_lock(vmf);
  return true;
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
export function* lock_folio_maybe_drop_mmap(vmf: VmFault, folio: Folio, fpin: boolean): KPath<number> {
  if (!fpin && !vmf.vma.mm.fault.hold_for_locked_folio(folio)) {
    const u = maybe_unlock_mmap_for_io(vmf, fpin);
    fpin = typeof u === 'boolean' ? u : yield* u;
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
 * see it; with scheduling points on (checker), or when `real` (the folio
 * stays locked across steps: a shared write fault's ->page_mkwrite), a real
 * folio inserted into the cache so that other tasks can contend for it.
 */
export function filemap_get_folio(vma: VmAreaStruct, index: number, real = false): Folio | null {
  const f = vma.cache.get(index);
  if (f !== undefined) return f;
  if (vma.evicted.has(index)) return null;
  if (!sched_points && !real) {
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
 * uptodate, not locked and not PG_readahead (next_uptodate_folio skips all
 * three; the folio_trylock it takes is released once the PTE is set under
 * the PTE lock). Each page mapped lowers the file's mmap_miss (v7.0: pages
 * that are not PG_workingset; workingset is not modelled, so every page).
 * Returns VM_FAULT_NOPAGE when the faulting page was mapped, else 0 and the
 * fault goes on to ->fault (filemap_fault). Never sleeps: a plain function,
 * one atomic step for the checker. Only the faulting page is modelled (the
 * real function also maps up to fault_around_pages - 1 neighbours; the model
 * draws each page's state afresh at its fault, so they would not be reused).
 */
export function filemap_map_pages(vmf: VmFault): number {
  const vma = vmf.vma, pgoff = vmf.pgoff;
  const f = vma.cache.get(pgoff);
  if (f === undefined) {
    if (vma.evicted.has(pgoff)) return 0; // not in the page cache
  } else if (f.locked || !f.uptodate || f.readahead) {
    return 0; // next_uptodate_folio skips it: ->fault will wait for it (or start async readahead)
  }
  // (vmf.pt is null in the simulator, where pte_offset_map_lock returns true: tested here, so that its code stays out of this hot function.)
  if (vmf.pt !== null && !pte_offset_map_lock(vma.mm, vmf.pt, vmf.address, true)) return 0; // filemap_map_pmd installs do_fault_around's prealloc_pte if pmd_none; if (!vmf->pte) { folio_unlock; folio_put; goto out; }
  const ra = vma.f_ra;
  if (ra.mmap_miss > 0) ra.mmap_miss--;
  const memcg = vma.mm.memory;
  if (memcg !== null) folio_mapped_young(memcg, vma, pgoff);
  if (hooks_on) hooks.set_pte_at(vma, pgoff, 'file'); // filemap_map_folio_range -> set_pte_range (model-only hook)
  return VM_FAULT_NOPAGE;
}

/**
 * do_async_mmap_readahead (mm/filemap.c, v7.0), its checks: a page-cache hit
 * on a first attempt. Nothing for VM_RAND_READ or ra_pages == 0; an unlocked
 * folio lowers mmap_miss. Returns true for a PG_readahead folio: the caller
 * then drops the fault lock (maybe_unlock_mmap_for_io, setting `fpin`, so the
 * fault ends in VM_FAULT_RETRY, not MAJOR, although its folio is uptodate)
 * and runs page_cache_async_ra. Split so that the common hit allocates no
 * generator.
 */
function do_async_mmap_readahead(vmf: VmFault, folio: Folio): boolean {
  const vma = vmf.vma;
  const ra = vma.f_ra;
  if ((vma.vm_flags & VM_RAND_READ) !== 0 || ra.ra_pages === 0) return false;
  if (!folio.locked && ra.mmap_miss > 0) ra.mmap_miss--;
  return folio.readahead;
}

/**
 * do_sync_mmap_readahead (mm/filemap.c, v7.0), its decision: a page-cache
 * miss. The first matching rule wins (VM_HUGEPAGE's force_thp_readahead and
 * VM_SEQ_READ are not modelled):
 * - VM_RAND_READ on a non-exec VMA (MADV_RANDOM), or ra_pages == 0: no
 *   readahead, no drop;
 * - mmap_miss (+1, capped at MMAP_LOTSAMISS * 10) above MMAP_LOTSAMISS: no
 *   readahead, no drop;
 * - VM_EXEC: read [pgoff, pgoff + ra_pages) clamped to the VMA, no async
 *   part (exec_folio_order 0, x86);
 * - otherwise read-around: ra_pages centred on pgoff, marker ra_pages / 4
 *   before the end.
 * Sets the window (ra->start, size, async_size) and returns the number of
 * pages to read (clamped to EOF), or 0: no readahead, and the miss is read in
 * filemap_fault's page_not_uptodate, which is where those faults drop their
 * lock. With a window the caller drops the lock (maybe_unlock_mmap_for_io)
 * and submits it (page_cache_ra_order).
 */
function do_sync_mmap_readahead(vmf: VmFault): number {
  const vma = vmf.vma;
  const ra = vma.f_ra;
  const vm_flags = vma.vm_flags;
  if ((vm_flags & (VM_RAND_READ | VM_EXEC)) === VM_RAND_READ) return 0;
  if (ra.ra_pages === 0) return 0;
  let mmap_miss = ra.mmap_miss;
  if (mmap_miss < MMAP_LOTSAMISS * 10) ra.mmap_miss = ++mmap_miss;
  if (mmap_miss > MMAP_LOTSAMISS) {
    count_vm_event(VmEvent.MMAP_LOTSAMISS); // model-only: the thrash cut-off, not VM_RAND_READ or ra_pages 0
    return 0;
  }
  const eof = vma.pages; // i_size: the model's file is as long as its VMA
  if ((vm_flags & VM_EXEC) !== 0) {
    ra.start = vmf.pgoff;
    ra.size = Math.min(ra.ra_pages, eof - ra.start);
    ra.async_size = 0;
  } else { // mmap read-around
    ra.start = Math.max(0, vmf.pgoff - (ra.ra_pages >> 1));
    ra.size = ra.ra_pages;
    ra.async_size = ra.ra_pages >> 2;
  }
  return Math.min(ra.start + ra.size, eof) - ra.start;
}

/**
 * __filemap_get_folio(FGP_CREAT | FGP_FOR_MMAP) after a miss readahead did
 * not fill: a new folio added to the page cache !uptodate and, FGP_FOR_MMAP,
 * unlocked. Without a memory model nothing is charged.
 */
function filemap_create_folio(vma: VmAreaStruct, index: number): Folio {
  const folio = new Folio(vma.id, index);
  vma.cache.set(index, folio);
  vma.evicted.delete(index);
  return folio;
}

/**
 * As filemap_create_folio, with a memory model: the allocation and memcg
 * charge (and any reclaim they need) happen here, with the fault lock held
 * when `fpin` is not set. Another task may add the folio while this one
 * reclaims: that one is returned.
 */
function* filemap_charge_create_folio(vma: VmAreaStruct, index: number): KPath<Folio> {
  yield* filemap_charge_and_add(vma.mm, vma, index, 1, false);
  return vma.cache.get(index) ?? filemap_create_folio(vma, index);
}

/**
 * filemap_fault's decisions, each a plain call that both forms of the fault
 * make in the same order: the generator below (every engine but the
 * simulator's fast path, and the checker with its scheduling points and frame
 * checkpoints) and the simulator's stages (filemap_stages.ts), which yield the
 * same effects without a generator frame. Between two of them a form yields,
 * or runs a path that may (readahead with a memory model, a sleep on the lock).
 */

/**
 * A page-cache hit: on a first attempt, do_async_mmap_readahead's answer
 * (true: a PG_readahead folio; the caller drops the fault lock,
 * maybe_unlock_mmap_for_io, and runs page_cache_async_ra).
 */
export function filemap_fault_async_ra(vmf: VmFault, folio: Folio): boolean {
  return (vmf.flags & FAULT_FLAG_TRIED) === 0 && do_async_mmap_readahead(vmf, folio);
}

/**
 * A page-cache miss (the caller's ret becomes VM_FAULT_MAJOR): PGMAJFAULT
 * (and, after an earlier attempt read the page, the model's RETRY_IO_MISS
 * counts), then do_sync_mmap_readahead: the window's pages to read (the caller
 * drops the fault lock and reads them), or 0.
 */
export function filemap_fault_miss(vmf: VmFault): number {
  count_vm_event(VmEvent.PGMAJFAULT);
  if ((vmf.flags & FAULT_FLAG_TRIED) !== 0) { // an earlier attempt read it; reclaim took it since
    count_vm_event(VmEvent.RETRY_IO_MISS);
    if ((vmf.flags & FAULT_FLAG_VMA_LOCK) !== 0) count_vm_event(VmEvent.RETRY_IO_MISS_VMA);
  }
  return do_sync_mmap_readahead(vmf);
}

/** The window's PG_readahead page (`start + size - async_size`), or -1 without an async part; read after the fault lock is dropped. */
function ra_marker(vma: VmAreaStruct): number {
  const ra = vma.f_ra;
  return ra.async_size > 0 ? ra.start + ra.size - ra.async_size : -1;
}

/**
 * do_sync_mmap_readahead's read of its window of `nr` pages without a memory
 * model: page_cache_ra_order at the faulting page, PG_readahead when it is
 * the window's marker. Returns the read's SUBMIT (`into` rewritten when given).
 */
export function do_sync_mmap_readahead_read(vmf: VmFault, nr: number, into: MutableSubmit | null): SubmitEffect {
  return page_cache_ra_order(vmf.vma, vmf.pgoff, nr, vmf.pgoff === ra_marker(vmf.vma), into);
}

/** retry_find without a memory model: the page-cache folio, or a new one (filemap_create_folio). */
export function filemap_retry_find(vmf: VmFault, keep: boolean): Folio {
  return filemap_get_folio(vmf.vma, vmf.pgoff, keep) ?? filemap_create_folio(vmf.vma, vmf.pgoff);
}

/**
 * lock_folio_maybe_drop_mmap after a failed trylock, when it is
 * __folio_lock_killable alone: the fault lock is already dropped (`fpin`, a
 * miss's readahead) and the fault is killable. The caller then sleeps in
 * place, without either generator: folio_lock_killable_queue, the BLOCK,
 * folio_lock_killable_woken, and lock_folio_killable_ret of the result.
 */
export function lock_folio_killable_only(vmf: VmFault, fpin: boolean): boolean {
  return fpin && (vmf.flags & FAULT_FLAG_KILLABLE) !== 0;
}
/** lock_folio_maybe_drop_mmap's answer from __folio_lock_killable's when the lock was already dropped: -1 (fatal signal) or 1. */
export function lock_folio_killable_ret(r: number): number {
  return r < 0 ? -1 : 1;
}

/** out_retry: folio_put, and ret | VM_FAULT_RETRY (the fault lock is released). */
export function filemap_out_retry(folio: Folio, ret: number): number {
  folio.refcount--;
  return ret | VM_FAULT_RETRY;
}

/**
 * page_not_uptodate, once maybe_unlock_mmap_for_io answered `fpin`: the
 * model's counts, then filemap_read_folio's ->read_folio on the folio locked
 * by us. Returns the read's SUBMIT (`into` rewritten when given); the caller
 * yields it (or, on a synchronous device, runs submit_read_bio) and waits in
 * folio_wait_locked_killable, then page_not_uptodate_done.
 */
export function page_not_uptodate_read(folio: Folio, fpin: boolean, into: MutableSubmit | null): SubmitEffect {
  if (!fpin) count_vm_event(VmEvent.FAULT_HOLD_WAIT);
  count_vm_event(VmEvent.PAGE_NOT_UPTODATE_READ);
  count_vm_event(VmEvent.IO_READ);
  return folio_submit_read(folio, into); // ->read_folio
}
/**
 * page_not_uptodate after filemap_read_folio's wait: folio_put; out_retry
 * when the fault lock was dropped, even if the read failed (returned); else
 * -1: `goto retry_find`.
 */
export function page_not_uptodate_done(folio: Folio, ret: number, fpin: boolean): number {
  folio.refcount--;
  return fpin ? ret | VM_FAULT_RETRY : -1;
}

/**
 * The folio is locked by us and uptodate. With the fault lock held: a
 * keep_locked fault (do_shared_fault) gets VM_FAULT_LOCKED and vmf.folio
 * (returned); else finish_fault maps the page. Returns -1 when the caller
 * goes on to filemap_fault_unlock (after its scheduling point).
 */
export function filemap_fault_finish(vmf: VmFault, folio: Folio, ret: number, fpin: boolean, keep: boolean): number {
  const vma = vmf.vma;
  if (!fpin && keep) { // return VM_FAULT_LOCKED: the caller (do_shared_fault) finishes the fault
    vmf.folio = folio;
    return ret | VM_FAULT_LOCKED;
  }
  if (!fpin && pte_offset_map_lock(vma.mm, vmf.pt, vmf.address, true)) { // finish_fault: pmd_none -> pte_alloc // finish_fault -> set_pte_range (model-only hook); do_cow_fault maps a private copy
    if (vma.mm.memory !== null) folio_mapped_young(vma.mm.memory, vma, vmf.pgoff);
    const cow = (vmf.flags & FAULT_FLAG_WRITE) !== 0 && !vma.vm_shared;
    if (cow) { // do_cow_fault: a private, writable anonymous copy (model-only counts, fork's costs)
      vma.anon_ptes_mapped++;
      vma.anon_ptes_writable++;
    }
    if (hooks_on) hooks.set_pte_at(vma, vmf.pgoff, cow ? 'anon' : 'file');
  }
  return -1;
}
/**
 * filemap_fault's end: folio_unlock (fpin: "we dropped the lock at some
 * point"; else finish_fault mapped it), folio_put, and ret; when the lock was
 * dropped, out_retry's VM_FAULT_RETRY, with patch 1/5's VM_FAULT_RETRY_VMA
 * when it was the VMA lock and the strategy retries there.
 */
export function filemap_fault_unlock(vmf: VmFault, folio: Folio, ret: number, fpin: boolean): number {
  folio_unlock(folio);
  folio.refcount--;
  if (fpin) {
    const toVma = vmf.vma.mm.fault.retry_vma_after_io && (vmf.flags & FAULT_FLAG_VMA_LOCK) !== 0;
    return ret | VM_FAULT_RETRY | (toVma ? VM_FAULT_RETRY_VMA : 0);
  }
  return ret;
}

/**
 * filemap_fault (mm/filemap.c, v7.0; docs in ../shared/kernel/memory-and-vma.md
 * §A.2). Hit: do_async_mmap_readahead on a first attempt. Miss (MAJOR):
 * do_sync_mmap_readahead, then retry_find. Then lock the folio
 * (lock_folio_maybe_drop_mmap); a !uptodate folio goes to page_not_uptodate,
 * which drops the lock on a first attempt and reads it with
 * filemap_read_folio, then returns a plain VM_FAULT_RETRY (out_retry: patch
 * 1/5 does not add VM_FAULT_RETRY_VMA there, so retry-vma retries those under
 * mmap_lock). Under FAULT_FLAG_TRIED nothing drops: the read is submitted and
 * waited for holding the fault lock, then retry_find. If the lock was dropped
 * anywhere else (`fpin`), VM_FAULT_RETRY, with patch 1/5's
 * VM_FAULT_RETRY_VMA when it was the VMA lock. The simulator's fast path runs
 * the same steps as stages (filemap_stages.ts) when do_read_fault calls it.
 */
export function* filemap_fault(vmf: VmFault): KPath<number> {
  const vma = vmf.vma;
  let ret = 0;
  let fpin = false;
  const keep = vmf.keep_locked === true;
  // Frame checkpoint at filemap_fault's entry: what handle_mm_fault and fault-around (do_fault_around ->
  // filemap_map_pages: the page-cache slot, the folio's flags, mmap_miss) read is dead; live are vmf's
  // fields, ret (0), fpin (false) and keep.
  if (hooks_on) filemap_ra_frame('filemap_entry', vmf, ret, fpin, keep, null, -1);
  if (sched_points) yield PT.filemap_get_folio;
  let folio = filemap_get_folio(vma, vmf.pgoff, keep);
  if (folio !== null) {
    if (filemap_fault_async_ra(vmf, folio)) {
      if (hooks_on) filemap_ra_frame('filemap_async_ra', vmf, ret, fpin, keep, folio, -1); // do_async_mmap_readahead: before maybe_unlock_mmap_for_io
      const u = maybe_unlock_mmap_for_io(vmf, fpin);
      fpin = typeof u === 'boolean' ? u : yield* u;
      yield* page_cache_async_ra(vma, folio, vmf.pgoff);
    }
  } else {
    // Page-cache miss: major fault.
    ret = VM_FAULT_MAJOR;
    const nr = filemap_fault_miss(vmf);
    if (nr > 0) {
      if (hooks_on) filemap_ra_frame('filemap_sync_ra', vmf, ret, fpin, keep, null, nr); // do_sync_mmap_readahead: before maybe_unlock_mmap_for_io
      const u = maybe_unlock_mmap_for_io(vmf, fpin);
      fpin = typeof u === 'boolean' ? u : yield* u;
      if (vma.mm.memory !== null) yield* page_cache_ra_window(vma, vma.f_ra.start, nr, ra_marker(vma));
      else {
        const bio = do_sync_mmap_readahead_read(vmf, nr, null);
        if (hooks_on) filemap_frame('filemap_ra', vmf, ret, fpin, keep, null); // nr, ra and mark are dead once the read is submitted
        // read_pages -> submit_bio: on a synchronous device (zram) the window is read, uptodate and
        // unlocked when it returns; retry_find then locks it at once, and fpin still ends the fault in
        // VM_FAULT_RETRY (filemap_fault: `if (fpin) { folio_unlock(folio); goto out_retry; }`).
        if (vma.mm.readSynchronous) yield* submit_read_bio(bio, true);
        else yield bio;
      }
    }
    folio = vma.mm.memory === null ? filemap_retry_find(vmf, keep) : // retry_find
      filemap_get_folio(vma, vmf.pgoff, keep) ?? (yield* filemap_charge_create_folio(vma, vmf.pgoff));
  }
  for (;;) {
    folio.refcount++;
    if (hooks_on) filemap_frame('filemap_lock', vmf, ret, fpin, keep, folio);
    if (sched_points) yield PT.folio_trylock;
    if (!folio_trylock(folio)) {
      let r: number;
      if (lock_folio_killable_only(vmf, fpin)) { // __folio_lock_killable made here, without either generator
        r = folio_lock_killable_queue(folio);
        if (r === FOLIO_QUEUED) {
          yield folio.blockLockKillable;
          r = folio_lock_killable_woken(folio);
        }
        r = lock_folio_killable_ret(r);
      } else {
        r = yield* lock_folio_maybe_drop_mmap(vmf, folio, fpin);
      }
      if (r < 0) return filemap_out_retry(folio, ret); // interrupted by a fatal signal, fault lock released
      fpin = r === 1;
    }
    if (folio.uptodate) {
      if (hooks_on) filemap_frame('filemap_locked', vmf, ret, fpin, keep, folio); // the folio is locked by us and uptodate
      break;
    }
    // page_not_uptodate: filemap_read_folio with the folio locked by us.
    const u = maybe_unlock_mmap_for_io(vmf, fpin);
    fpin = typeof u === 'boolean' ? u : yield* u;
    const bio = page_not_uptodate_read(folio, fpin, null);
    // filemap_read_folio: ->read_folio submits the read, then folio_wait_locked_killable. On a
    // synchronous device (zram: zram_submit_bio completes the bio in this task) the folio is
    // uptodate and unlocked when ->read_folio returns, so the wait returns at once: no sleep, no
    // wake-up. The fault lock was dropped above all the same (maybe_unlock_mmap_for_io does not
    // look at the device) and the fault still returns VM_FAULT_RETRY (`if (fpin) goto out_retry`).
    if (vma.mm.readSynchronous) yield* submit_read_bio(bio, true);
    else yield bio;
    yield* folio_wait_locked_killable(folio); // the read's completion unlocks it
    const done = page_not_uptodate_done(folio, ret, fpin);
    if (done >= 0) return done; // goto out_retry, even if the read failed
    if (sched_points) yield PT.filemap_get_folio;
    folio = vma.mm.memory === null ? filemap_retry_find(vmf, keep) : // goto retry_find
      filemap_get_folio(vma, vmf.pgoff, keep) ?? (yield* filemap_charge_create_folio(vma, vmf.pgoff));
  }
  const done = filemap_fault_finish(vmf, folio, ret, fpin, keep);
  if (done >= 0) return done;
  if (sched_points) yield PT.folio_unlock;
  return filemap_fault_unlock(vmf, folio, ret, fpin);
}
