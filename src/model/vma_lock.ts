/**
 * The per-VMA lock (include/linux/mmap_lock.h, mm/mmap_lock.c): vm_refcnt
 * readers (vma_start_read, lock_vma_under_rcu, vma_end_read) and writers
 * (vma_start_write, vma_mark_detached). The mmap_lock wrappers are in
 * mmap_lock.ts.
 *
 * As there: operations that can sleep are kernel paths (generators);
 * those that never sleep are plain functions, with a scheduling point
 * before them in the caller.
 */
import { killable, type KPath } from './effects.js';
import type { MmStruct, VmAreaStruct } from './mm_types.js';
import { fault_inject, hooks, hooks_on, nondet, opaque_call } from './custom.js';
import { current, fatal_signal_pending, sched_points, wake_up_process } from './sched.js';
import { EINTR } from './signal.js';
import { mmdrop, mmgrab } from './mm_lifetime.js';
import { count_vm_event, VmEvent } from './vmstat.js';
import { PT } from './mmap_lock.js';
import { lock_line } from './lock_line.js';

/** __is_vma_write_locked: vm_lock_seq == mm_lock_seq inside a write section. */
export function vma_is_write_locked(vma: VmAreaStruct): boolean {
  return (vma.mm.mm_lock_seq & 1) === 1 && vma.vm_lock_seq === vma.mm.mm_lock_seq;
}

/**
 * Result of vma_start_read: the kernel's NULL and -EAGAIN; UNSTABLE: NULL
 * after err_unstable (the VMA is another mm's); LOCKED_REF: NULL from the
 * vm_lock_seq re-check after the increment, the transient reference still
 * held (only with `transient`: the caller drops it a scheduling point later).
 */
export const VMA_READ_OK = 0, VMA_READ_FAIL = 1, VMA_READ_EAGAIN = 2, VMA_READ_UNSTABLE = 3, VMA_READ_LOCKED_REF = 4;

/**
 * The other mm whose VMA vma_start_read found (VMA_READ_UNSTABLE): the
 * caller still has to finish err_unstable (vma_refcount_put's wake-up, then
 * mmdrop). Model-only hand-over between the two halves.
 */
export let unstable_mm: MmStruct | null = null;
/** With `unstable_mm`: vma_start_read's transient reference is still held (VMA_READ_UNSTABLE), not dropped by a vma_end_read. */
let unstable_ref = false;
/** lock_vma_found's vma_start_read returned VMA_READ_LOCKED_REF: the caller still holds the transient reference of its own mm's write-locked VMA. */
let locked_ref = false;

/**
 * vma_start_read (as in v7.0, since the July 2025 UAF fix; include/linux/mmap_lock.h /
 * mm/mmap_lock.c; the vm_refcnt VMA lock): a trylock that never sleeps,
 * checked in the kernel's order:
 * 1. `vma->vm_lock_seq == mm->mm_lock_seq` (the caller's mm): write-locked
 *    in the current write section: NULL, even if the VMA is also detached
 *    (munmap write-locks a VMA before vma_mark_detached, and it stays
 *    write-locked until mmap_write_unlock / vma_end_write_all);
 * 2. __refcount_inc_not_zero_limited_acquire(&vma->vm_refcnt) fails: -EAGAIN
 *    when the count was 0 (detached, or a freed object in vm_area_cachep),
 *    NULL when a writer is excluding readers (VMA_LOCK_OFFSET set);
 * 3. `vma->vm_mm != mm`: the object was freed and reused by another mm:
 *    err_unstable: mmgrab(other_mm), vma_refcount_put (dropping the
 *    reference, then rcuwait_wake_up(&other_mm->vma_writer_wait)), mmdrop
 *    (the fix "mm: fix a UAF when vma->mm is freed after vma->vm_refcnt got
 *    dropped", Fixes: 3104138517fc). Here: the increment and mmgrab happen
 *    in this step and the reference stays (nrReaders, not a read lock: a
 *    writer of the other mm, vma_start_write or vma_mark_detached, waits
 *    for it); the caller drops it after a scheduling point
 *    (vma_refcount_put_transient) and finishes the wake-up and mmdrop after
 *    another (finish_vma_unstable);
 * 4. the vm_lock_seq recheck after taking the reference (the same test as 1
 *    here: a step of the model does not interleave inside it).
 *
 * With `transient` (lock_vma_under_rcu_steps, the checker), a VMA found
 * write-locked by its own mm's writer, still attached and not excluding
 * readers, takes the other path the kernel allows: the pessimistic check 1
 * ("A race might cause false locked result") passed on a vm_lock_seq read
 * before the writer's stamp, __refcount_inc_not_zero_limited_acquire
 * succeeds (a write-locked VMA has no VMA_LOCK_OFFSET once
 * __vma_exit_locked ran), and the re-check 4 sees the VMA write-locked:
 * NULL with the reference still held (VMA_READ_LOCKED_REF); the caller
 * drops it with vma_refcount_put a scheduling point later, which wakes a
 * writer waiting in vma_mark_detached (docs/fidelity.md, "lock_vma_under_rcu").
 */
