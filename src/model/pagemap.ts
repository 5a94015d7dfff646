/**
 * Folio lock primitives (include/linux/pagemap.h, mm/filemap.c) and I/O
 * completion (folio_end_read). folio_trylock/folio_unlock never sleep and are
 * plain functions; the sleeping ones are kernel paths.
 */
import { cpuLaw, LawName, submit, type KPath, type MutableSubmit, type SubmitEffect } from './effects.js';
import { Folio } from './mm_types.js';
import { current, fatal_signal_pending, wake_up_process } from './sched.js';
import { EINTR } from './signal.js';

/** folio_trylock */
export function folio_trylock(folio: Folio): boolean {
  return folio.trylock(current);
}

/** __folio_lock / __folio_lock_killable: sleep until handed the lock. */
export function* __folio_lock(folio: Folio): KPath {
  if (folio.trylock(current)) return;
  folio.enqueue(current, true);
  yield folio.blockLock; // folio_wait_bit_common(EXCLUSIVE): woken owning PG_locked
}

/** folio_wait_locked / folio_wait_locked_killable: sleep until PG_locked clears. */
export function* folio_wait_locked(folio: Folio): KPath {
  if (!folio.locked) return;
  folio.enqueue(current, false);
  yield folio.blockWaitLocked;
}

/**
 * __folio_lock_killable: as __folio_lock, but a fatal signal ends the sleep
 * unless the lock was already handed over (folio_wait_bit_common: a waiter
 * woken with WQ_FLAG_DONE owns the bit). Returns 0 (locked) or -EINTR.
 */
export function* __folio_lock_killable(folio: Folio): KPath<number> {
  const r = folio_lock_killable_queue(folio);
  if (r !== FOLIO_QUEUED) return r;
  yield folio.blockLockKillable;
  return folio_lock_killable_woken(folio);
}

/** folio_lock_killable_queue's answer: the task is queued and yields `folio.blockLockKillable` next. */
export const FOLIO_QUEUED = 1;
/**
 * __folio_lock_killable up to its sleep, as a plain call: 0 (locked), -EINTR
 * (a fatal signal is pending), or FOLIO_QUEUED: queued for the lock; the
 * caller yields `folio.blockLockKillable` and, woken, returns
 * folio_lock_killable_woken(folio). For a path that inlines the sleep
 * instead of running __folio_lock_killable's generator (filemap_fault).
 */
export function folio_lock_killable_queue(folio: Folio): number {
  if (folio.trylock(current)) return 0;
  if (fatal_signal_pending(current)) return -EINTR;
  folio.enqueue(current, true);
  return FOLIO_QUEUED;
}
/** __folio_lock_killable after its sleep: 0 if handed the lock, -EINTR if a fatal signal ended the sleep first. */
export function folio_lock_killable_woken(folio: Folio): number {
  return fatal_signal_pending(current) && folio.owner !== current ? -EINTR : 0;
}

/** folio_wait_locked_killable: 0 once PG_locked clears, or -EINTR. */
export function* folio_wait_locked_killable(folio: Folio): KPath<number> {
  const r = folio_wait_locked_killable_queue(folio);
  if (r !== FOLIO_QUEUED) return r;
  yield folio.blockWaitLockedKillable;
  return 0; // woken by the unlock or by the signal: the caller returns VM_FAULT_RETRY either way
}
/**
 * folio_wait_locked_killable up to its sleep, as a plain call: 0 (PG_locked
 * is clear), -EINTR (a fatal signal is pending), or FOLIO_QUEUED: queued; the
 * caller yields `folio.blockWaitLockedKillable` and, woken, has 0 (by the
 * unlock or by the signal: the caller returns VM_FAULT_RETRY either way). For
 * a path that makes the sleep itself (filemap_stages.ts).
 */
export function folio_wait_locked_killable_queue(folio: Folio): number {
  if (!folio.locked) return 0;
  if (fatal_signal_pending(current)) return -EINTR;
  folio.enqueue(current, false);
  return FOLIO_QUEUED;
}

