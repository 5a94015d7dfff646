/**
 * fs/userfaultfd.c: the fault side of userfaultfd. handle_userfault, which a
 * fault on a none PTE of a VMA registered for missing faults
 * (userfaultfd_missing) calls from do_anonymous_page: it queues the fault on
 * the context, drops the fault's lock (release_fault_lock: the VMA read lock
 * since 29a22b9e08d7 "mm: handle userfaults under VMA lock", v6.6, or
 * mmap_read_lock), sleeps until an ioctl that resolves the range wakes it
 * (wake_userfault) and returns VM_FAULT_RETRY. The ioctls are in
 * userfaultfd.ts (mm/userfaultfd.c). The model has one userfaultfd context
 * per mm, registered on every VMA with VM_UFFD_MISSING, with no features
 * (no UFFD_FEATURE_SIGBUS, no UFFD_USER_MODE_ONLY), never released; what else
 * is left out is in docs/fidelity.md ("userfaultfd").
 */
import { block, point, type KPath, type Task, type WaitResource } from './effects.js';
import type { VmFault } from './fault_types.js';
import { FAULT_FLAG_ALLOW_RETRY, VM_FAULT_RETRY, VM_FAULT_SIGBUS, type MmStruct } from './mm_types.js';
import { release_fault_lock } from './memory_lock.js';
import { PT } from './mmap_lock.js';
import { fault_inject } from './custom.js';
import { current, sched_points, wake_up_process } from './sched.js';

/** Scheduling points of handle_userfault and the wake-up. */
export const UFPT = {
  add_wait_queue: point('handle_userfault: spin_lock_irq(&ctx->fault_pending_wqh.lock); __add_wait_queue; set_current_state'),
  must_wait: point('userfaultfd_must_wait(ctx, vmf, reason): ptep_get(pte)'),
  list_del: point('handle_userfault: list_empty_careful(&uwq.wq.entry); list_del'),
  wake_userfault: point('wake_userfault(ctx, &range): waitqueue_active(&ctx->fault_pending_wqh)'),
  ctx_read: point('userfaultfd_ctx_read: spin_lock(&ctx->fault_pending_wqh.lock); find_userfault(ctx)'),
};

/** The context's fault wait queue as a sleep resource (who resolves it is user space: no holder). */
class UserfaultWait implements WaitResource {
  readonly lockClass = 'io' as const;
  readonly label = 'ctx->fault_pending_wqh';
  blockers(_waiter: Task, _out: Task[]): void {}
}
const UFFD_WAIT = new UserfaultWait();
/** schedule() in handle_userfault, TASK_INTERRUPTIBLE (no signal ends it in the model: only SIGKILL is modelled, and no scenario kills a faulting thread). */
const UFFD_BLOCK = block(UFFD_WAIT, 'handle_userfault');
/** The monitor's wait for a message (ctx->fd_wqh): a fault queues one; no kernel holder. */
class UserfaultFdWait implements WaitResource {
  readonly lockClass = 'io' as const;
  readonly label = 'ctx->fd_wqh';
  blockers(_waiter: Task, _out: Task[]): void {}
}
/** schedule() in userfaultfd_ctx_read, TASK_INTERRUPTIBLE. */
const UFFD_READ_BLOCK = block(new UserfaultFdWait(), 'userfaultfd_ctx_read');

/** The uwq of `t` is on one of the context's fault queues (!list_empty_careful(&uwq.wq.entry)). */
function queued(mm: MmStruct, t: Task): boolean {
  return mm.uffd_fault_pending_wqh.has(t) || mm.uffd_fault_wqh.has(t);
}

/**
 * userfaultfd_must_wait (fs/userfaultfd.c), under the fault's lock: the PTE
 * is still none (the model: no present anonymous PTE and no swap entry at
 * the page; a swap entry is !pte_present: no wait, the swap-in path
 * re-delivers the fault if it must). VM_UFFD_WP is not modelled.
 */
function userfaultfd_must_wait(vmf: VmFault): boolean {
  const vma = vmf.vma;
  return !vma.anon_present.has(vmf.pgoff) && !vma.swapped.has(vmf.pgoff);
}

/**
 * handle_userfault(vmf, VM_UFFD_MISSING) (fs/userfaultfd.c), called with the
 * fault's lock held (assert_fault_locked) and the PTL dropped. Without
 * FAULT_FLAG_ALLOW_RETRY, VM_FAULT_SIGBUS (the lock kept). Else: the uwq is
 * queued on ctx->fault_pending_wqh with the task state set (one step);
 * userfaultfd_must_wait re-reads the PTE; release_fault_lock; if the PTE was
 * none and no wake-up came meanwhile, schedule() until wake_userfault; then
 * the uwq is taken off the queue if still on it (a wake-up removes it), and
 * VM_FAULT_RETRY. `--inject handle-userfault-keep-lock` drops the lock only
 * after the wait (a mutation: the wait holds the VMA read lock or
 * mmap_lock).
 */