export function vma_start_read(mm: MmStruct, vma: VmAreaStruct, transient = false): number {
  if ((mm.mm_lock_seq & 1) === 1 && vma.vm_lock_seq === mm.mm_lock_seq) {
    if (!transient || vma.detached || vma.excludeReaders || vma.mm !== mm) return VMA_READ_FAIL;
    vma.nrReaders++; // __refcount_inc_not_zero_limited_acquire(&vma->vm_refcnt): the transient reference
    lock_line(vma);
    return VMA_READ_LOCKED_REF; // vma->vm_lock_seq == raw_read_seqcount(&mm->mm_lock_seq): the re-check fails
  }
  if (vma.detached) return VMA_READ_EAGAIN; // a freed object is detached too
  if (vma.excludeReaders) return VMA_READ_FAIL;
  if (vma.mm !== mm && !fault_inject.vma_start_read_skip_mm_check && !fault_inject.lock_vma_mm_check_without_mmgrab) {
    const other = vma.mm; // "Use a copy of vm_mm in case vma is freed after we drop vm_refcnt"
    vma.nrReaders++; // the transient reference (vm_refcnt), not a read lock: dropped by vma_refcount_put_transient
    lock_line(vma);
    mmgrab(other);
    unstable_mm = other; // vma_refcount_put: the reference is dropped; the wake-up follows
    return VMA_READ_UNSTABLE;
  }
  // A false "locked" answer is allowed (mm_lock_seq wrap, reader limit): the
  // fault falls back to mmap_lock. Model-only: the checker may choose it.
  if (nondet('vma_start_read_spurious_fail')) return VMA_READ_FAIL;
  vma.nrReaders++;
  lock_line(vma); // __refcount_inc_not_zero_limited_acquire(&vma->vm_refcnt): its cmpxchg
  vma.readers.push(current);
  if (hooks_on) hooks.vma_read_lock(vma, 1); // model-only hook
  return VMA_READ_OK;
}

/**
 * The second half of vma_refcount_put on a VMA of another mm: the reference
 * was dropped in an earlier step; rcuwait_wake_up(&mm->vma_writer_wait)
 * touches that mm now (a writer waiting for the VMA's readers, if any, was
 * woken when the count fell; the model's transient reference never made
 * one wait). With the fix the caller holds an mm_count reference
 * (mmgrab) and drops it after the wake-up.
 */
function finish_vma_unstable(other: MmStruct, grabbed: boolean): void {
  hooks.mm_use(other, 'rcuwait_wake_up(&mm->vma_writer_wait) in vma_refcount_put'); // model-only hook
  if (grabbed) mmdrop(other);
}

/**
 * vma_refcount_put's decrement of the transient reference vma_start_read
 * took on another mm's VMA (VMA_READ_UNSTABLE): the last one lets a writer
 * waiting for the readers go (the model wakes it here; its rcuwait_wake_up
 * through the other mm's vma_writer_wait is finish_vma_unstable's hook).
 */
