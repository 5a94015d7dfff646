/**
 * A file's i_mmap_rwsem on the VMA paths that change its i_mmap tree
 * (src/model/i_mmap.ts: vma_prepare / vma_complete of a split or merge,
 * vma_link_file of a new mapping) and on reclaim's try_to_unmap
 * (rmap_walk_file, read), and lockdep's fs_reclaim class: who waits for
 * whom in hand-built interleavings, then 1c7873e33645's order inversion
 * found, shrunk and replayed by the checker, and the fixed order safe with
 * a complete search.
 */
import { describe, expect, it } from 'vitest';
import { decodeSchedule, parseCheckScenario } from '../src/check/index.js';
import { handRun } from './check-handrun.js';
import { runCheck, verdict } from './check-helpers.js';

const UNMAP_ONE = 'try_to_unmap_one: page_vma_mapped_walk(&pvmw)';
const WAIT_WRITE = 'woken in down_write(lib:mapping->i_mmap_rwsem)';

/** kswapd unmaps page 0 of a 3-page file VMA while T1 madvise(MADV_RANDOM)s its middle page (two splits). */
const SPLIT = parseCheckScenario(`
name: i-mmap-split
description: kswapd unmaps page 0 of a file VMA while T1 madvises its middle page (two splits).
vmas:
  - { name: lib, kind: file, pages: 3 }
threads:
  - name: T1
    ops:
      - { op: madvise, vma: lib, page: 1, pages: 1, advice: random }
  - name: kswapd
    ops:
      - { op: try_to_unmap, vma: lib, page: 0 }
`, 'i-mmap-split');

describe('i_mmap_rwsem: who waits for whom', () => {
  it('munmap of the file VMA waits in unlink_file_vma while reclaim walks the file under i_mmap_lock_read (the walk still visits the detached VMA); the new mapping then links under the free lock', () => {
    // Until issue 13b modelled free_pgtables' unlink_file_vma, the munmap went through and the new
    // mapping was the one to wait (in vma_link_file).
    const r = handRun('check-mmap-file-lock-order');
    r.until('kswapd', UNMAP_ONE); // i_mmap_lock_read held; the walk is at lib's VMA
    const lib = r.ex.mm.vmas.find((v) => v.group === 'lib')!;
    const mapping = lib.mapping!;
    const sem = mapping.i_mmap_rwsem;
    expect(sem.readers.map((t) => t.comm)).toEqual(['kswapd']);
    r.run('T2'); // munmap: detach, vma_iter_clear, downgrade, zap; free_pgtables -> unlink_file_vma sleeps
    const t2 = r.task('T2');
    expect([t2.state, t2.pending]).toEqual([1, WAIT_WRITE]);
    expect(sem.queue().map((q) => [q.task.comm, q.write])).toEqual([['T2', true]]);
    expect([lib.detached, lib.mapping === mapping, r.ex.mm.vmas.some((v) => v.group === 'lib')]).toEqual([true, true, false]); // out of the mm's tree, still in the i_mmap tree
    expect(r.ex.mm.mmap_lock.readers.map((t) => t.comm)).toEqual(['T2']); // after the downgrade
    r.finish('kswapd'); // visits lib; i_mmap_unlock_read hands the lock to T2
    expect(sem.writer?.comm).toBe('T2');
    expect(t2.state).toBe(0);
    r.finish('T2'); // unlink_file_vma, free_pgtables, remove_vma; then mmap: vma_link_file takes the lock at once
    const nw = r.ex.mm.vmas.find((v) => v.group === 'lib')!;
    expect(nw).not.toBe(lib);
    expect([nw.mapping === mapping, lib.mapping, mapping.i_mmap_removed.length, mapping.i_mmap_removed[0] === lib]).toEqual([true, null, 1, true]);
    expect([sem.writer, sem.readers.length, r.task('T2').iMmapLocks, r.task('kswapd').iMmapLocks]).toEqual([null, 0, 0, 0]);
    expect(r.violation).toBeNull();
  });

  it('try_to_unmap takes i_mmap_rwsem only when a VMA maps the file there, and visits each VMA mapping the page once', () => {
    const r = handRun('check-mmap-file-lock-order');
    r.until('T2', 'mmap_write_lock(mm)'); // the munmap is done (the next op's lock is pending)
    expect(r.ex.mm.vmas.map((v) => v.group)).toEqual(['heap']);
    r.step('kswapd'); // start: nothing maps lib's page: no lock, the op ends
    expect(r.task('kswapd').state).toBe(2);
    const r2 = handRun('check-mmap-file-lock-order');
    r2.until('kswapd', UNMAP_ONE);
    r2.step('kswapd'); // the one VMA (lib) unmapped; then i_mmap_unlock_read
    expect(r2.task('kswapd').pending).toBe('rmap_walk_file: i_mmap_unlock_read(mapping)');
    r2.finish('kswapd');
    expect(r2.violation).toBeNull();
  });

  it('a split of a file VMA waits in vma_prepare for the walk, with the VMA unchanged; then both splits run under the lock and the three pieces share the mapping', () => {
    const r = handRun(SPLIT);
    r.until('kswapd', UNMAP_ONE);
    const lib = r.ex.mm.vmas[0]!;
    const mapping = lib.mapping!;
    r.run('T1');
    expect([r.task('T1').state, r.task('T1').pending]).toEqual([1, WAIT_WRITE]);
    expect([lib.vm_start, lib.vm_end, r.ex.mm.vmas.length]).toEqual([0x10, 0x13, 1]); // vma_prepare comes before any change
    r.finish('kswapd');
    r.finish('T1');
    expect(r.ex.mm.vmas.map((v) => [v.vm_start, v.vm_end, v.mapping === mapping])).toEqual([[0x10, 0x11, true], [0x11, 0x12, true], [0x12, 0x13, true]]);
    expect([mapping.i_mmap_rwsem.writer, mapping.i_mmap_rwsem.readers.length]).toEqual([null, 0]);
    expect(r.violation).toBeNull();
  });
});

