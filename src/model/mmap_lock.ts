/**
 * mmap_lock wrappers (include/linux/mmap_lock.h, mm/mmap_lock.c); the
 * per-VMA lock is in vma_lock.ts.
 *
 * Operations that can sleep are kernel paths (generators: `yield*` them).
 * Operations that never sleep (unlocks, trylocks, lock_vma_under_rcu) are
 * plain functions; a caller that touches shared state puts a scheduling point
 * before them, `if (sched_points) yield PT.x`, so the checker can interleave
 * other tasks right there.
 */
import { killable, point, type KPath, type PointEffect } from './effects.js';
import type { MmStruct } from './mm_types.js';
import { hooks, hooks_on, opaque_call } from './custom.js';
import { current, fatal_signal_pending, sched_points } from './sched.js';
import { EINTR } from './signal.js';
import { tp } from './trace.js';
import { lock_line } from './lock_line.js';

/** Scheduling points, one per kernel function, named as counterexamples print them. */
export const PT = {
  mmap_read_lock: point('mmap_read_lock(mm)'),
  mmap_read_trylock: point('mmap_read_trylock(mm)'),
  mmap_read_unlock: point('mmap_read_unlock(mm)'),
  mmap_write_lock: point('mmap_write_lock(mm)'),
  mmap_write_unlock: point('mmap_write_unlock(mm)'),
  mmap_write_downgrade: point('mmap_write_downgrade(mm)'),
  lock_vma_under_rcu: point('lock_vma_under_rcu(mm, addr)'),
  vma_start_read: point('vma_start_read(mm, vma)'),
  mas_walk: point('lock_vma_under_rcu: retry: mas_walk(&mas)'),
  vma_end_read: point('vma_end_read(vma)'),
  vma_refcount_put: point('vma_refcount_put(vma)'),
  vma_refcount_put_wake: point('vma_refcount_put: rcuwait_wake_up(&mm->vma_writer_wait)'),
  vma_start_write: point('vma_start_write(vma)'),
  vma_mark_detached: point('vma_mark_detached(vma)'),
  folio_trylock: point('folio_trylock(folio)'),
  folio_unlock: point('folio_unlock(folio)'),
  filemap_get_folio: point('filemap_get_folio(mapping, index)'),
  swap_cache_get_folio: point('swap_cache_get_folio(entry)'),
  find_vma: point('find_vma(mm, addr)'),
  flush_tlb_mm: point('flush_tlb_mm(oldmm)'),
  release_fault_lock: point('release_fault_lock(vmf)'),
} satisfies Record<string, PointEffect>;

/** mmap_read_lock: uninterruptible (see mmap_read_lock_killable). */
export function* mmap_read_lock(mm: MmStruct): KPath {
  if (sched_points) yield PT.mmap_read_lock;
  if (hooks_on) hooks.lock_acquire('mmap_lock', mm); // model-only hook (lockdep rwsem_acquire_read)
  const sem = mm.mmap_lock;
  lock_line(sem); // rwsem_read_trylock: atomic_long_add_return_acquire, taken or not
  if (!sem.tryRead(current) && !sem.readSteal(current)) { // rwsem_down_read_slowpath: lock stealing (lockSteal only), else queue
    sem.enqueue(current, false);
    yield sem.blockRead; // rwsem_down_read_slowpath: woken holding the lock
  }
  tp.mmap_lock_acquire_returned(mm, false, true);
}

/**
 * mmap_read_lock_killable: as mmap_read_lock, but a fatal signal ends the
 * wait (rwsem_down_read_slowpath: signal_pending_state before each sleep;
 * out_nolock removes the waiter). Returns 0, or -EINTR without the lock.
 */
export function* mmap_read_lock_killable(mm: MmStruct): KPath<number> {
  if (sched_points) yield PT.mmap_read_lock;
  if (hooks_on) hooks.lock_acquire('mmap_lock', mm); // model-only hook
  const sem = mm.mmap_lock;
  lock_line(sem); // rwsem_read_trylock: atomic_long_add_return_acquire, taken or not
  if (!sem.tryRead(current) && !sem.readSteal(current)) { // rwsem_down_read_slowpath: lock stealing (lockSteal only), else queue
    if (fatal_signal_pending(current)) {
      tp.mmap_lock_acquire_returned(mm, false, false);
      return -EINTR;
    }
    sem.enqueue(current, false);
    yield killable(sem.blockRead);
    if (fatal_signal_pending(current) && !sem.readers.includes(current)) {
      tp.mmap_lock_acquire_returned(mm, false, false);
      return -EINTR;
    }
  }
  tp.mmap_lock_acquire_returned(mm, false, true);
  return 0;
}

