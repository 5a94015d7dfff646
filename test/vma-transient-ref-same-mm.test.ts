/**
 * vma_start_read's transient vm_refcnt reference on a VMA of the reader's
 * own mm (include/linux/mmap_lock.h): the early vm_lock_seq check passes in
 * lock_vma_under_rcu's lookup step, a writer write-locks the VMA (its
 * __vma_enter_locked finds no reader to wait for), the reader's increment
 * succeeds and its re-check finds the VMA write-locked: the reference is
 * held until vma_refcount_put, and vma_mark_detached waits for it
 * (refcount_dec_and_test fails -> __vma_enter_locked(vma, true)).
 */
import { describe, expect, it } from 'vitest';
import { decodeSchedule } from '../src/check/index.js';
import { runCheck, verdict } from './check-helpers.js';
import { handRun } from './check-handrun.js';

describe('a reader of the same mm: transient reference between the increment and the vm_lock_seq re-check', () => {
  it('munmap write-locks the VMA after the fault\'s early check: the fault\'s re-check fails with the reference held, vma_mark_detached sleeps until vma_refcount_put, the fault falls back to mmap_lock', () => {
    const r = handRun('check-munmap-pgtables');
    r.until('T1', 'vma_start_read(mm, vma)'); // looked up vma a, early check passed (not write-locked)
    const vma = r.ex.mm.vmas[0]!;
    r.until('T2', 'vma_mark_detached(vma)'); // munmap: mmap_write_lock, vma_start_write (no reader yet: stamped)
    expect([vma.nrReaders, vma.vm_lock_seq === r.ex.mm.mm_lock_seq]).toEqual([0, true]);
    r.step('T1'); // __refcount_inc_not_zero_limited_acquire succeeds; the re-check sees vm_lock_seq == mm_lock_seq
    expect([vma.nrReaders, vma.readers.length]).toEqual([1, 0]);
    r.step('T2'); // vma_mark_detached: refcount_dec_and_test fails: __vma_enter_locked(vma, true) sleeps
    expect(r.task('T2').state).toBe(1);
    expect([vma.detached, vma.writerWaiting, vma.excludeReaders]).toEqual([true, r.task('T2'), true]);
    r.step('T1'); // vma_refcount_put: the last reference goes, the writer is woken
    expect([vma.nrReaders, vma.writerWaiting, r.task('T2').state]).toEqual([0, null, 0]);
    r.run('T2');
    r.run('T1');
    expect([r.task('T1').state, r.task('T2').state, vma.freed]).toEqual([2, 2, true]);
    expect(r.events).toEqual(['VMA_LOCK_ABORT', 'FAULT_SIGSEGV']); // the fault retried under mmap_lock after the unmap
    expect(r.violation).toBeNull();
  });

  it('--inject vma-mark-detached-skip-refcnt-wait: munmap frees the VMA under the fault\'s transient reference (use-after-free), shrunk and replayed; fixed: safe, complete', () => {
    const inject = ['vma-mark-detached-skip-refcnt-wait'] as const;
    const post = runCheck('check-munmap-pgtables');
    expect([verdict(post), post.complete]).toEqual(['safe', true]);
    const bad = runCheck('check-munmap-pgtables', { inject: [...inject] });
    expect(verdict(bad)).toBe('unsafe:use-after-free');
    expect(bad.violation!.message).toBe('T2 frees vma[0:a] (vm_area_free) while a vm_refcnt reference is still held on it: the holder\'s vma_refcount_put writes freed memory');
    const steps = bad.violation!.steps;
    expect(steps.length).toBeLessThanOrEqual(bad.violation!.foundSteps);
    // The fault's increment comes after munmap's vma_start_write.
    const read = steps.findIndex((s) => s.what === 'vma_start_read(mm, vma)');
    expect(read).toBeGreaterThan(steps.findIndex((s) => s.what === 'vma_start_write(vma)'));
    const again = runCheck('check-munmap-pgtables', { inject: [...inject], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
  });

  it('--inject vma-start-read-skip-lock-seq-recheck: the fault read-locks the VMA munmap write-locked after the early check (vma-write-exclusion), in 5 steps, replayed', () => {
    const bad = runCheck('check-munmap-pgtables', { inject: ['vma-start-read-skip-lock-seq-recheck'] });
    expect(verdict(bad)).toBe('unsafe:vma-write-exclusion');
    expect(bad.violation!.message).toBe('T1 holds the VMA read lock of vma[0:a] while T2 holds it write-locked (vma_start_write)');
    expect(bad.violation!.steps.map((s) => `${s.taskName} ${s.what}`)).toEqual([
      'T1 start fault(a, page 0, write, zero)', 'T1 lock_vma_under_rcu(mm, addr)', 'T2 mmap_write_lock(mm)', 'T2 vma_start_write(vma)', 'T1 vma_start_read(mm, vma)',
    ]);
    const again = runCheck('check-munmap-pgtables', { inject: ['vma-start-read-skip-lock-seq-recheck'], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
  });
});
