/**
 * anon_vma->root->rwsem as a lock tasks wait for (src/model/rmap.ts
 * anon_vma_lock_write, src/model/i_mmap.ts vma_prepare, src/model/rmap_walk.ts
 * folio_lock_anon_vma_read): reclaim's rmap walk holds it for read across
 * its steps, and the writers of an mmap-write path sleep behind it. Exact
 * outcomes of hand-built interleavings: who waits for whom, the trylock that
 * fails behind a queued writer, and the lockdep edge of the writers.
 */
import { describe, expect, it } from 'vitest';
import { parseCheckScenario } from '../src/check/index.js';
import { handRun } from './check-handrun.js';

const REFERENCED_ONE = 'folio_referenced_one: page_vma_mapped_walk(&pvmw)';
const WAIT_WRITE = 'woken in down_write(anon_vma[0]->rwsem)';
const WAIT_READ = 'woken in down_read(anon_vma[0]->rwsem)';

/** kswapd walks the folio at page 0 of a faulted 3-page heap while T1 mprotects its middle page (split, split). */
const SPLIT = parseCheckScenario(`
name: anon-vma-lock-split
description: an rmap walk and an mprotect that splits the VMA it walks.
vmas:
  - { name: heap, kind: anon, anon_vma: true, pages: 3 }
threads:
  - name: T1
    ops:
      - { op: mprotect, vma: heap, page: 1, pages: 1, prot: r }
  - name: kswapd
    ops:
      - { op: rmap_walk, vma: heap, page: 0 }
  - name: kswapd2
    ops:
      - { op: rmap_walk, vma: heap, page: 0 }
  - name: reclaim
    ops:
      - { op: try_to_unmap, vma: heap, page: 0 }
`, 'anon-vma-lock-split');

/** After a fork (the child idle), reclaim unmaps the folio at page 0 of the heap from the parent and the child. */
const FORK = parseCheckScenario(`
name: anon-vma-lock-fork
description: try_to_unmap of a folio the parent and its fork child map.
vmas:
  - { name: heap, kind: anon, anon_vma: true, pages: 2 }
threads:
  - name: forker
    ops:
      - { op: fork }
  - name: reclaim
    ops:
      - { op: try_to_unmap, vma: heap, page: 0 }
`, 'anon-vma-lock-fork');

