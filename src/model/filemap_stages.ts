/**
 * filemap_fault (filemap.ts) as stages of the simulator's resumable fault
 * (sim/user-fault.ts), without a generator frame per fault: the same
 * decisions (filemap.ts's shared calls, named after the kernel's), the same
 * effects yielded in the same order, at the same simulated times.
 */
import { mutableCall, mutableSubmit, type CallEffect, type Effect, type KPath, type MutableSubmit } from './effects.js';
import type { VmFault } from './fault_types.js';
import {
  do_sync_mmap_readahead_read, filemap_fault_async_ra, filemap_fault_finish, filemap_fault_miss, filemap_fault_unlock, filemap_get_folio,
  filemap_out_retry, filemap_retry_find, lock_folio_killable_only, lock_folio_killable_ret, lock_folio_maybe_drop_mmap, maybe_unlock_mmap_for_io,
  page_not_uptodate_done, page_not_uptodate_read,
} from './filemap.js';
import { VM_FAULT_MAJOR, type Folio } from './mm_types.js';
import {
  FOLIO_QUEUED, folio_lock_killable_queue, folio_lock_killable_woken, folio_trylock, folio_wait_locked_killable_queue, submit_read_bio,
} from './pagemap.js';
import { page_cache_async_ra } from './readahead.js';
import { hooks_on } from './custom.js';
import { sched_points } from './sched.js';

/** Where resume() goes on (the stage the last yield left). */
const S_IDLE = 0;
/** page_cache_async_ra (a CALL) returned: the lock loop's head. */
const S_ASYNC_RA = 1;
/** The miss's readahead was submitted (its SUBMIT, or submit_read_bio as a CALL): retry_find. */
const S_RA_SUBMITTED = 2;
/** Woken in __folio_lock_killable's sleep (made in place): its result. */
const S_LOCK_WOKEN = 3;
/** lock_folio_maybe_drop_mmap (a CALL) returned its answer. */
const S_LOCK_CALLED = 4;
/** page_not_uptodate's read was submitted: folio_wait_locked_killable. */
const S_READ_SUBMITTED = 5;
/** Woken in folio_wait_locked_killable's sleep: page_not_uptodate_done. */
const S_READ_WOKEN = 6;

/**
 * One thread's filemap_fault, resumable: begin(vmf) runs it from its start
 * up to its first yield, resume(v) from there to the next; each returns the
 * effect to yield or, at the end, filemap_fault's VM_FAULT bits. Its locals
 * (the generator's) are fields. A path that may yield several times and is
 * rare on a fault's way (page_cache_async_ra, lock_folio_maybe_drop_mmap
 * while the fault lock is held, submit_read_bio on a synchronous device) is
 * returned as a CALL, whose result comes back to resume().
 *
 * Only for an engine without scheduling points or model hooks (the
 * simulator's fast path: fault.ts fault_fast_path_ok) and a fault without a
 * memory model (the fast path's condition too): the checker keeps
 * filemap_fault's generator, whose points and frame checkpoints fall between
 * the same calls. The SUBMIT record is this object's own, rewritten before
 * each yield (the simulator reads it at once).
 */
export class FilemapFaultStages {
  private stage = S_IDLE;
  private vmf: VmFault | null = null;
  private folio: Folio | null = null;
  private ret = 0;
  private fpin = false;
  private keep = false;
  private readonly bio: MutableSubmit = mutableSubmit();
  private readonly call = mutableCall();

  /** filemap_fault(vmf) from its start: its VM_FAULT bits, or the effect to yield (then resume()). */
  begin(vmf: VmFault): number | Effect {
    if (sched_points || hooks_on || vmf.vma.mm.memory !== null) throw new Error('FilemapFaultStages: only without scheduling points, model hooks or a memory model');
    this.vmf = vmf;
    this.ret = 0;
    this.fpin = false;
    const keep = this.keep = vmf.keep_locked === true;
    const vma = vmf.vma;
    const folio = filemap_get_folio(vma, vmf.pgoff, keep);
    if (folio !== null) {
      this.folio = folio;
      if (filemap_fault_async_ra(vmf, folio)) {
        this.fpin = maybe_unlock(vmf, false);
        return this.run(page_cache_async_ra(vma, folio, vmf.pgoff), S_ASYNC_RA);
      }
      return this.lock();
    }
    // Page-cache miss: major fault.
    this.ret = VM_FAULT_MAJOR;
    const nr = filemap_fault_miss(vmf);
    if (nr > 0) {
      this.fpin = maybe_unlock(vmf, false);
      const bio = do_sync_mmap_readahead_read(vmf, nr, this.bio);
      if (vma.mm.readSynchronous) return this.run(submit_read_bio(bio, true), S_RA_SUBMITTED);
      this.stage = S_RA_SUBMITTED;
      return bio;
    }
    return this.retryFind();
  }

