/**
 * PT_RECLAIM (src/model/pt_reclaim.ts: a MADV_DONTNEED zap that empties a
 * whole PTE table frees it) and khugepaged's anonymous collapse_huge_page
 * (src/model/khugepaged.ts), the race 366a4532d96f fixed ("mm: fix the race
 * between collapse and PT_RECLAIM under per-vma lock"). Exact outcomes of
 * hand-built interleavings on check-collapse-pt-reclaim, then the checker
 * with and without collapse-check-pmd-before-vma-write-lock.
 */
import { describe, expect, it } from 'vitest';
import { checkScenarioFromObject, decodeSchedule } from '../src/check/index.js';
import { runCheck, verdict } from './check-helpers.js';
import { handRun } from './check-handrun.js';

const ZAP = 'zap_pte_range: pte_offset_map_lock(mm, pmd, addr, &ptl)';
const CHECK_PMD = 'collapse_huge_page: check_pmd_still_valid(mm, address, pmd)';
const FLUSH = 'collapse_huge_page: anon_vma_lock_write, pmd_lock(mm, pmd), pmdp_collapse_flush';
const PRE_FIX = 'collapse-check-pmd-before-vma-write-lock';

/** The kernel steps `comm` runs to its end, in order (it must not sleep). */
function stepsTo(r: ReturnType<typeof handRun>, comm: string): string[] {
  const t = r.task(comm);
  const out: string[] = [];
  for (let i = 0; i < 100 && t.state === 0; i++) {
    out.push(t.pending);
    r.step(comm);
  }
  return out;
}

describe('PT_RECLAIM: MADV_DONTNEED frees the PTE tables it empties', () => {
  it('only the table whose whole PMD range the zap covers is cleared from the pmd and freed (RCU-deferred: at once, no walker left)', () => {
    const r = handRun('check-collapse-pt-reclaim');
    const mm = r.ex.mm;
    const [t0, t1, t2] = [0, 1, 2].map((i) => mm.pgtables.get(i)!);
    expect([mm.vmas[0]!.vm_start, mm.vmas[0]!.vm_end]).toEqual([16, 1040]); // pmd 0 and 2 are partly outside the VMA
    r.until('T1', ZAP); // table 0 mapped under rcu_read_lock
    r.step('T1'); // table 0: zapped [16, 512), less than PMD_SIZE: kept; table 1 mapped
    expect([t0!.reclaimed, t0!.freed, mm.pgtables.get(0)]).toEqual([false, false, t0]);
    expect(t1!.rcu_readers).toBe(1);
    r.step('T1'); // table 1, the whole PMD range: try_get_and_clear_pmd under the PTL, pte_unmap_unlock, free_pte
    expect([t1!.reclaimed, t1!.retracted, t1!.freed, t1!.rcu_readers, mm.pgtables.has(1)]).toEqual([true, true, true, 0, false]);
    r.step('T1'); // table 2: [1024, 1040): kept
    expect([t2!.reclaimed, [...mm.pgtables.keys()]]).toEqual([false, [0, 2]]);
    expect(r.violation).toBeNull();
  });

  it('a file VMA registered with userfaultfd-wp keeps its tables (the zap leaves uffd-wp markers: any_skipped); so does an anonymous one with it, whose zap drops everything', () => {
    const zapOnly = (kind: 'file' | 'anon') => checkScenarioFromObject({
      name: 'x', description: 'x', vmas: [{ name: 'v', kind, pages: 1024, special: ['uffd_wp'] }],
      threads: [{ name: 'T1', ops: [{ op: 'madvise_dontneed', vma: 'v' }] }],
    });
    const file = handRun(zapOnly('file'));
    file.finish('T1');
    expect([...file.ex.mm.pgtables.keys()]).toEqual([0, 1, 2]);
    const anon = handRun(zapOnly('anon'));
    anon.finish('T1');
    expect([...anon.ex.mm.pgtables.keys()]).toEqual([0, 2]);
    expect([file.violation, anon.violation]).toEqual([null, null]);
  });

  it('a fault after the zap finds the pmd none and allocates a new table', () => {
    const r = handRun('check-collapse-pt-reclaim');
    const t1 = r.ex.mm.pgtables.get(1)!;
    r.finish('T1'); // MADV_DONTNEED, then the write fault on page 500 (address 516)
    const now = r.ex.mm.pgtables.get(1)!;
    expect(now).toBeDefined();
    expect(now).not.toBe(t1);
    expect([now.freed, now.bogus, t1.freed]).toEqual([false, false, true]);
    expect(r.violation).toBeNull();
  });
});