export function* handle_userfault(vmf: VmFault): KPath<number> {
  const mm = vmf.vma.mm;
  // current->flags & (PF_EXITING|PF_DUMPCORE): a model thread exits only after its ops.
  if ((vmf.flags & FAULT_FLAG_ALLOW_RETRY) === 0) return VM_FAULT_SIGBUS; // "FAULT_FLAG_ALLOW_RETRY missing"
  // FAULT_FLAG_RETRY_NOWAIT: no modelled caller sets it; ctx->released: the monitor never closes the uffd.
  if (sched_points) yield UFPT.add_wait_queue;
  mm.uffd_fault_pending_wqh.set(current, vmf.address); // __add_wait_queue(&ctx->fault_pending_wqh, &uwq.wq); set_current_state(blocking_state)
  if (sched_points) yield UFPT.must_wait;
  const must_wait = userfaultfd_must_wait(vmf);
  const keep = fault_inject.handle_userfault_keep_lock;
  if (!keep) {
    if (sched_points) yield PT.release_fault_lock;
    release_fault_lock(vmf);
  }
  // likely(must_wait && !READ_ONCE(ctx->released)): wake_up_poll(&ctx->fd_wqh, EPOLLIN); schedule(). A
  // wake-up since set_current_state took the uwq off the queue and made the task running: schedule() returns at once.
  if (must_wait) {
    for (const r of mm.uffd_fd_wqh) wake_up_process(r); // wake_up_poll: the monitors asleep in read()
    mm.uffd_fd_wqh.clear();
    if (queued(mm, current)) {
      mm.uffd_sleeping.add(current);
      yield UFFD_BLOCK;
    }
  }
  // __set_current_state(TASK_RUNNING); if (!list_empty_careful(&uwq.wq.entry)) list_del under the spinlock
  if (sched_points) yield UFPT.list_del;
  mm.uffd_fault_pending_wqh.delete(current);
  mm.uffd_fault_wqh.delete(current);
  if (keep) {
    if (sched_points) yield PT.release_fault_lock;
    release_fault_lock(vmf); // injected: the lock was held across the wait
  }
  return VM_FAULT_RETRY; // userfaultfd_ctx_put(ctx)
}

/**
 * wake_userfault (fs/userfaultfd.c) of the pages [start, start + len):
 * waitqueue_active on the fault queues, then __wake_userfault: every queued
 * userfault whose address is in the range is woken (userfaultfd_wake_function:
 * uwq->waken, wake_up_state, list_del_init). One step: the caller yields
 * UFPT.wake_userfault before it.
 */
export function wake_userfault(mm: MmStruct, start: number, len: number): void {
  for (const q of [mm.uffd_fault_pending_wqh, mm.uffd_fault_wqh]) { // __wake_up_locked_key(&ctx->fault_pending_wqh), __wake_up(&ctx->fault_wqh)
    for (const [t, address] of q) {
      if (address < start || address >= start + len) continue;
      q.delete(t);
      if (mm.uffd_sleeping.delete(t)) wake_up_process(t);
    }
  }
}

/**
 * read() of the userfaultfd, blocking (userfaultfd_read ->
 * userfaultfd_ctx_read with no_wait false): under the fd_wqh and
 * fault_pending_wqh locks, find_userfault takes the oldest pending
 * userfault, refiles its uwq to ctx->fault_wqh and returns its message (the
 * fault address, in pages); with none pending the task sleeps on
 * ctx->fd_wqh until a fault's wake_up_poll, then looks again. Events
 * (fork, remap, remove, unmap) are not modelled.
 */
export function* userfaultfd_ctx_read(mm: MmStruct): KPath<number> {
  for (;;) {
    if (sched_points) yield UFPT.ctx_read;
    const uwq = mm.uffd_fault_pending_wqh.entries().next(); // find_userfault: the oldest on the queue (list_last_entry)
    if (uwq.done !== true) {
      const [t, address] = uwq.value;
      mm.uffd_fault_pending_wqh.delete(t); // list_del(&uwq->wq.entry); add_wait_queue(&ctx->fault_wqh, &uwq->wq)
      mm.uffd_fault_wqh.set(t, address);
      return address;
    }
    mm.uffd_fd_wqh.add(current); // set_current_state(TASK_INTERRUPTIBLE) before find_userfault: a wake_up_poll since then counts
    yield UFFD_READ_BLOCK; // schedule()
  }
}

/**
 * Model-only, for the checker's deadlock verdict: `t` sleeps in
 * handle_userfault of `mm` and no wake-up is due, because the page is still
 * missing (or no longer mapped): it waits for user space (a monitor's
 * UFFDIO_COPY / ZEROPAGE / MOVE or UFFDIO_WAKE), not for the kernel; or `t`
 * is a monitor asleep in read() with no userfault pending (it waits for a
 * fault). A sleeper whose page is present was not woken by the ioctl that
 * filled it, and a reader with a userfault pending missed its wake_up_poll
 * (lost wake-ups): false.
 */
export function userfault_awaits_userspace(mm: MmStruct, t: Task): boolean {
  // A monitor asleep in read() waits for a fault of user space, unless one is pending (a lost wake_up_poll).
  if (mm.uffd_fd_wqh.has(t)) return mm.uffd_fault_pending_wqh.size === 0;
  const address = mm.uffd_fault_pending_wqh.get(t) ?? mm.uffd_fault_wqh.get(t);
  if (address === undefined || !mm.uffd_sleeping.has(t)) return false;
  const vma = mm.find_vma(address);
  if (vma === null) return true;
  const pgoff = vma.pgoff_of(address);
  return !vma.anon_present.has(pgoff) && !vma.swapped.has(pgoff);
}
