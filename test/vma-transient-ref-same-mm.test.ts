/**
 * Issue 13a: the transient vm_refcnt reference a reader of the SAME mm
 * takes. vma_start_read (include/linux/mmap_lock.h, v6.15+) increments
 * vm_refcnt before its vm_lock_seq re-check; when its own mm's writer
 * (munmap) holds the VMA write-locked, the re-check fails and
 * vma_refcount_put drops the reference, waking the writer if it waits in
 * vma_mark_detached -> __vma_enter_locked(vma, true).
 */
import { describe, expect, it } from 'vitest';
import { decodeSchedule } from '../src/check/index.js';
import { runCheck, verdict } from './check-helpers.js';
import { handRun } from './check-handrun.js';

const SC = 'check-munmap-transient-ref';

describe('the transient reference of a reader of the same mm (vma_start_read, vma_refcount_put, vma_mark_detached)', () => {
  it('munmap\'s vma_mark_detached waits for the fault\'s transient reference until vma_refcount_put; the fault counts VMA_LOCK_ABORT and falls back to mmap_lock (SIGSEGV: the VMA is gone)', () => {
    const r = handRun(SC);
    r.until('fault', 'vma_start_read(mm, vma)'); // mas_walk found vma a
    const vma = r.ex.mm.vmas[0]!;
    r.until('unmap', 'vma_mark_detached(vma)'); // munmap write-locked a
    r.ex.lockEdges.clear(); // (vma_start_write's mmap_lock -> vma_lock edge: the wait below records its own)
    r.step('fault'); // vma_start_read: increment, then the vm_lock_seq re-check fails
    expect([vma.nrReaders, vma.readers.length]).toEqual([1, 0]); // a reference, not a read lock
    expect(r.task('fault').pending).toBe('vma_refcount_put(vma)');
    expect(r.events).toEqual(['VMA_LOCK_ABORT']);
    r.step('unmap'); // vma_mark_detached: refcount_dec_and_test fails: __vma_enter_locked waits
    expect(r.task('unmap').state).toBe(1);
    expect([vma.detached, vma.excludeReaders, vma.writerWaiting]).toEqual([true, true, r.task('unmap')]);
    expect([...r.ex.lockEdges.keys()]).toEqual(['mmap_lock->vma_lock']); // lockdep: __vma_enter_locked's rwsem_acquire
    r.step('fault'); // vma_refcount_put: the last reference goes, rcuwait_wake_up wakes munmap
    expect([vma.nrReaders, vma.writerWaiting, vma.excludeReaders, r.task('unmap').state]).toEqual([0, null, true, 0]);
    r.finish('unmap');
    expect(vma.freed).toBe(true);
    r.finish('fault'); // lock_mmap: lock_mm_and_find_vma finds nothing
    expect(r.events).toEqual(['VMA_LOCK_ABORT', 'FAULT_SIGSEGV']);
    expect(r.violation).toBeNull();
  });

  it('with --inject vma-mark-detached-skip-refcnt-wait munmap does not wait and frees the VMA under the reference (use-after-free at vm_area_free)', () => {
    const r = handRun(SC, ['vma-mark-detached-skip-refcnt-wait']);
    r.until('fault', 'vma_start_read(mm, vma)');
    const vma = r.ex.mm.vmas[0]!;
    r.until('unmap', 'vma_mark_detached(vma)');
    r.step('fault');
    r.run('unmap');
    expect(vma.freed).toBe(true);
    expect(r.violation?.invariant).toBe('use-after-free');
    expect(r.violation?.message).toMatch(/^unmap frees vma\[0:a\] \(vm_area_free\) while a vm_refcnt reference is still held on it/);
  });

  it('a reader that finds the VMA write-locked by a writer that does not detach it (mprotect): nobody waits for the reference; after vma_refcount_put the fault falls back to mmap_lock and maps its page', () => {
    const r = handRun('check-mprotect-fault');
    r.until('T1', 'vma_start_read(mm, vma)');
    const vma = r.ex.mm.vmas[0]!;
    r.until('mprotect', 'mmap_write_unlock(mm)'); // the VMA is write-locked
    r.step('T1'); // the transient reference; the re-check fails
    expect([vma.nrReaders, vma.readers.length, r.task('T1').pending]).toEqual([1, 0, 'vma_refcount_put(vma)']);
    r.finish('mprotect'); // mmap_write_unlock: vma_end_write_all; nothing waited for the reference
    r.step('T1'); // vma_refcount_put
    expect([vma.nrReaders, vma.writerWaiting]).toEqual([0, null]);
    r.finish('T1');
    expect(r.events).toEqual(['VMA_LOCK_ABORT']);
    expect(r.violation).toBeNull();
  });

  it('the checker finds the injected wait-skip on the same-mm scenario (shrunk, replayed); the kernel\'s locking is safe with a complete search', () => {
    const post = runCheck(SC);
    expect([verdict(post), post.complete]).toEqual(['safe', true]);
    const bad = runCheck(SC, { inject: ['vma-mark-detached-skip-refcnt-wait'] });
    expect(verdict(bad)).toBe('unsafe:use-after-free');
    const v = bad.violation!;
    expect(v.message).toMatch(/^unmap frees vma\[0:a\] \(vm_area_free\) while a vm_refcnt reference is still held on it/);
    expect(v.steps.length).toBeLessThanOrEqual(v.foundSteps);
    // The fault's vma_start_read comes after munmap's vma_start_write and before its vma_mark_detached.
    const what = v.steps.map((s) => `${s.taskName}:${s.what}`);
    const read = what.indexOf('fault:vma_start_read(mm, vma)');
    expect(read).toBeGreaterThan(what.indexOf('unmap:vma_start_write(vma)'));
    expect(read).toBeLessThan(what.indexOf('unmap:vma_mark_detached(vma)'));
    const again = runCheck(SC, { inject: ['vma-mark-detached-skip-refcnt-wait'], mode: { kind: 'replay', schedule: decodeSchedule(v.schedule) } });
    expect(again.violation!.message).toBe(v.message);
  });
});