describe('lockdep: vm_lock -> fs_reclaim -> i_mmap_rwsem, and 1c7873e33645', () => {
  it('the fixed order: the fault allocates under the VMA read lock, kswapd takes i_mmap_rwsem under fs_reclaim, mmap takes it under mmap_lock only', () => {
    const r = handRun('check-mmap-file-lock-order');
    r.finish('T1');
    r.finish('kswapd');
    r.finish('T2');
    expect([...r.ex.lockEdges.keys()].sort()).toEqual([
      'fs_reclaim->i_mmap_rwsem', 'mmap_lock->i_mmap_rwsem', 'mmap_lock->vma_lock', 'vma_lock->fs_reclaim',
    ]);
    expect(r.violation).toBeNull();
  });

  it('the pre-fix order closes the cycle at the new VMA\'s vma_start_write under i_mmap_lock_write', () => {
    const r = handRun('check-mmap-file-lock-order', ['mmap-i-mmap-lock-before-vma-write-lock']);
    r.finish('T1');
    r.finish('kswapd');
    expect(r.violation).toBeNull();
    r.run('T2');
    expect(r.violation).toEqual({
      invariant: 'lock-order',
      message: 'circular locking dependency: T2 in mmap(lib) takes vma_lock while holding i_mmap_rwsem, but T1 in fault(heap, page 0, write, zero) took fs_reclaim while holding vma_lock, and kswapd in try_to_unmap(lib, page 0) took i_mmap_rwsem while holding fs_reclaim',
    });
  });

  it('check-mmap-file-lock-order: safe with a complete search; the pre-1c7873e33645 order is a lock-order violation, shrunk and replayed', () => {
    const post = runCheck('check-mmap-file-lock-order');
    expect(verdict(post)).toBe('safe');
    expect([post.stats.executions, post.stats.newSteps]).toEqual([380, 3606]); // 497 / 4,808 before source-set DPOR (issue 15); 500 / 4,825 before munmap's unlink_file_vma took i_mmap_rwsem (issue 13b: the munmap now waits for the walk)
    const bad = runCheck('check-mmap-file-lock-order', { inject: ['mmap-i-mmap-lock-before-vma-write-lock'] });
    expect(verdict(bad)).toBe('unsafe:lock-order');
    expect(bad.violation!.message).toMatch(/^circular locking dependency: T2 in mmap\(lib\) takes vma_lock while holding i_mmap_rwsem/);
    expect(bad.violation!.steps.length).toBeLessThan(bad.violation!.foundSteps);
    const again = runCheck('check-mmap-file-lock-order', { inject: ['mmap-i-mmap-lock-before-vma-write-lock'], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
  });

  it('every fault strategy with per-VMA locks: safe without the mutation, the inversion with it; pre-vma faults hold no VMA lock, so no cycle closes', () => {
    for (const fault of ['hold-io', 'retry-vma']) {
      expect(verdict(runCheck('check-mmap-file-lock-order', { fault })), fault).toBe('safe');
      expect(verdict(runCheck('check-mmap-file-lock-order', { fault, inject: ['mmap-i-mmap-lock-before-vma-write-lock'], shrink: false })), fault).toBe('unsafe:lock-order');
    }
    expect(verdict(runCheck('check-mmap-file-lock-order', { fault: 'pre-vma', inject: ['mmap-i-mmap-lock-before-vma-write-lock'] }))).toBe('safe');
  });
});