/** mmap_read_trylock: fails whenever a writer holds or waits (rule R3). */
export function mmap_read_trylock(mm: MmStruct): boolean {
  const ok = mm.mmap_lock.tryRead(current);
  if (ok) lock_line(mm.mmap_lock); // __down_read_trylock: the cmpxchg, tried only with no writer bit set
  tp.mmap_lock_acquire_returned(mm, false, ok);
  return ok;
}

/** mmap_read_unlock */
export function mmap_read_unlock(mm: MmStruct): void {
  tp.mmap_lock_released(mm, false);
  lock_line(mm.mmap_lock); // __up_read: atomic_long_add_return_release
  mm.mmap_lock.releaseRead(current);
}

/** mmap_write_lock (uninterruptible): take the rwsem, then start the mm_lock_seq write section. */
export function* mmap_write_lock(mm: MmStruct): KPath {
  if (sched_points) yield PT.mmap_write_lock;
  if (hooks_on) hooks.lock_acquire('mmap_lock', mm); // model-only hook (lockdep rwsem_acquire)
  const sem = mm.mmap_lock;
  lock_line(sem); // rwsem_write_trylock: atomic_long_try_cmpxchg_acquire, taken or not
  if (!sem.tryWrite(current)) {
    sem.enqueue(current, true);
    yield sem.blockWrite;
  }
  tp.mmap_lock_acquire_returned(mm, true, true);
  if (hooks_on) opaque_call(() => mm_lock_seqcount_begin(mm)); // model-only: the value read is not the task's
  else mm_lock_seqcount_begin(mm);
}

/**
 * mmap_write_lock_killable: as mmap_write_lock, but a fatal signal ends the
 * wait (rwsem_down_write_slowpath out_nolock). Returns 0, or -EINTR.
 */
export function* mmap_write_lock_killable(mm: MmStruct): KPath<number> {
  if (sched_points) yield PT.mmap_write_lock;
  if (hooks_on) hooks.lock_acquire('mmap_lock', mm); // model-only hook
  const sem = mm.mmap_lock;
  lock_line(sem); // rwsem_write_trylock: atomic_long_try_cmpxchg_acquire, taken or not
  if (!sem.tryWrite(current)) {
    if (fatal_signal_pending(current)) {
      tp.mmap_lock_acquire_returned(mm, true, false);
      return -EINTR;
    }
    sem.enqueue(current, true);
    yield killable(sem.blockWrite);
    if (fatal_signal_pending(current) && sem.writer !== current) {
      tp.mmap_lock_acquire_returned(mm, true, false);
      return -EINTR;
    }
  }
  tp.mmap_lock_acquire_returned(mm, true, true);
  if (hooks_on) opaque_call(() => mm_lock_seqcount_begin(mm)); // model-only
  else mm_lock_seqcount_begin(mm);
  return 0;
}

/** mm_lock_seqcount_begin: the write section's sequence becomes odd. */
function mm_lock_seqcount_begin(mm: MmStruct): void {
  mm.mm_lock_seq++;
}

/** vma_end_write_all: every VMA write lock of this mm is released at once. */
function vma_end_write_all(mm: MmStruct): void {
  mm.mm_lock_seq++; // mm_lock_seqcount_end: even; every vm_lock_seq is now stale
}

/** mmap_write_unlock */
export function mmap_write_unlock(mm: MmStruct): void {
  tp.mmap_lock_released(mm, true);
  if (hooks_on) opaque_call(() => vma_end_write_all(mm)); // model-only
  else vma_end_write_all(mm);
  lock_line(mm.mmap_lock); // __up_write: atomic_long_fetch_add_release
  mm.mmap_lock.releaseWrite(current);
}

/** mmap_write_downgrade */
export function mmap_write_downgrade(mm: MmStruct): void {
  tp.mmap_lock_released(mm, true);
  if (hooks_on) opaque_call(() => vma_end_write_all(mm)); // model-only
  else vma_end_write_all(mm);
  lock_line(mm.mmap_lock); // downgrade_write: atomic_long_fetch_add_release
  mm.mmap_lock.downgrade(current);
  tp.mmap_lock_acquire_returned(mm, false, true);
}

/**
 * mmap_lock_is_contended (include/linux/mmap_lock.h -> rwsem_is_contended):
 * someone is queued on mmap_lock.
 */
export function mmap_lock_is_contended(mm: MmStruct): boolean {
  return mm.mmap_lock.nrQueued > 0;
}
