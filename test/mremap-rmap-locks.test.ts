/**
 * mremap's rmap locks (src/model/mremap.ts move_page_tables, take_rmap_locks;
 * mm/mremap.c move_ptes, mm/vma.c copy_vma's need_rmap_locks) against
 * reclaim's anonymous rmap walk (src/model/rmap_walk.ts try_to_unmap_anon,
 * in the interval tree's vm_pgoff order): hand-built interleavings with
 * exact outcomes, and the checker finding --inject mremap-skip-rmap-locks
 * (shrunk, replayed) and the fixed locking safe with a complete search.
 */
import { describe, expect, it } from 'vitest';
import { decodeSchedule, loadCheckScenario, type CheckScenario } from '../src/check/index.js';
import { handRun } from './check-handrun.js';
import { runCheck, verdict } from './check-helpers.js';

const WALK = 'try_to_unmap_one: page_vma_mapped_walk(&pvmw) (anon)';
/** The step of move_vma that charges move_page_tables (Cost.copy_pte) and then moves the PTEs. */
const MOVE = 'copy_page_range(dst_vma, src_vma)';
const MISS = "kswapd's rmap walk of anon_vma[0] (the folio at page offset 2) observes its PTE in none of the VMAs it visits (vma[3:heap], vma[2:heap]), though the folio stays mapped: it is mapped in vma[3:heap] now: mremap's move_ptes moved the PTE there after the walk had visited that VMA, and out of the one the walk visited after it";

/** The VMAs of the mm: label, range, vm_pgoff. */
const shape = (h: ReturnType<typeof handRun>): string[] => h.ex.mm.vmas.map((v) => `${v.label} [${v.vm_start},${v.vm_end}) pgoff ${v.vm_pgoff}`);

describe('move_ptes and need_rmap_locks against try_to_unmap of an anonymous folio', () => {
  it('the move back merges into the piece below (vm_pgoff 0 <= 2: need_rmap_locks): the move sleeps in take_rmap_locks until the walk ends, which unmaps the folio at its old place', () => {
    const h = handRun('check-mremap-rmap-locks');
    h.until('T1', MOVE); // the first mremap's move (a new VMA: no rmap locks)
    h.step('T1');
    h.until('T1', MOVE); // the second one's, after copy_vma merged the range into the piece below
    expect(shape(h)).toEqual(['vma[3:heap] [16,22) pgoff 0', 'vma[2:heap] [22,24) pgoff 2']);
    h.until('kswapd', WALK);
    h.step('kswapd'); // visits vma[3:heap] first (vm_pgoff 0): its PTE for page offset 2 has not arrived
    expect(h.task('kswapd').pending).toBe(WALK);
    h.step('T1');
    expect([h.task('T1').state, h.task('T1').pending]).toEqual([1, 'woken in down_write(anon_vma[0]->rwsem)']);
    h.finish('kswapd'); // visits vma[2:heap]: the PTE is still there, and becomes a swap entry
    expect(h.ex.mm.vmas[1]!.swapped.has(2)).toBe(true);
    h.finish('T1');
    expect(shape(h)).toEqual(['vma[3:heap] [16,22) pgoff 0']);
    expect(h.violation).toBeNull();
  });

  it('--inject mremap-skip-rmap-locks: the move runs between the two visits, and the walk observes the PTE in neither VMA (anon-vma)', () => {
    const h = handRun('check-mremap-rmap-locks', ['mremap-skip-rmap-locks']);
    h.until('T1', MOVE);
    h.step('T1');
    h.until('T1', MOVE);
    h.until('kswapd', WALK);
    h.step('kswapd');
    h.step('T1'); // no take_rmap_locks: the PTE moves to vma[3:heap], which the walk has visited
    expect(h.task('T1').state).toBe(0);
    h.finish('kswapd');
    expect(h.ex.mm.vmas[1]!.swapped.has(2)).toBe(false); // nothing was unmapped
    expect(h.violation!.message).toBe(MISS);
  });

  it('the first move (a new VMA, vm_pgoff 2, after heap in the tree) takes no rmap lock, and a walk between its visits still sees the PTE', () => {
    const sc = structuredClone(loadCheckScenario('check-mremap-rmap-locks')) as CheckScenario;
    (sc.threads[1]!.ops[0] as { page: number }).page = 2; // kswapd: the folio at page 2, which the first mremap moves to page 6
    for (const inject of [[], ['mremap-skip-rmap-locks' as const]]) {
      const h = handRun(sc, inject);
      h.until('T1', MOVE);
      h.until('kswapd', WALK);
      h.step('kswapd'); // visits heap (vm_pgoff 0) first: the PTE is there, now a swap entry
      h.step('T1'); // the move does not wait for the walk; the split of the source that follows (anon_vma_clone) does
      expect([h.ex.mm.pte_move_done, h.task('T1').state, h.task('T1').pending]).toEqual([2, 1, 'woken in down_write(anon_vma[0]->rwsem)']);
      h.finish('kswapd'); // then the new VMA (vm_pgoff 2): the PTE moved there (the swap entry, in the model's shared page state)
      h.finish('T1');
      expect(h.violation).toBeNull();
    }
  });
});

describe('the checker on check-mremap-rmap-locks', () => {
  it('fixed: safe and complete; --inject mremap-skip-rmap-locks: anon-vma, shrunk and replayed', () => {
    const post = runCheck('check-mremap-rmap-locks');
    expect([verdict(post), post.complete, post.stats.executions]).toEqual(['safe', true, 171]);
    const bad = runCheck('check-mremap-rmap-locks', { inject: ['mremap-skip-rmap-locks'] });
    expect(verdict(bad)).toBe('unsafe:anon-vma');
    expect(bad.violation!.message).toBe(MISS);
    expect([bad.stats.executions, bad.violation!.foundSteps, bad.violation!.steps.length]).toEqual([14, 39, 35]);
    const again = runCheck('check-mremap-rmap-locks', { inject: ['mremap-skip-rmap-locks'], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(MISS);
  }, 120_000);
});
