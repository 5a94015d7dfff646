/**
 * The cache line of a lock: every lock operation of the fault path is one
 * atomic read-modify-write on one line (docs/calibration.md "The lock's
 * cache line, measured"):
 *
 * - mmap_lock, `sem->count` (kernel/locking/rwsem.c): down_read ->
 *   rwsem_read_trylock (atomic_long_add_return_acquire, also when it then
 *   takes the slow path), down_read_trylock -> __down_read_trylock
 *   (atomic_long_try_cmpxchg_acquire, only when no writer bit is set: a
 *   failing trylock reads the line and writes nothing), up_read -> __up_read
 *   (atomic_long_add_return_release), down_write -> rwsem_write_trylock
 *   (atomic_long_try_cmpxchg_acquire: a `lock cmpxchg` takes the line
 *   exclusive whether or not it succeeds), up_write -> __up_write
 *   (atomic_long_fetch_add_release), downgrade_write
 *   (atomic_long_fetch_add_release);
 * - a VMA's `vm_refcnt` (mm/mmap_lock.c, include/linux/mmap_lock.h):
 *   vma_start_read -> __refcount_inc_not_zero_limited_acquire (a cmpxchg
 *   loop; none when the count is 0 or a writer's VMA_LOCK_OFFSET puts it
 *   over the limit: those fail on the read), vma_end_read ->
 *   vma_refcount_put -> __refcount_dec_and_test, vma_start_write ->
 *   __vma_enter_locked (refcount_add_not_zero(VMA_LOCK_OFFSET)) and
 *   __vma_exit_locked (refcount_sub_and_test).
 *
 * Reads of `mm->mm_lock_seq` and `vma->vm_lock_seq` (vma_start_read's
 * checks) write nothing: the line stays shared among the readers' CPUs
 * until a writer's mm_lock_seqcount_begin / vma_stamp_write, so they are
 * not charged (docs/fidelity.md "Lock operations").
 *
 * Each such lock keeps `line_cpu`, the CPU that wrote its line last (-1:
 * nobody yet). The model calls lock_line() at each RMW; the simulator's
 * hook (src/sim/lock-line.ts) charges the task Cost.lock_atomic, plus
 * Cost.cacheline_transfer when another CPU wrote the line last, and records
 * the task's CPU. Without the hook (the checker; the simulator with both
 * costs 0) nothing is charged and `line_cpu` stays -1 (check/track-plan.ts
 * IGNORED).
 */

/** A lock's cache line: the CPU that wrote it last, -1 before any. */
export interface LockLine {
  line_cpu: number;
}

let hook: ((line: LockLine) => void) | null = null;

/** The simulator installs its charge (src/sim/lock-line.ts), null to remove it. */
export function install_lock_line(fn: ((line: LockLine) => void) | null): void {
  hook = fn;
}

/** One atomic RMW on `line` by the current task. */
export function lock_line(line: LockLine): void {
  if (hook !== null) hook(line);
}
