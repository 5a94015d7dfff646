/**
 * Issue 13a: userfaultfd missing faults (fs/userfaultfd.c handle_userfault,
 * run under the per-VMA lock since 29a22b9e08d7, v6.6): the fault is queued
 * on the context, drops its lock (release_fault_lock), sleeps until the
 * monitor's UFFDIO_COPY / ZEROPAGE / MOVE fills the page and wakes it
 * (wake_userfault), and returns VM_FAULT_RETRY; and the mutation that keeps
 * the lock across the wait (--inject handle-userfault-keep-lock).
 */
import { describe, expect, it } from 'vitest';
import { checkScenarioFromObject, decodeSchedule, loadCheckScenario } from '../src/check/index.js';
import { ScenarioError } from '../src/scenario/errors.js';
import {
  FAULT_FLAG_VMA_LOCK, handle_userfault, userfault_awaits_userspace, VM_FAULT_SIGBUS, VM_UFFD_MISSING, type Task,
} from '../src/model/index.js';
import { runCheck, verdict } from './check-helpers.js';
import { handRun } from './check-handrun.js';

const ADD = 'handle_userfault: spin_lock_irq(&ctx->fault_pending_wqh.lock); __add_wait_queue; set_current_state';
const MUST_WAIT = 'userfaultfd_must_wait(ctx, vmf, reason): ptep_get(pte)';
const SLEEP = 'woken in handle_userfault(ctx->fault_pending_wqh)';
const WAKE = 'wake_userfault(ctx, &range): waitqueue_active(&ctx->fault_pending_wqh)';
const OK_READ_EXECUTIONS = 444;

/** Run `comm` until it sleeps or ends, recording the kernel step before each of its steps. */
function steps(r: ReturnType<typeof handRun>, comm: string): string[] {
  const t = r.task(comm);
  const seen: string[] = [];
  for (let i = 0; i < 60 && t.state === 0; i++) {
    seen.push(t.pending);
    r.step(comm);
  }
  return seen;
}

/** check-uffd-fault with other threads' ops. */
function scenario(vma: Record<string, unknown>, threads: Array<{ name: string; ops: unknown[] }>) {
  return checkScenarioFromObject({ name: 'uffd', description: 'uffd', vmas: [{ name: 'heap', kind: 'anon', anon_vma: true, special: ['uffd_missing'], pages: 4, ...vma }], threads });
}

