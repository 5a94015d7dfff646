/**
 * Killable sleeps (TASK_KILLABLE): the `_killable` lock variants a fatal
 * signal interrupts -- mmap_read_lock_killable / mmap_write_lock_killable
 * (kernel/locking/rwsem.c, signal_pending_state in the slow paths),
 * vma_start_write_killable (mm/mmap_lock.c, f5d90f9042c1), __folio_lock_killable
 * and folio_wait_locked_killable (mm/filemap.c folio_wait_bit_common).
 *
 * A killable sleep yields the resource's BLOCK effect in its killable form
 * (effects.ts `killable`); the engine's signal_wake_up (sched.ts) then takes the sleeper
 * off the resource's queue (`cancel_wait`) and wakes it, and the lock path,
 * finding it was not handed the lock, returns -EINTR.
 */
export const EINTR = 4;