describe('collapse_huge_page: the anonymous collapse', () => {
  it('alone: mmap_write_lock, vma_start_write before check_pmd_still_valid (366a4532d96f), the flush; the pmd keeps its table (the THP with its deposited table)', () => {
    const r = handRun('check-collapse-pt-reclaim');
    const t1 = r.ex.mm.pgtables.get(1)!;
    expect(stepsTo(r, 'khugepaged')).toEqual([
      'start', 'mmap_read_unlock(mm)', 'mmap_write_lock(mm)', 'vma_start_write(vma)', CHECK_PMD, FLUSH, 'mmap_write_unlock(mm)',
    ]);
    expect(r.task('khugepaged').state).toBe(2);
    expect([r.ex.mm.pgtables.get(1), t1.freed, t1.retracted]).toEqual([t1, false, false]);
    expect(r.ex.mm.mmap_lock.writer).toBeNull();
    expect(r.violation).toBeNull();
  });

  it('the pre-fix order checks the pmd before the VMA write lock', () => {
    const r = handRun('check-collapse-pt-reclaim', [PRE_FIX]);
    expect(stepsTo(r, 'khugepaged')).toEqual([
      'start', 'mmap_read_unlock(mm)', 'mmap_write_lock(mm)', CHECK_PMD, 'vma_start_write(vma)', FLUSH, 'mmap_write_unlock(mm)',
    ]);
    expect(r.violation).toBeNull();
  });

  it('fixed: the zap holds the VMA read lock, so vma_start_write waits for it; check_pmd_still_valid then finds the pmd none (SCAN_PMD_NONE) and the collapse gives up', () => {
    const r = handRun('check-collapse-pt-reclaim');
    const t1 = r.ex.mm.pgtables.get(1)!;
    r.until('T1', ZAP); // T1 holds the VMA read lock (lock_vma_under_rcu)
    r.run('khugepaged'); // mmap_write_lock does not exclude the VMA reader: it sleeps in vma_start_write
    expect([r.task('khugepaged').state, r.task('khugepaged').pending]).toEqual([1, 'woken in vma_start_write(vma[0:heap])']);
    r.step('T1');
    r.step('T1'); // table 1 reclaimed
    expect(t1.reclaimed).toBe(true);
    r.run('T1'); // the rest of the zap, vma_end_read: the writer is woken; the fault then waits on mmap_lock
    r.finish('khugepaged');
    expect([...r.ex.mm.pgtables.keys()]).toEqual([0, 2]); // the failed check left the pmd none
    r.finish('T1');
    expect(r.ex.mm.pgtables.get(1)!.bogus).toBe(false);
    expect(r.violation).toBeNull();
  });

  it('pre-fix: the table goes between the check and the write lock; the failure path pmd_populate\'s pmd_pgtable(pmd_none), which the fault walks', () => {
    const r = handRun('check-collapse-pt-reclaim', [PRE_FIX]);
    r.until('T1', ZAP);
    r.until('khugepaged', 'vma_start_write(vma)'); // check_pmd_still_valid: the pmd still has table 1
    r.run('khugepaged'); // sleeps in vma_start_write: T1 reads the VMA
    r.step('T1');
    r.step('T1'); // PT_RECLAIM: table 1 cleared and freed
    r.run('T1'); // vma_end_read; the fault sleeps on mmap_lock
    r.finish('khugepaged'); // pmdp_collapse_flush reads none: SCAN_PMD_NULL, pmd_populate(mm, pmd, pmd_pgtable(_pmd))
    const junk = r.ex.mm.pgtables.get(1)!;
    expect([junk.bogus, junk.label]).toEqual([true, 'pmd_pgtable(pmd_none)[1]']);
    expect(r.violation).toBeNull();
    r.run('T1');
    expect(r.violation).toEqual({
      invariant: 'use-after-free',
      message: 'T1 runs pte_offset_map_lock for address 516 through pmd_pgtable(pmd_none)[1]: not a page table (collapse_huge_page\'s failure path pmd_populate\'d pmd_pgtable() of a pmd that was none: a table freed under it)',
    });
  });
});

describe('the op', () => {
  const sc = (kind: string, collapse?: string) => ({
    name: 'x', description: 'x', vmas: [{ name: 'v', kind, pages: 1024, ...(kind === 'anon' ? { anon_vma: true } : {}) }],
    threads: [{ name: 'khugepaged', ops: [{ op: 'khugepaged', vma: 'v', page: 500, ...(collapse !== undefined ? { collapse } : {}) }] }],
  });

  it('collapse: anon takes an anonymous VMA, the default (file) a file VMA', () => {
    expect(checkScenarioFromObject(sc('anon', 'anon')).threads[0]!.ops[0]).toEqual({ op: 'khugepaged', vma: ['v'], page: 500, collapse: 'anon' });
    expect(checkScenarioFromObject(sc('file')).threads[0]!.ops[0]).toEqual({ op: 'khugepaged', vma: ['v'], page: 500, collapse: 'file' });
    expect(() => checkScenarioFromObject(sc('file', 'anon'))).toThrow(/khugepaged's anon collapse takes anon VMAs; 'v' is file/);
    expect(() => checkScenarioFromObject(sc('anon'))).toThrow(/khugepaged's file collapse takes file VMAs; 'v' is anon/);
  });
});

describe('the checker: 366a4532d96f', () => {
  it('check-collapse-pt-reclaim: safe with the fix (complete search); the pre-fix order is found, shrunk and replayed', () => {
    const post = runCheck('check-collapse-pt-reclaim');
    expect(verdict(post)).toBe('safe');
    expect(post.complete).toBe(true);
    expect([post.stats.executions, post.stats.newSteps]).toEqual([42, 370]); // 364 new steps before the same mm's transient vm_refcnt reference (issue 13a)
    const bad = runCheck('check-collapse-pt-reclaim', { inject: [PRE_FIX] });
    expect(verdict(bad)).toBe('unsafe:use-after-free');
    expect(bad.violation!.message).toMatch(/^T1 runs pte_offset_map_lock for address 516 through pmd_pgtable\(pmd_none\)\[1\]: not a page table/);
    expect(bad.violation!.steps.length).toBeLessThanOrEqual(bad.violation!.foundSteps);
    const again = runCheck('check-collapse-pt-reclaim', { inject: [PRE_FIX], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
  });

  it('every fault strategy: safe with the fix, the bug without it', () => {
    for (const fault of ['mainline', 'hold-io', 'retry-vma', 'pre-vma']) {
      const ok = runCheck('check-collapse-pt-reclaim', { fault });
      expect([verdict(ok), ok.complete], fault).toEqual(['safe', true]);
      expect(verdict(runCheck('check-collapse-pt-reclaim', { fault, inject: [PRE_FIX], shrink: false })), fault).toBe('unsafe:use-after-free');
    }
  });
});