describe('handle_userfault (a missing fault delivered to user space)', () => {
  it('the write fault queues itself, drops the VMA read lock before it sleeps, is woken by UFFDIO_COPY and retries under mmap_lock, which finds the page present', () => {
    const r = handRun('check-uffd-fault');
    const heap = r.ex.mm.vmas[0]!;
    expect(heap.vm_flags & VM_UFFD_MISSING).toBe(VM_UFFD_MISSING);
    expect(steps(r, 'fault')).toEqual([
      'start', 'vma_start_read(mm, vma)', 'handle_mm_fault(vma, addr, flags)', 'do_anonymous_page(vmf)', ADD, MUST_WAIT, 'release_fault_lock(vmf)',
    ]);
    const fault = r.task('fault');
    expect([fault.state, fault.pending]).toEqual([1, SLEEP]);
    // Asleep holding nothing: no VMA read lock, no mmap_lock.
    expect([heap.readers.length, heap.nrReaders, r.ex.mm.mmap_lock.readers.length, r.ex.mm.mmap_lock.writer]).toEqual([0, 0, 0, null]);
    expect([[...r.ex.mm.uffd_fault_pending_wqh], r.ex.mm.uffd_fault_wqh.size]).toEqual([[[fault, heap.vm_start]], 0]);
    expect(userfault_awaits_userspace(r.ex.mm, fault)).toBe(true);
    expect(r.ex.deadlock()).toBeNull(); // only a fault waiting for user space sleeps: not a deadlock
    expect(steps(r, 'monitor')).toEqual([
      'start', 'vma_start_read(mm, vma)', 'mfill_atomic_install_pte: pte_offset_map_lock(dst_mm, dst_pmd, dst_addr, &ptl)', 'vma_end_read(vma)', WAKE,
    ]);
    expect([fault.state, r.ex.mm.uffd_fault_pending_wqh.size, r.ex.mm.uffd_sleeping.size]).toEqual([0, 0, 0]);
    expect(steps(r, 'fault')).toEqual([
      SLEEP, 'mmap_read_trylock(mm)', 'find_vma(mm, addr)', 'do_user_addr_fault: retry; handle_mm_fault(vma, addr, flags)', 'mmap_read_unlock(mm)',
    ]);
    expect(fault.state).toBe(2);
    expect(r.events).toEqual(['VMA_LOCK_RETRY']);
    expect([...heap.anon_present.values()]).toEqual([0]);
    expect([...r.ex.obsOf.get(heap)!.anonPtes]).toEqual([0]); // the monitor's folio; the retried fault set no PTE
    expect([heap.anon_ptes_mapped, heap.folio_anon_vmas]).toEqual([1, [heap.anon_vma]]);
    expect(r.violation).toBeNull();
  });

  it('a copy before the fault: the fault finds the PTE present (handle_pte_fault), no userfault, VMA_LOCK_SUCCESS', () => {
    const r = handRun('check-uffd-fault');
    r.finish('monitor');
    expect(steps(r, 'fault')).toEqual(['start', 'vma_start_read(mm, vma)', 'handle_mm_fault(vma, addr, flags)', 'vma_end_read(vma)']);
    expect([r.task('fault').state, r.events]).toEqual([2, ['VMA_LOCK_SUCCESS']]);
  });

  it('a copy between the queueing and userfaultfd_must_wait: the PTE is present, no sleep; between must_wait and the sleep: the wake-up takes the fault off the queue, no sleep either (no lost wake-up)', () => {
    for (const at of [ADD, MUST_WAIT, 'release_fault_lock(vmf)'] as const) { // the monitor runs before the fault's step `at`
      const r = handRun('check-uffd-fault');
      r.until('fault', at); // the fault's next step is `at`
      r.finish('monitor');
      const fault = r.task('fault');
      const seen = steps(r, 'fault');
      expect(seen).not.toContain(SLEEP);
      expect([fault.state, r.ex.mm.uffd_fault_pending_wqh.size, r.ex.mm.uffd_sleeping.size, r.violation]).toEqual([2, 0, 0, null]);
      expect(r.events).toEqual(['VMA_LOCK_RETRY']);
    }
  });

  it('a read fault userfaults too (the zero page is not mapped: do_anonymous_page delivers it), and UFFDIO_ZEROPAGE resolves it with the zero page\'s PTE', () => {
    const sc = scenario({}, [
      { name: 'fault', ops: [{ op: 'fault', vma: 'heap', page: 1, access: 'read' }] },
      { name: 'monitor', ops: [{ op: 'uffdio_zeropage', vma: 'heap', page: 1 }] },
    ]);
    const r = handRun(sc);
    const heap = r.ex.mm.vmas[0]!;
    expect(steps(r, 'fault').slice(-3)).toEqual([ADD, MUST_WAIT, 'release_fault_lock(vmf)']);
    expect(steps(r, 'monitor')).toContain(WAKE);
    r.finish('fault');
    expect([...heap.anon_present.values()]).toEqual([1]);
    expect([heap.folio_anon_vmas, [...r.ex.obsOf.get(heap)!.anonPtes]]).toEqual([[heap.anon_vma], []]); // a zero-page PTE: no folio (anon_vma: true's own)
    expect(r.violation).toBeNull();
  });

  it('UFFDIO_MOVE into the missing page wakes the fault; a second copy of a filled page is -EEXIST and wakes nobody', () => {
    const sc = checkScenarioFromObject({
      name: 'uffd-move', description: 'uffd move',
      vmas: [
        { name: 'heap', kind: 'anon', anon_vma: true, special: ['uffd_missing'], pages: 2 },
        { name: 'old', kind: 'anon', anon_vma: true, pages: 2 },
      ],
      threads: [
        { name: 'fault', ops: [{ op: 'fault', vma: 'heap', page: 0, access: 'write' }] },
        { name: 'monitor', ops: [{ op: 'uffdio_move', vma: 'heap', page: 0, src_vma: 'old', src_page: 1 }, { op: 'uffdio_copy', vma: 'heap', page: 0 }] },
      ],
    });
    const r = handRun(sc);
    const heap = r.ex.mm.vmas[0]!;
    steps(r, 'fault');
    expect(r.task('fault').state).toBe(1);
    const seen = steps(r, 'monitor');
    expect(seen.filter((s) => s === WAKE)).toEqual([WAKE]); // the move's; the copy failed with -EEXIST (no wake_userfault)
    expect(heap.folio_anon_vmas).toEqual([heap.anon_vma]); // the moved folio (the copy installed none)
    r.finish('fault');
    expect(r.violation).toBeNull();
  });

  it('a monitor that reads first: asleep in read() until the fault\'s wake_up_poll, it takes the message (the uwq refiled to fault_wqh), copies, and the copy wakes the fault', () => {
    const sc = scenario({}, [
      { name: 'fault', ops: [{ op: 'fault', vma: 'heap', page: 3, access: 'write' }] },
      { name: 'monitor', ops: [{ op: 'uffd_read' }, { op: 'uffdio_copy', vma: 'heap', page: 3 }] },
    ]);
    const r = handRun(sc);
    const mm = r.ex.mm, heap = mm.vmas[0]!;
    const monitor = r.task('monitor'), fault = r.task('fault');
    expect(steps(r, 'monitor')).toEqual(['start']);
    expect([monitor.state, monitor.pending, [...mm.uffd_fd_wqh]]).toEqual([1, 'woken in userfaultfd_ctx_read(ctx->fd_wqh)', [monitor]]);
    expect(r.ex.deadlock()).toBeNull(); // a monitor waiting for a fault waits for user space
    steps(r, 'fault');
    expect([fault.state, monitor.state, mm.uffd_fd_wqh.size]).toEqual([1, 0, 0]); // wake_up_poll(&ctx->fd_wqh) before schedule()
    expect(steps(r, 'monitor')).toEqual([
      // the wake-up's sub-step reads no shared field: merged into find_userfault's, which ends at the copy's lock_vma_under_rcu
      'woken in userfaultfd_ctx_read(ctx->fd_wqh)', 'lock_vma_under_rcu(mm, addr)', 'vma_start_read(mm, vma)',
      'mfill_atomic_install_pte: pte_offset_map_lock(dst_mm, dst_pmd, dst_addr, &ptl)', 'vma_end_read(vma)', WAKE,
    ]);
    expect([mm.uffd_fault_pending_wqh.size, mm.uffd_fault_wqh.size, fault.state]).toEqual([0, 0, 0]);
    r.finish('fault');
    expect([...heap.anon_present.values()]).toEqual([3]);
    expect(r.violation).toBeNull();
  });

  it('a reader asleep while a userfault is pending missed its wake-up: a deadlock, not a wait for user space', () => {
    const sc = scenario({}, [{ name: 'monitor', ops: [{ op: 'uffd_read' }] }]);
    const r = handRun(sc);
    steps(r, 'monitor');
    const mm = r.ex.mm, monitor = r.task('monitor') as unknown as Task;
    expect(userfault_awaits_userspace(mm, monitor)).toBe(true);
    mm.uffd_fault_pending_wqh.set(r.task('monitor') as unknown as Task, mm.vmas[0]!.vm_start); // a message no wake_up_poll announced
    expect(userfault_awaits_userspace(mm, monitor)).toBe(false);
    expect(r.ex.deadlock()?.message).toBe('no task can run: monitor sleeps in userfaultfd_ctx_read(ctx->fd_wqh)');
  });

  it('without FAULT_FLAG_ALLOW_RETRY, VM_FAULT_SIGBUS at once, the lock kept and nothing queued', () => {
    const r = handRun('check-uffd-fault');
    const heap = r.ex.mm.vmas[0]!;
    const g = handle_userfault({ vma: heap, address: heap.vm_start, pgoff: 0, flags: FAULT_FLAG_VMA_LOCK, pt: null, uffd_missing: true });
    expect(g.next()).toEqual({ done: true, value: VM_FAULT_SIGBUS });
    expect(r.ex.mm.uffd_fault_pending_wqh.size).toBe(0);
  });

  it('a lost wake-up is no "user space has not resolved it": a sleeper whose page is present is a deadlock', () => {
    const r = handRun('check-uffd-fault');
    steps(r, 'fault');
    const heap = r.ex.mm.vmas[0]!;
    const fault = r.task('fault') as unknown as Task;
    heap.anon_present.add(0); // the page filled behind the queue's back, no wake_userfault
    expect(userfault_awaits_userspace(r.ex.mm, fault)).toBe(false);
    r.finish('monitor'); // -EEXIST: no wake-up
    r.finish('mprotect');
    expect(r.ex.deadlock()?.message).toBe('no task can run: fault sleeps in handle_userfault(ctx->fault_pending_wqh)');
  });

  it('MADV_DONTNEED zaps a filled page of a uffd-missing VMA: the next fault there is a userfault again', () => {
    const sc = scenario({}, [
      { name: 'monitor', ops: [{ op: 'uffdio_copy', vma: 'heap', page: 2 }, { op: 'madvise_dontneed', vma: 'heap' }] },
      { name: 'fault', ops: [{ op: 'fault', vma: 'heap', page: 2, access: 'read' }] },
    ]);
    const r = handRun(sc);
    r.finish('monitor');
    expect(r.ex.mm.vmas[0]!.anon_present.size).toBe(0);
    expect(steps(r, 'fault')).toContain(ADD);
    expect(r.task('fault').state).toBe(1);
  });

  it('fork: the child\'s copy of a uffd-missing VMA is not registered (dup_userfaultfd without UFFD_FEATURE_EVENT_FORK: userfaultfd_reset_ctx)', () => {
    const sc = scenario({}, [{ name: 'parent', ops: [{ op: 'fork' }] }]);
    const r = handRun(sc);
    r.finish('parent');
    const child = [...r.ex.mms.values()].find((m) => m !== r.ex.mm)!;
    expect(r.ex.mm.vmas[0]!.vm_flags & VM_UFFD_MISSING).toBe(VM_UFFD_MISSING);
    expect(child.vmas[0]!.vm_flags & VM_UFFD_MISSING).toBe(0);
  });

  it('the scenario loader refuses uffd_missing on a file or shared VMA and an mremap with dontunmap of one', () => {
    const load = (vmas: unknown[], ops: unknown[]): string => {
      try {
        checkScenarioFromObject({ name: 'x', description: 'x', vmas, threads: [{ name: 't', ops }] });
        return 'ok';
      } catch (e) {
        return e instanceof ScenarioError ? e.message : String(e);
      }
    };
    expect(load([{ name: 'f', kind: 'file', special: ['uffd_missing'] }], [{ op: 'fault', vma: 'f' }])).toMatch(/uffd_missing on 'f': only private anonymous VMAs are modelled for missing userfaults \(file\)/);
    expect(load([{ name: 's', kind: 'anon', shared: true, special: ['uffd_missing'] }], [{ op: 'fault', vma: 's' }])).toMatch(/\(shared\)/);
    expect(load([{ name: 'a', kind: 'anon', special: ['uffd_missing'] }], [{ op: 'mremap', vma: 'a', new_pages: 4, dontunmap: true }])).toMatch(/mremap with dontunmap of the uffd_missing VMA 'a' is not modelled/);
    expect(load([{ name: 'a', kind: 'anon', special: ['uffd_missing'] }], [{ op: 'uffdio_zeropage', vma: 'a', page: 1 }])).toBe('ok');
    expect(loadCheckScenario('check-uffd-fault').vmas[0]!.special).toEqual(['uffd_missing']);
  });
});