export function vma_refcount_put_transient(vma: VmAreaStruct): void {
  if (vma.nrReaders <= 0) throw new Error(`vma_refcount_put(${vma.label}): no reference held`);
  vma.nrReaders--;
  lock_line(vma); // __refcount_dec_and_test(&vma->vm_refcnt)
  if (vma.nrReaders === 0 && vma.writerWaiting !== null) {
    const w = vma.writerWaiting;
    vma.writerWaiting = null;
    wake_up_process(w);
  }
}

/**
 * For callers of vma_start_read other than lock_vma_under_rcu (lock_next_vma):
 * after VMA_READ_UNSTABLE on `vma`, finish err_unstable at once (drop the
 * reference, wake-up, mmdrop).
 */
export function vma_start_read_finish_unstable(vma: VmAreaStruct): void {
  const other = unstable_mm;
  if (other === null) return;
  unstable_mm = null;
  vma_refcount_put_transient(vma);
  finish_vma_unstable(other, true);
}

/**
 * vma_start_read as an opaque call for the checker. A function of its own:
 * a closure in lock_vma_found made V8 allocate a context for its mm and vma
 * on every call, hooks or not (48 bytes per fault in the simulator).
 */
function vma_start_read_opaque(mm: MmStruct, vma: VmAreaStruct, transient: boolean): number {
  return opaque_call(() => vma_start_read(mm, vma, transient));
}

/** lock_vma_under_rcu's outcome after the lookup found a VMA: locked, retry the lookup (MISS), or give up (ABORT). */
const LVR_OK = 0, LVR_MISS = 1, LVR_ABORT = 2;

/**
 * lock_vma_under_rcu after `mas_walk` returned `vma`: vma_start_read, then
 * (with the reference held) the re-check "is the VMA we locked the right
 * one": the address range, since the VMA may have shrunk between the lookup
 * and the lock (the vm_mm check is in vma_start_read since the UAF fix
 * above; with `lock_vma_mm_check_without_mmgrab` it is here, as before it).
 * Counts VMA_LOCK_MISS / VMA_LOCK_ABORT as the kernel does. A VMA of another
 * mm leaves `unstable_mm` set for the caller (ABORT).
 */
function lock_vma_found(mm: MmStruct, vma: VmAreaStruct, addr: number, transient: boolean): number {
  unstable_mm = null;
  unstable_ref = false;
  // Model-only: an opaque call for the checker (only the result reaches the caller).
  const r = hooks_on ? vma_start_read_opaque(mm, vma, transient) : vma_start_read(mm, vma, transient);
  locked_ref = r === VMA_READ_LOCKED_REF;
  // Model-only: which mm err_unstable grabbed is also the caller's (it
  // wakes and mmdrops it later): read it again here, outside the opaque
  // call, so the checker records it as the task's input. Same step, so the
  // same value vma_start_read saw.
  if (r === VMA_READ_UNSTABLE) {
    unstable_mm = vma.mm;
    unstable_ref = true;
  }
  if (r === VMA_READ_EAGAIN) {
    count_vm_event(VmEvent.VMA_LOCK_MISS); // "The area was replaced with another one"
    return LVR_MISS;
  }
  if (r === VMA_READ_FAIL || r === VMA_READ_UNSTABLE || r === VMA_READ_LOCKED_REF) {
    count_vm_event(VmEvent.VMA_LOCK_ABORT);
    return LVR_ABORT;
  }
  if (fault_inject.lock_vma_mm_check_without_mmgrab && !fault_inject.lock_vma_skip_recheck && vma.mm !== mm) {
    // Before the UAF fix: inval_end_read: vma_end_read -> vma_refcount_put
    // drops the reference, then wakes through vma->vm_mm, which nothing pins.
    vma.nrReaders--;
    const i = vma.readers.lastIndexOf(current);
    vma.readers.splice(i, 1);
    if (hooks_on) hooks.vma_read_lock(vma, -1); // model-only hook
    unstable_mm = vma.mm;
    count_vm_event(VmEvent.VMA_LOCK_ABORT);
    return LVR_ABORT;
  }
  if (!fault_inject.lock_vma_skip_recheck && (addr < vma.vm_start || addr >= vma.vm_end)) {
    vma_end_read(vma); // inval_end_read:
    count_vm_event(VmEvent.VMA_LOCK_ABORT);
    return LVR_ABORT;
  }
  return LVR_OK;
}

