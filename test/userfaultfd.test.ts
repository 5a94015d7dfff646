/**
 * Issue 13a: userfaultfd's ioctls under per-VMA locks (mm/userfaultfd.c,
 * 867a43a34ff8, v6.9): UFFDIO_COPY (uffd_mfill_lock, mfill_atomic_install_pte)
 * and UFFDIO_MOVE (uffd_move_lock, move_pages_pte), and the pre-merge locking
 * syzbot reported ("possible deadlock in lock_vma") as a mutation.
 */
import { describe, expect, it } from 'vitest';
import { checkScenarioFromObject, decodeSchedule, loadCheckScenario } from '../src/check/index.js';
import { ScenarioError } from '../src/scenario/errors.js';
import { runCheck, verdict } from './check-helpers.js';
import { handRun } from './check-handrun.js';

describe('UFFDIO_COPY (mfill_atomic)', () => {
  it('into a VMA with no anon_vma: lock_vma_under_rcu succeeds, uffd_lock_vma gives it up, and the fallback prepares the anon_vma under mmap_read_lock and read-locks the VMA (vma_start_read_locked); the page becomes present', () => {
    const r = handRun('check-uffd-copy');
    const heap = r.ex.mm.vmas[0]!;
    expect(heap.anon_vma).toBeNull();
    const seen: string[] = [];
    const copy = r.task('copy');
    for (let i = 0; i < 40 && copy.state !== 2; i++) {
      seen.push(copy.pending);
      r.step('copy');
    }
    expect(copy.state).toBe(2);
    expect(seen).toEqual([
      'start', 'vma_start_read(mm, vma)', 'vma_end_read(vma)', 'mmap_read_lock(mm)', '__anon_vma_prepare(vma)', 'mmap_read_unlock(mm)',
      'mfill_atomic_install_pte: pte_offset_map_lock(dst_mm, dst_pmd, dst_addr, &ptl)', 'vma_end_read(vma)',
      'wake_userfault(ctx, &range): waitqueue_active(&ctx->fault_pending_wqh)', // userfaultfd_copy: the range's userfaults woken
    ]);
    expect(heap.anon_vma).not.toBeNull();
    expect(heap.folio_anon_vmas).toEqual([heap.anon_vma]); // folio_add_new_anon_rmap
    expect([heap.anon_ptes_mapped, heap.anon_ptes_writable, heap.nrReaders, heap.readers.length]).toEqual([1, 1, 0, 0]);
    expect([...r.ex.obsOf.get(heap)!.anonPtes]).toEqual([0]); // set_pte_at: page 0 maps an anonymous folio
    expect(r.events).toEqual([]);
    expect(r.violation).toBeNull();
  });

  it('into a VMA that has an anon_vma: the VMA lock alone, no mmap_lock', () => {
    const sc = checkScenarioFromObject({
      name: 'copy-faulted', description: 'UFFDIO_COPY into a faulted VMA',
      vmas: [{ name: 'heap', kind: 'anon', anon_vma: true, pages: 2 }],
      threads: [{ name: 'copy', ops: [{ op: 'uffdio_copy', vma: 'heap', page: 1 }] }],
    });
    const r = handRun(sc);
    const seen: string[] = [];
    const copy = r.task('copy');
    for (let i = 0; i < 40 && copy.state !== 2; i++) {
      seen.push(copy.pending);
      r.step('copy');
    }
    expect(seen.filter((s) => s.startsWith('mmap_'))).toEqual([]);
    expect(r.ex.mm.vmas[0]!.anon_ptes_mapped).toBe(1);
  });

  it('check-uffd-copy: safe with a complete search (the split waits for the copy\'s VMA read lock)', () => {
    const rep = runCheck('check-uffd-copy');
    expect([verdict(rep), rep.complete]).toEqual(['safe', true]);
  });
});

