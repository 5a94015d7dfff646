/**
 * vma_expand (mm/vma.c) write-locks the VMA it expands and the next VMA it
 * swallows: mmap of a hole between two pieces of one mapping merges them
 * (vma_merge_new_range -> vma_expand) while faults hold both pieces' VMA
 * read locks. Exact outcomes of a hand-built interleaving, then the checker
 * on check-mmap-expand with and without vma-expand-skip-write-lock.
 */
import { describe, expect, it } from 'vitest';
import { decodeSchedule, loadCheckScenario, type CheckScenario } from '../src/check/index.js';
import { runCheck, verdict } from './check-helpers.js';
import { handRun } from './check-handrun.js';

/** check-mmap-expand with a second fault, on the head piece (the VMA vma_expand grows). */
function withHead(): CheckScenario {
  const sc = loadCheckScenario('check-mmap-expand');
  return { ...sc, threads: [{ name: 'head', process: '', ops: [{ op: 'fault', vma: ['lib'], page: 0, access: 'read', state: ['cached'] }] }, ...sc.threads] };
}

const LOCKED = 'handle_mm_fault(vma, addr, flags); do_read_fault'; // after vma_start_read: the VMA read lock is held

describe('mmap merging into both neighbours while faults hold them', () => {
  it('vma_expand waits for the reader of the VMA it expands, then for the reader of the VMA it swallows; one VMA is left', () => {
    const r = handRun(withHead());
    r.until('M', '__mmap_region(file, addr, len)'); // munmap of page 1 done; mmap holds mmap_lock for write
    const [head, tail] = r.ex.mm.vmas;
    r.until('head', LOCKED); // VMA read lock of the head piece
    r.until('tail', LOCKED); // and of the tail piece
    expect([head!.readers.length, tail!.readers.length]).toEqual([1, 1]);
    r.run('M');
    expect(r.task('M').state).toBe(1); // asleep in vma_start_write(head)
    expect(head!.writerWaiting).toBe(r.task('M'));
    r.run('head');
    r.run('M');
    expect(r.task('M').state).toBe(1); // now waiting for the tail's reader
    expect([head!.writerWaiting, tail!.writerWaiting]).toEqual([null, r.task('M')]);
    expect(r.ex.mm.vmas.length).toBe(2); // nothing changed yet
    r.run('tail');
    r.run('M');
    expect(r.task('M').state).toBe(2);
    expect(r.ex.mm.vmas.map((v) => [v.vm_start - head!.vm_start, v.vm_end - head!.vm_start])).toEqual([[0, 3]]);
    expect(r.ex.mm.vmas[0]).toBe(head);
    expect([tail!.detached, tail!.freed]).toEqual([true, true]);
    expect(r.events).toEqual(['VMA_LOCK_SUCCESS', 'VMA_LOCK_SUCCESS']);
    expect(r.violation).toBeNull();
  });

  it('with vma-expand-skip-write-lock the head grows under its reader: vma_assert_write_locked fails', () => {
    const r = handRun(withHead(), ['vma-expand-skip-write-lock']);
    r.until('M', '__mmap_region(file, addr, len)');
    r.until('head', LOCKED);
    r.run('M');
    expect(r.violation?.invariant).toBe('vma-write-exclusion');
    expect(r.violation?.message).toMatch(/^M changes the range of vma\[\d+:lib\] without holding its VMA write lock/);
  });
});

describe('the checker: vma_expand write locks', () => {
  it('check-mmap-expand: safe, complete; vma-expand-skip-write-lock is found, shrunk and replayed', () => {
    const post = runCheck('check-mmap-expand');
    expect(verdict(post)).toBe('safe');
    expect(post.complete).toBe(true);
    const bad = runCheck('check-mmap-expand', { inject: ['vma-expand-skip-write-lock'] });
    expect(verdict(bad)).toBe('unsafe:vma-write-exclusion');
    expect(bad.violation!.message).toMatch(/M changes the range of vma\[\d+:lib\] without holding its VMA write lock/);
    expect(bad.violation!.steps.length).toBeLessThan(bad.violation!.foundSteps);
    const again = runCheck('check-mmap-expand', { inject: ['vma-expand-skip-write-lock'], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
  });
});