/**
 * lock_vma_under_rcu (mm/mmap_lock.c) as one atomic step: look up `addr`
 * (mas_walk under rcu_read_lock), try its VMA read lock, re-check. Counts
 * VMA_LOCK_ABORT on failure and VMA_LOCK_MISS on a detached VMA (then looks
 * up again). Never sleeps. The simulator uses this form (nothing can run
 * between the lookup and the lock in a zero-time step); the checker runs
 * `lock_vma_under_rcu_steps`. `hint`: a guess of the VMA's index in the
 * tree (MapleTree.walkFrom: the same VMA as the walk), or -1.
 */
export function lock_vma_under_rcu(mm: MmStruct, addr: number, hint = -1): VmAreaStruct | null {
  for (;;) {
    const vma = mm.find_vma(addr, hint); // mas_walk under rcu_read_lock
    if (vma === null) {
      count_vm_event(VmEvent.VMA_LOCK_ABORT);
      return null;
    }
    const r = lock_vma_found(mm, vma, addr, false);
    if (unstable_mm !== null) {
      if (unstable_ref) vma_refcount_put_transient(vma);
      finish_vma_unstable(unstable_mm, !fault_inject.lock_vma_mm_check_without_mmgrab);
      unstable_mm = null;
    }
    if (r === LVR_OK) return vma;
    if (r === LVR_ABORT) return null;
  }
}

/**
 * lock_vma_under_rcu as the kernel's sequence of steps, with a scheduling
 * point between the tree lookup and vma_start_read (the RCU read section
 * does not stop writers: the VMA found may be write-locked, detached, freed
 * or reused by the time its lock is tried). The caller yields the point
 * before the first lookup (PT.lock_vma_under_rcu); a MISS looks up again
 * after a point of its own.
 */
export function* lock_vma_under_rcu_steps(mm: MmStruct, addr: number): KPath<VmAreaStruct | null> {
  for (;;) {
    const vma = mm.find_vma(addr); // retry: mas_walk(&mas)
    if (vma === null) {
      count_vm_event(VmEvent.VMA_LOCK_ABORT);
      return null;
    }
    if (sched_points) yield PT.vma_start_read;
    const r = lock_vma_found(mm, vma, addr, sched_points);
    if (locked_ref) {
      // vma_start_read took a reference on its own mm's VMA that the mm's
      // writer holds write-locked; it is held until vma_refcount_put: the
      // writer's vma_mark_detached waits for it (__vma_enter_locked).
      locked_ref = false;
      yield PT.vma_refcount_put;
      vma_refcount_put_transient(vma); // vma_refcount_put: rcuwait_wake_up(&mm->vma_writer_wait)
    }
    const other = unstable_mm;
    if (other !== null) {
      unstable_mm = null;
      if (unstable_ref) {
        // The transient reference is held until vma_refcount_put: a writer
        // of the other mm may come and wait for it meanwhile.
        if (sched_points) yield PT.vma_refcount_put;
        vma_refcount_put_transient(vma);
      }
      // vma_refcount_put: the reference is gone; another task may run
      // (the other mm's writer, its exit) before the wake-up.
      if (sched_points) yield PT.vma_refcount_put_wake;
      finish_vma_unstable(other, !fault_inject.lock_vma_mm_check_without_mmgrab);
    }
    if (r === LVR_OK) return vma;
    if (r === LVR_ABORT) return null;
    if (sched_points) yield PT.mas_walk;
  }
}

/**
 * vma_start_read_locked (include/linux/mmap_lock.h): with mmap_lock held
 * no writer can hold or wait for the VMA lock, so the read lock is taken
 * (the vm_refcnt overflow failure is not modelled).
 */