describe('UFFDIO_MOVE (move_pages)', () => {
  it('moves the page: the source PTE is cleared, the destination maps the folio, whose anon_vma is now the destination\'s (folio_move_anon_rmap)', () => {
    const r = handRun('check-uffd-move');
    const [dst, src] = r.ex.mm.vmas as [NonNullable<(typeof r.ex.mm.vmas)[0]>, NonNullable<(typeof r.ex.mm.vmas)[0]>];
    expect(dst.anon_vma).not.toBe(src.anon_vma);
    r.finish('move');
    expect([...r.ex.obsOf.get(src)!.anonPtes]).toEqual([1]);
    expect([...r.ex.obsOf.get(dst)!.anonPtes].sort()).toEqual([0, 1]);
    expect(dst.folio_anon_vmas).toEqual([dst.anon_vma]);
    expect([dst.anon_ptes_mapped, dst.nrReaders, src.nrReaders]).toEqual([1, 0, 0]);
    expect(r.violation).toBeNull();
  });

  it('with the source write-locked by mprotect, uffd_move_lock drops the destination\'s VMA lock before it waits for mmap_read_lock; the pre-merge locking waits holding it', () => {
    for (const inject of [false, true]) {
      const r = handRun('check-uffd-move', inject ? ['uffd-move-lock-src-fallback'] : []);
      const dst = r.ex.mm.vmas[0]!;
      r.until('move', 'vma_start_read(mm, vma)'); // the destination
      r.step('move'); // read-locked
      expect(dst.readers).toEqual([r.task('move')]);
      r.until('mprotect', 'vma_start_write(vma)');
      r.step('mprotect'); // src write-locked under mmap_write_lock
      r.run('move'); // lock_vma_under_rcu(src) fails (VMA_LOCK_ABORT); the move sleeps in mmap_read_lock
      expect([r.task('move').state, r.task('move').pending]).toEqual([1, 'woken in down_read(mm->mmap_lock)']);
      expect(dst.readers).toEqual(inject ? [r.task('move')] : []);
      expect(r.events).toEqual(['VMA_LOCK_ABORT']);
      if (inject) expect(r.violation?.message).toMatch(/^lock order inversion: move in ioctl\(UFFDIO_MOVE, src page 0 -> dst page 0\) takes mmap_lock while holding vma_lock, but mprotect in mprotect\(src\) took vma_lock while holding mmap_lock/);
      else {
        expect(r.violation).toBeNull();
        r.finish('mprotect');
        r.finish('move'); // both VMAs read-locked under mmap_read_lock, the page moved
        expect([...r.ex.obsOf.get(dst)!.anonPtes].sort()).toEqual([0, 1]);
        expect(r.violation).toBeNull();
      }
    }
  });

  it('check-uffd-move: --inject uffd-move-lock-src-fallback is a lock-order inversion, shrunk and replayed; the merged locking is safe with a complete search', () => {
    const post = runCheck('check-uffd-move');
    expect([verdict(post), post.complete]).toEqual(['safe', true]);
    const bad = runCheck('check-uffd-move', { inject: ['uffd-move-lock-src-fallback'] });
    expect(verdict(bad)).toBe('unsafe:lock-order');
    const v = bad.violation!;
    expect(v.message).toMatch(/takes mmap_lock while holding vma_lock/);
    expect(v.steps.length).toBeLessThan(v.foundSteps);
    expect(v.threads).toEqual(['move', 'mprotect']); // the fault is shrunk away
    const again = runCheck('check-uffd-move', { inject: ['uffd-move-lock-src-fallback'], mode: { kind: 'replay', schedule: decodeSchedule(v.schedule) } });
    expect(again.violation!.message).toBe(v.message);
  });

  it('the scenario loader refuses a move out of a file VMA and a copy into a shared one', () => {
    const base = loadCheckScenario('check-uffd-move');
    expect(base.threads[0]!.ops[0]).toEqual({ op: 'uffdio_move', vma: ['dst'], page: 0, src_vma: 'src', src_page: 0 });
    const load = (vmas: unknown[], op: unknown): string => {
      try {
        checkScenarioFromObject({ name: 'x', description: 'x', vmas, threads: [{ name: 't', ops: [op] }] });
        return 'ok';
      } catch (e) {
        return e instanceof ScenarioError ? e.message : String(e);
      }
    };
    expect(load([{ name: 'a', kind: 'anon' }, { name: 'f', kind: 'file' }], { op: 'uffdio_move', vma: 'a', src_vma: 'f' }))
      .toMatch(/uffdio_move moves anonymous pages of a private VMA; 'f' is file/);
    expect(load([{ name: 's', kind: 'anon', shared: true }], { op: 'uffdio_copy', vma: 's' }))
      .toMatch(/uffdio_copy into a shared VMA \('s'\) is not modelled/);
    expect(load([{ name: 'a', kind: 'anon' }], { op: 'uffdio_move', vma: 'a', src_vma: 'b' })).toMatch(/unknown VMA 'b'/);
  });
});
