/**
 * Folio lock primitives (include/linux/pagemap.h, mm/filemap.c) and I/O
 * completion (folio_end_read). folio_trylock/folio_unlock never sleep and are
 * plain functions; the sleeping ones are kernel paths.
 */
import { EffectKind, LawName, type KPath, type SubmitEffect } from './effects.js';
import { Folio } from './mm_types.js';
import { current } from './sched.js';

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

/** folio_unlock */
export function folio_unlock(folio: Folio): void {
  folio.unlock();
}

/** folio_end_read(folio, true): the read bio completed; wakes lock waiters. */
export function folio_end_read(folio: Folio): void {
  folio.uptodate = true;
  folio.unlock();
}

/** folio_end_writeback after a holder waited for writeback with PG_locked held. */
export function folio_end_writeback_and_unlock(folio: Folio): void {
  folio.writeback = false;
  folio.unlock();
}

/** Lock holder other than a fault (reclaim, migration, a writer) lets go. */
export function folio_holder_unlock(folio: Folio): void {
  folio.unlock();
}

/**
 * A new folio, locked for read I/O submitted by the current task
 * (filemap_alloc_folio + filemap_add_folio + read_pages / swap_read_folio).
 * Returns the submit effect the caller yields.
 */
export function folio_alloc_locked_for_io(vmaId: number, index: number, law: LawName, swapcache: boolean): SubmitEffect {
  const folio = new Folio(vmaId, index);
  folio.locked = true;
  folio.owner = 'io';
  folio.ioOwner = current;
  folio.swapcache = swapcache;
  return { k: EffectKind.SUBMIT, law, folio, end_io: folio_end_read, owner: current };
}
