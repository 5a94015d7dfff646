/**
 * v7.0's vma_start_read on a VMA object another mm reused takes a transient
 * vm_refcnt reference before it sees vm_mm differ (err_unstable); a writer of
 * that other mm (vma_start_write -> __vma_enter_locked, or
 * vma_mark_detached) waits until vma_refcount_put drops it.
 */
import { describe, expect, it } from 'vitest';
import { checkScenarioFromObject, decodeSchedule, loadCheckScenario, type CheckScenario } from '../src/check/index.js';
import { runCheck, verdict } from './check-helpers.js';
import { handRun } from './check-handrun.js';

/** check-vma-reuse-mm, and B's thread then unmaps its VMA (write-locking every piece, the reused object too). */
function withWriter(): CheckScenario {
  const sc = loadCheckScenario('check-vma-reuse-mm');
  const split = sc.threads.find((t) => t.name === 'split')!;
  return checkScenarioFromObject({
    name: 'reuse-writer', description: 'check-vma-reuse-mm, then B unmaps its VMA',
    nondet: sc.nondet,
    vmas: [{ name: 'a', kind: 'anon', anon_vma: true, pages: 2 }, { name: 'b', kind: 'anon', anon_vma: true, pages: 4, process: 'B' }],
    threads: [
      { name: 'fault', ops: [{ op: 'fault', vma: 'a', page: 0, access: 'write', state: 'zero' }] },
      { name: 'unmap', ops: [{ op: 'munmap', vma: 'a' }] },
      { name: 'split', process: 'B', ops: [{ op: 'mprotect', vma: 'b', page: 1, pages: 3, prot: 'r' }, { op: 'munmap', vma: 'b' }] },
    ],
  }, split.name);
}

describe('a writer of the other mm waits for the transient reference', () => {
  it('B\'s munmap write-locks the reused object while the fault of A holds its transient reference: vma_start_write sleeps until vma_refcount_put', () => {
    const r = handRun(withWriter(), [], 1); // every vm_area_alloc reuses a freed object
    r.until('fault', 'vma_start_read(mm, vma)'); // looked up vma a
    const obj = r.ex.mm.vmas[0]!;
    r.run('unmap'); // a detached and freed
    r.until('split', 'mmap_write_unlock(mm)'); // the split's new piece reused the object
    const mmB = r.ex.mms.get('B')!;
    expect([obj.mm, obj.freed]).toEqual([mmB, false]);
    r.until('fault', 'vma_refcount_put(vma)'); // err_unstable: the reference is held
    expect([obj.nrReaders, obj.readers.length, mmB.mm_count]).toEqual([1, 0, 2]);
    r.run('split'); // mprotect ends; munmap write-locks the pieces and sleeps on the reused one
    expect(r.task('split').state).toBe(1);
    expect([obj.writerWaiting, obj.excludeReaders]).toEqual([r.task('split'), true]);
    r.step('fault'); // vma_refcount_put: the last reference goes, the writer is woken
    expect([obj.nrReaders, obj.writerWaiting, r.task('split').state]).toEqual([0, null, 0]);
    r.run('fault');
    r.run('split');
    expect([r.task('fault').state, r.task('split').state]).toEqual([2, 2]);
    expect([mmB.vmas.length, mmB.mm_count, obj.freed]).toEqual([1, 1, true]); // munmap(b) unmapped the piece at b's start: the reused object
    expect(r.events).toEqual(['VMA_LOCK_ABORT', 'FAULT_SIGSEGV']);
    expect(r.violation).toBeNull();
  });

  it('the checker: safe with a complete search (no model assertion: no VMA is freed under a reference)', () => {
    const rep = runCheck(withWriter());
    expect(verdict(rep)).toBe('safe');
    expect(rep.complete).toBe(true);
  });

  it('--inject vma-mark-detached-skip-refcnt-wait: B\'s exit frees the reused object under A\'s transient reference (use-after-free), shrunk and replayed; fixed: safe, complete', () => {
    const inject = ['vma-mark-detached-skip-refcnt-wait'] as const;
    const post = runCheck('check-vma-reuse-mm-exit');
    expect([verdict(post), post.complete]).toEqual(['safe', true]);
    const bad = runCheck('check-vma-reuse-mm-exit', { inject: [...inject] });
    expect(verdict(bad)).toBe('unsafe:use-after-free');
    expect(bad.violation!.message).toMatch(/^B frees vma\[\d+:b\] \(vm_area_free\) while a vm_refcnt reference is still held on it/);
    const steps = bad.violation!.steps;
    expect(steps.length).toBeLessThanOrEqual(bad.violation!.foundSteps);
    // The reader's transient reference comes after B write-locked the reused object and before B frees it.
    const read = steps.findIndex((s) => s.what.startsWith('vma_start_read'));
    expect(read).toBeGreaterThan(steps.findIndex((s) => s.taskName === 'B'));
    const again = runCheck('check-vma-reuse-mm-exit', { inject: [...inject], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
  }, 120_000);
});