/** folio_unlock */
export function folio_unlock(folio: Folio): void {
  folio.unlock();
}

/** folio_end_read(folio, true): the read bio completed; wakes lock waiters. */
export function folio_end_read(folio: Folio): void {
  folio.uptodate = true;
  folio.unlock();
}

/**
 * folio_end_writeback (mm/filemap.c): clear PG_writeback and wake every
 * folio_wait_writeback sleeper (folio_wake(folio, PG_writeback)).
 */
export function folio_end_writeback(folio: Folio): void {
  folio.writeback = false;
  const q = folio.wb.waiters;
  if (q.length === 0) return;
  const woken = q.splice(0);
  for (const t of woken) wake_up_process(t);
}

/** folio_end_writeback after a holder waited for writeback with PG_locked held. */
export function folio_end_writeback_and_unlock(folio: Folio): void {
  folio_end_writeback(folio);
  folio.unlock();
}

/**
 * folio_wait_writeback (mm/page-writeback.c): sleep, uninterruptibly, until
 * PG_writeback clears (the kernel loops while it is set again; the model's
 * writeback never restarts during the wait).
 */
export function* folio_wait_writeback(folio: Folio): KPath {
  if (!folio.writeback) return;
  const wb = folio.wb;
  wb.waiters.push(current);
  yield wb.blockWait;
}

/** Lock holder other than a fault (reclaim, migration, a writer) lets go. */
export function folio_holder_unlock(folio: Folio): void {
  folio.unlock();
}

/**
 * A new folio, locked for read I/O submitted by the current task
 * (filemap_alloc_folio + filemap_add_folio + read_pages / swap_read_folio).
 * Returns the submit effect the caller yields (`into` rewritten when given).
 */
export function folio_alloc_locked_for_io(vmaId: number, index: number, law: LawName, swapcache: boolean, nr = 1, into: MutableSubmit | null = null): SubmitEffect {
  const folio = new Folio(vmaId, index);
  folio.locked = true;
  folio.owner = 'io';
  folio.ioOwner = current;
  folio.swapcache = swapcache;
  return submit(law, folio, folio_end_read, current, nr, into);
}

/**
 * ->read_folio on a folio the current task has locked (filemap_read_folio):
 * PG_locked passes to the read I/O, whose completion (folio_end_read) sets
 * uptodate and unlocks. Returns the submit effect the caller yields (`into`
 * rewritten when given: effects.ts mutableSubmit).
 */
export function folio_submit_read(folio: Folio, into: MutableSubmit | null = null): SubmitEffect {
  folio.owner = 'io';
  folio.ioOwner = current;
  return submit(LawName.read, folio, folio_end_read, current, 1, into);
}

/**
 * submit_bio (block/blk-core.c) of a file read `bio` the current task built
 * (filemap_read_folio's ->read_folio, read_pages' ->readahead). On a device
 * that is BLK_FEAT_SYNCHRONOUS ("always completes in submit context":
 * bdev_synchronous(), zram) the driver runs it before submit_bio returns:
 * __submit_bio -> zram_submit_bio -> zram_bio_read (decompress each page)
 * -> bio_endio -> the read's end_io (folio_end_read: uptodate, PG_locked
 * cleared, lock waiters woken), so the device time is CPU of this task and
 * nobody wakes it. Any other device (UFS, NVMe, loop) completes it later by
 * interrupt or worker: the SUBMIT effect, the task going on (and, if it
 * waits, sleeping on the folio lock until the completion wakes it).
 */
export function* submit_read_bio(bio: SubmitEffect, synchronous: boolean): KPath {
  if (!synchronous) {
    yield bio;
    return;
  }
  yield cpuLaw(bio.law, bio.n); // zram_bio_read: the device's read law as this task's CPU
  bio.end_io(bio.folio); // bio_endio in the submitter
}