describe('check-uffd-fault under the checker', () => {
  it('the kernel\'s locking is safe with a complete search (1,669 executions)', () => {
    const rep = runCheck('check-uffd-fault');
    expect([verdict(rep), rep.complete, rep.stats.executions]).toEqual(['safe', true, 1669]);
  });

  it('--inject handle-userfault-keep-lock: a deadlock (the monitor\'s UFFDIO_COPY waits for mmap_lock behind mprotect, which waits for the fault\'s VMA read lock), shrunk to the fault and mprotect, and replayed', () => {
    const found = runCheck('check-uffd-fault', { inject: ['handle-userfault-keep-lock'], shrink: false });
    expect(found.violation!.message).toBe('no task can run: fault sleeps in handle_userfault(ctx->fault_pending_wqh); monitor sleeps in down_read(mm->mmap_lock); mprotect sleeps in vma_start_write(vma[0:heap])');
    expect([found.stats.executions, found.violation!.steps.length]).toEqual([21, 11]);
    const bad = runCheck('check-uffd-fault', { inject: ['handle-userfault-keep-lock'] });
    expect(verdict(bad)).toBe('unsafe:deadlock');
    const v = bad.violation!;
    expect(v.message).toBe('no task can run: fault sleeps in handle_userfault(ctx->fault_pending_wqh); mprotect sleeps in vma_start_write(vma[0:heap])');
    expect([v.threads, v.steps.length, v.foundSteps]).toEqual([['fault', 'mprotect'], 8, 11]);
    const again = runCheck('check-uffd-fault', { inject: ['handle-userfault-keep-lock'], mode: { kind: 'replay', schedule: decodeSchedule(v.schedule) } });
    expect(again.violation!.message).toBe(v.message);
  });

  it('with a monitor that reads before it copies (the usual loop): safe, complete; the kept lock deadlocks the same way', () => {
    const sc = (): ReturnType<typeof scenario> => scenario({}, [
      { name: 'fault', ops: [{ op: 'fault', vma: 'heap', page: 0, access: 'write' }] },
      { name: 'monitor', ops: [{ op: 'uffd_read' }, { op: 'uffdio_copy', vma: 'heap', page: 0 }] },
      { name: 'mprotect', ops: [{ op: 'mprotect', vma: 'heap' }] },
    ]);
    const ok = runCheck(sc());
    expect([verdict(ok), ok.complete, ok.stats.executions]).toEqual(['safe', true, OK_READ_EXECUTIONS]);
    const bad = runCheck(sc(), { inject: ['handle-userfault-keep-lock'], shrink: false });
    expect(bad.violation!.message).toBe('no task can run: fault sleeps in handle_userfault(ctx->fault_pending_wqh); monitor sleeps in down_read(mm->mmap_lock); mprotect sleeps in vma_start_write(vma[0:heap])');
  });

  it('a fault no thread resolves ends the execution with no verdict on it (user space never answered), not a deadlock', () => {
    const rep = runCheck(scenario({}, [{ name: 'fault', ops: [{ op: 'fault', vma: 'heap', page: 0, access: 'write' }] }]));
    expect([verdict(rep), rep.complete]).toEqual(['safe', true]);
  });
});