  /** Go on after the last yield, `v` being what it returned (a CALL's result). */
  resume(v: unknown): number | Effect {
    switch (this.stage) {
      case S_ASYNC_RA:
        return this.lock();
      case S_RA_SUBMITTED:
        return this.retryFind();
      case S_LOCK_WOKEN:
        return this.locked(lock_folio_killable_ret(folio_lock_killable_woken(this.folio!)));
      case S_LOCK_CALLED:
        return this.locked(v as number);
      case S_READ_SUBMITTED:
        return this.waitRead();
      case S_READ_WOKEN:
        return this.readDone();
      default:
        throw new Error(`FilemapFaultStages.resume: no fault in progress (stage ${this.stage})`);
    }
  }

  /** The path `path` as a CALL, resume() going on at `next` with its result. */
  private run(path: KPath<unknown>, next: number): CallEffect {
    this.stage = next;
    this.call.path = path;
    return this.call;
  }

  /** retry_find (no memory model): the folio, then the lock loop. */
  private retryFind(): number | Effect {
    this.folio = filemap_retry_find(this.vmf!, this.keep);
    return this.lock();
  }

  /** The lock loop's head: folio_get, folio_trylock, else lock_folio_maybe_drop_mmap. */
  private lock(): number | Effect {
    const folio = this.folio!, vmf = this.vmf!;
    folio.refcount++;
    if (folio_trylock(folio)) return this.uptodate();
    if (lock_folio_killable_only(vmf, this.fpin)) { // __folio_lock_killable made here
      const r = folio_lock_killable_queue(folio);
      if (r !== FOLIO_QUEUED) return this.locked(lock_folio_killable_ret(r));
      this.stage = S_LOCK_WOKEN;
      return folio.blockLockKillable;
    }
    return this.run(lock_folio_maybe_drop_mmap(vmf, folio, this.fpin), S_LOCK_CALLED);
  }

  /** lock_folio_maybe_drop_mmap answered `r`: out_retry (a fatal signal), or locked (`fpin` when it dropped the fault lock). */
  private locked(r: number): number | Effect {
    if (r < 0) return this.done(filemap_out_retry(this.folio!, this.ret));
    this.fpin = r === 1;
    return this.uptodate();
  }

  /** The folio is locked by us: finish the fault when it is uptodate, else page_not_uptodate's read. */
  private uptodate(): number | Effect {
    const folio = this.folio!, vmf = this.vmf!;
    if (folio.uptodate) {
      const r = filemap_fault_finish(vmf, folio, this.ret, this.fpin, this.keep);
      return this.done(r >= 0 ? r : filemap_fault_unlock(vmf, folio, this.ret, this.fpin));
    }
    const fpin = this.fpin = maybe_unlock(vmf, this.fpin);
    const bio = page_not_uptodate_read(folio, fpin, this.bio);
    if (vmf.vma.mm.readSynchronous) return this.run(submit_read_bio(bio, true), S_READ_SUBMITTED);
    this.stage = S_READ_SUBMITTED;
    return bio;
  }

  /** filemap_read_folio's folio_wait_locked_killable (made here): the sleep, or page_not_uptodate_done at once. */
  private waitRead(): number | Effect {
    const folio = this.folio!;
    if (folio_wait_locked_killable_queue(folio) !== FOLIO_QUEUED) return this.readDone();
    this.stage = S_READ_WOKEN;
    return folio.blockWaitLockedKillable;
  }

  /** page_not_uptodate_done: out_retry, or retry_find. */
  private readDone(): number | Effect {
    const r = page_not_uptodate_done(this.folio!, this.ret, this.fpin);
    return r >= 0 ? this.done(r) : this.retryFind();
  }

  /** filemap_fault returned `r`: nothing kept. */
  private done(r: number): number {
    this.stage = S_IDLE;
    this.vmf = null;
    this.folio = null;
    return r;
  }
}

/** maybe_unlock_mmap_for_io without scheduling points: its answer is a boolean (the lock released in place). */
function maybe_unlock(vmf: VmFault, fpin: boolean): boolean {
  const u = maybe_unlock_mmap_for_io(vmf, fpin);
  if (typeof u !== 'boolean') throw new Error('FilemapFaultStages: maybe_unlock_mmap_for_io returned a path (scheduling points are on)');
  return u;
}