export function vma_start_read_locked(vma: VmAreaStruct): void {
  vma.nrReaders++;
  lock_line(vma); // __refcount_inc_not_zero_limited_acquire(&vma->vm_refcnt)
  vma.readers.push(current);
  if (hooks_on) hooks.vma_read_lock(vma, 1); // model-only hook
}

/** vma_end_read -> vma_refcount_put: the last reader wakes a waiting writer. */
/** vma_end_read by a task that holds no read lock on `vma`: a model bug. Out of line, so that vma_end_read stays small enough to inline. */
function vma_end_read_unheld(vma: VmAreaStruct): never {
  throw new Error(`vma_end_read(${vma.label}): ${current.comm} holds no read lock`);
}

export function vma_end_read(vma: VmAreaStruct): void {
  const r = vma.readers;
  let i = r.length - 1;
  while (i >= 0 && r[i] !== current) i--; // (a plain scan: readers are few)
  if (i < 0) vma_end_read_unheld(vma);
  r[i] = r[r.length - 1]!;
  r.pop();
  vma.nrReaders--;
  lock_line(vma); // vma_refcount_put: __refcount_dec_and_test(&vma->vm_refcnt)
  if (hooks_on) hooks.vma_read_lock(vma, -1); // model-only hook
  if (vma.nrReaders === 0 && vma.writerWaiting !== null) {
    const w = vma.writerWaiting;
    vma.writerWaiting = null;
    wake_up_process(w); // rcuwait_wake_up(&mm->vma_writer_wait)
  }
}

/**
 * vma_start_write / vma_start_write_killable: the caller holds mmap_lock for
 * write. Exclude new readers, sleep until current readers leave, then stamp
 * vm_lock_seq. Idempotent within one mmap write section.
 */
export function* vma_start_write(vma: VmAreaStruct): KPath {
  if (sched_points) yield PT.vma_start_write;
  const mm = vma.mm;
  if (mm.mmap_lock.writer !== current) {
    throw new Error(`vma_start_write(${vma.label}): ${current.comm} does not hold mmap_lock for write`);
  }
  if (hooks_on ? opaque_call(() => vma_write_locked_now(vma)) : vma_write_locked_now(vma)) return;
  if (hooks_on && !vma.detached) hooks.lock_acquire('vma_lock', mm); // model-only hook: __vma_enter_locked's rwsem_acquire
  if (hooks_on ? opaque_call(() => vma_has_readers(vma)) : vma.nrReaders !== 0) {
    vma.excludeReaders = true; // vm_refcnt += VM_REFCNT_EXCLUDE_READERS_FLAG
    vma.writerWaiting = current;
    yield vma.blockWrite; // rcuwait_wait_event(&mm->vma_writer_wait, ...)
    vma.excludeReaders = false;
  }
  if (hooks_on) opaque_call(() => vma_stamp_write(vma)); // model-only
  else vma_stamp_write(vma);
}

/**
 * __vma_enter_locked's test: readers hold the VMA (vm_refcnt above the
 * attached count), so the writer must wait for them. Only whether there are
 * any reaches the caller (an opaque call for the checker: the count itself
 * is no input of the writer).
 */
function vma_has_readers(vma: VmAreaStruct): boolean {
  return vma.nrReaders !== 0;
}

/** __is_vma_write_locked: already write-locked in the current write section (vma_start_write's early return). */
function vma_write_locked_now(vma: VmAreaStruct): boolean {
  return vma.vm_lock_seq === vma.mm.mm_lock_seq;
}

/** __vma_start_write: stamp vm_lock_seq with the write section's sequence. */
function vma_stamp_write(vma: VmAreaStruct): void {
  if (!vma.detached) { // __vma_enter_locked: refcount_add_not_zero(VMA_LOCK_OFFSET); __vma_exit_locked: refcount_sub_and_test
    lock_line(vma);
    lock_line(vma);
  }
  vma.vm_lock_seq = vma.mm.mm_lock_seq;
}