describe('anon_vma->root->rwsem: who waits for whom', () => {
  it("a split's anon_vma_clone sleeps while the rmap walk holds the root's rwsem for read, with the VMA unchanged; the walk's up_read hands it the lock", () => {
    const r = handRun(SPLIT);
    const heap = r.ex.mm.vmas[0]!;
    const av = heap.anon_vma!;
    r.until('kswapd', REFERENCED_ONE); // folio_lock_anon_vma_read: down_read_trylock succeeded
    expect(av.rwsem.readers.map((t) => t.comm)).toEqual(['kswapd']);
    r.run('T1'); // mprotect -> vma_modify -> __split_vma -> vm_area_dup -> anon_vma_clone: down_write sleeps
    expect([r.task('T1').state, r.task('T1').pending]).toEqual([1, WAIT_WRITE]);
    expect(av.rwsem.queue().map((q) => [q.task.comm, q.write])).toEqual([['T1', true]]);
    expect(r.ex.mm.mmap_lock.writer?.comm).toBe('T1');
    expect([heap.vm_start, heap.vm_end, r.ex.mm.vmas.length, av.vmas.length]).toEqual([0x10, 0x13, 1, 1]);
    r.finish('kswapd'); // anon_vma_unlock_read: the queued writer gets the lock
    expect(av.rwsem.writer?.comm).toBe('T1');
    r.finish('T1');
    expect(r.ex.mm.vmas.map((v) => [v.vm_start, v.vm_end, v.anon_vma === av])).toEqual([[0x10, 0x11, true], [0x11, 0x12, true], [0x12, 0x13, true]]);
    expect(av.vmas.length).toBe(3); // each piece linked to the anon_vma (anon_vma_clone)
    expect([av.rwsem.writer, av.rwsem.readers.length, av.rwsem.queue().length]).toEqual([null, 0, 0]);
    expect(r.violation).toBeNull();
  });

  it("a second walker's down_read_trylock fails behind the queued writer: folio_referenced returns at once (rwc->contended) without the lock", () => {
    const r = handRun(SPLIT);
    const av = r.ex.mm.vmas[0]!.anon_vma!;
    r.until('kswapd', REFERENCED_ONE);
    r.run('T1');
    expect(r.task('T1').state).toBe(1);
    r.finish('kswapd2');
    expect(av.rwsem.readers.map((t) => t.comm)).toEqual(['kswapd']);
    expect(av.rwsem.queue().map((q) => q.task.comm)).toEqual(['T1']);
    r.finish('kswapd');
    r.finish('T1');
    expect(r.violation).toBeNull();
  });

  it('with no walker the writers never wait, and lockdep sees anon_vma taken under mmap_lock only', () => {
    const r = handRun(SPLIT);
    r.finish('T1');
    expect(r.ex.mm.vmas.length).toBe(3);
    expect([...r.ex.lockEdges.keys()].sort()).toEqual(['mmap_lock->anon_vma', 'mmap_lock->vma_lock']);
    r.finish('kswapd'); // the walk after the split
    expect(r.violation).toBeNull();
  });

  it("try_to_unmap's trylock fails behind the queued writer and it sleeps in anon_vma_lock_read holding a reference; woken after the split, it turns page 0's PTE into a swap entry", () => {
    const r = handRun(SPLIT);
    const av = r.ex.mm.vmas[0]!.anon_vma!;
    r.until('kswapd', REFERENCED_ONE);
    r.run('T1');
    r.run('reclaim'); // down_read_trylock fails (a writer is queued): atomic_inc_not_zero, folio_mapped, anon_vma_lock_read sleeps
    expect([r.task('reclaim').state, r.task('reclaim').pending]).toEqual([1, WAIT_READ]);
    expect(av.refcount).toBe(2);
    expect(av.rwsem.queue().map((q) => [q.task.comm, q.write])).toEqual([['T1', true], ['reclaim', false]]);
    r.finish('kswapd'); // the writer at the head gets the lock, the reader behind it waits on
    expect([av.rwsem.writer?.comm, r.task('reclaim').state]).toEqual(['T1', 1]);
    r.run('T1'); // anon_vma_clone's up_write grants the reader; vma_prepare's down_write then sleeps behind it
    expect([r.task('T1').state, r.task('T1').pending]).toEqual([1, WAIT_WRITE]);
    expect(av.rwsem.readers.map((t) => t.comm)).toEqual(['reclaim']);
    expect([r.ex.mm.vmas.length, av.vmas.length]).toEqual([1, 2]); // the new piece is in the anon_vma's tree, not yet in the mm's
    r.finish('reclaim'); // visits the original VMA and the new piece (both span page offset 0)
    r.finish('T1');
    expect(r.ex.mm.vmas.map((v) => [v.vm_start, v.vm_end, v.swapped.has(0)])).toEqual([[0x10, 0x11, true], [0x11, 0x12, true], [0x12, 0x13, true]]); // the pieces share the page state
    expect(av.refcount).toBe(1);
    expect([av.rwsem.readers.length, av.rwsem.queue().length]).toEqual([0, 0]);
    expect(r.ex.lockEdges.has('fs_reclaim->anon_vma')).toBe(true); // anon_vma_lock_read under kswapd's fs_reclaim
    expect(r.violation).toBeNull();
  });

  it("try_to_unmap after a fork unmaps the folio from the parent's VMA and the child's, through the parent's anon_vma", () => {
    const r = handRun(FORK);
    r.finish('forker');
    const child = [...r.ex.mms.values()].find((m) => m !== r.ex.mm)!;
    const [p, c] = [r.ex.mm.vmas[0]!, child.vmas[0]!];
    expect([p.swapped.has(0), c.swapped.has(0)]).toEqual([false, false]);
    r.until('reclaim', 'try_to_unmap_one: page_vma_mapped_walk(&pvmw) (anon)');
    expect(p.anon_vma!.rwsem.readers.map((t) => t.comm)).toEqual(['reclaim']); // the fast path: the trylock succeeded
    r.finish('reclaim');
    expect([p.swapped.has(0), c.swapped.has(0), p.swapped.has(1), c.swapped.has(1)]).toEqual([true, true, false, false]);
    expect(r.violation).toBeNull();
  });
});