/**
 * vma_start_write_killable (f5d90f9042c1): as vma_start_write, but a fatal
 * signal ends the wait for readers (__vma_enter_locked with TASK_KILLABLE:
 * the writer stops excluding readers and returns -EINTR). Nothing to wait
 * for: success even with a signal pending (rcuwait checks the condition
 * first). Returns 0 or -EINTR, or the path that does it for the caller to
 * run (`typeof r === 'number' ? r : yield* r`).
 *
 * Without scheduling points and hooks (the simulator) and with no reader in
 * the VMA, nothing can sleep: the write lock is taken here, with no
 * generator (dup_mmap calls this for every VMA). That is
 * __is_vma_write_locked's early return or __vma_start_write's stamp with
 * nothing to wait for, the same state as the path below gives.
 */
export function vma_start_write_killable(vma: VmAreaStruct): number | KPath<number> {
  if (sched_points || hooks_on || vma.nrReaders !== 0 || vma.mm.mmap_lock.writer !== current) {
    return __vma_start_write_killable(vma); // (which also throws when mmap_lock is not write-held)
  }
  vma_stamp_write(vma); // (an already write-locked VMA has this stamp)
  return 0;
}

function* __vma_start_write_killable(vma: VmAreaStruct): KPath<number> {
  if (sched_points) yield PT.vma_start_write;
  const mm = vma.mm;
  if (mm.mmap_lock.writer !== current) {
    throw new Error(`vma_start_write_killable(${vma.label}): ${current.comm} does not hold mmap_lock for write`);
  }
  if (hooks_on ? opaque_call(() => vma_write_locked_now(vma)) : vma_write_locked_now(vma)) return 0;
  if (hooks_on && !vma.detached) hooks.lock_acquire('vma_lock', mm); // model-only hook
  if (hooks_on ? opaque_call(() => vma_has_readers(vma)) : vma.nrReaders !== 0) {
    if (fatal_signal_pending(current)) return -EINTR;
    vma.excludeReaders = true; // vm_refcnt += VM_REFCNT_EXCLUDE_READERS_FLAG
    vma.writerWaiting = current;
    yield killable(vma.blockWrite); // rcuwait_wait_event(..., TASK_KILLABLE)
    // Cancelled by the signal (readers still in; cancel_wait undid the exclusion).
    if (fatal_signal_pending(current) && (hooks_on ? opaque_call(() => vma_has_readers(vma)) : vma.nrReaders !== 0)) return -EINTR;
    vma.excludeReaders = false;
  }
  if (hooks_on) opaque_call(() => vma_stamp_write(vma)); // model-only
  else vma_stamp_write(vma);
  return 0;
}

/**
 * vma_mark_detached (mm/mmap_lock.c, v6.15+): the VMA is write-locked;
 * later lookups see -EAGAIN. If a reader holds a transient reference
 * (refcount_dec_and_test fails: a vma_start_read between its increment and
 * vma_refcount_put, of this mm: VMA_READ_LOCKED_REF, or of another mm that
 * reused the object: VMA_READ_UNSTABLE), wait until it drops
 * (__vma_enter_locked(vma, true): lockdep's rwsem_acquire, excluding
 * readers, on mm->vma_writer_wait).
 */
export function* vma_mark_detached(vma: VmAreaStruct): KPath {
  lock_line(vma); // refcount_dec_and_test(&vma->vm_refcnt)
  vma.detached = true;
  if (vma.nrReaders !== 0 && !fault_inject.vma_mark_detached_skip_refcnt_wait) {
    if (hooks_on) hooks.lock_acquire('vma_lock', vma.mm); // model-only hook: __vma_enter_locked's rwsem_acquire(&vma->vmlock_dep_map)
    vma.excludeReaders = true; // refcount_add_not_zero(VMA_LOCK_OFFSET)
    vma.writerWaiting = current;
    yield vma.blockWrite; // rcuwait_wait_event(&vma->vm_mm->vma_writer_wait, refcount == VMA_LOCK_OFFSET)
    vma.excludeReaders = false; // __vma_exit_locked
  }
}
