/**
 * khugepaged's retract_page_tables (src/model/khugepaged.ts, v6.6+): the
 * PTE table of a collapsed file range is taken out of the pmd and freed
 * after an RCU grace period while the retracting thread holds only the
 * file's i_mmap_rwsem. Exact outcomes of hand-built interleavings on
 * check-khugepaged-retract, then the checker with and without
 * retract-pte-free-no-rcu.
 */
import { describe, expect, it } from 'vitest';
import { decodeSchedule } from '../src/check/index.js';
import { runCheck, verdict } from './check-helpers.js';
import { handRun } from './check-handrun.js';

const ZAP = 'zap_pte_range: pte_offset_map_lock(mm, pmd, addr, &ptl)';

describe('retract_page_tables against page-table walkers', () => {
  it('khugepaged retracts only the table of the PMD-aligned range, holding i_mmap_rwsem for read and no mm lock', () => {
    const r = handRun('check-khugepaged-retract');
    const [t0, t1, t2] = [0, 1, 2].map((i) => r.ex.mm.pgtables.get(i)!);
    r.until('khugepaged', 'retract_page_tables: pmd_lock(mm, pmd)');
    const sem = r.ex.mm.vmas[0]!.mapping!.i_mmap_rwsem;
    expect(sem.readers.map((t) => t.comm)).toEqual(['khugepaged']);
    expect(r.ex.mm.mmap_lock.readers.length + (r.ex.mm.mmap_lock.writer === null ? 0 : 1)).toBe(0);
    r.finish('khugepaged');
    expect([t1!.retracted, t1!.freed]).toEqual([true, true]); // no walker in an RCU section: the grace period is over at once
    expect([t0!.retracted, t2!.retracted, [...r.ex.mm.pgtables.keys()]]).toEqual([false, false, [0, 2]]);
    expect(sem.readers.length).toBe(0);
    expect(r.task('khugepaged').iMmapLocks).toBe(0);
    expect(r.violation).toBeNull();
  });

  it('a fault whose table is retracted between __handle_mm_fault and finish_fault finds the pmd none there and maps through a new table (no retry for it)', () => {
    const r = handRun('check-khugepaged-retract');
    const t1 = r.ex.mm.pgtables.get(1)!;
    // No ->map_pages: vmf_can_call_fault sends the VMA-locked attempt to mmap_lock (VMA_LOCK_RETRY), whose
    // handle_mm_fault walks to t1 (vmf->pmd) and goes on to filemap_fault.
    r.until('T2', 'filemap_get_folio(mapping, index)');
    r.finish('khugepaged'); // its mmap_read_lock shares the lock with T2's
    expect([t1.retracted, t1.freed, r.ex.mm.pgtables.has(1)]).toEqual([true, true, false]);
    r.finish('T2');
    const now = r.ex.mm.pgtables.get(1)!;
    expect(now).toBeDefined();
    expect(now).not.toBe(t1); // finish_fault: pmd_none -> pte_alloc
    expect([now.retracted, now.freed]).toEqual([false, false]);
    expect(r.events).toEqual(['VMA_LOCK_RETRY']); // the ->map_pages fallback only
    expect(r.task('T2').retries).toBe(0); // no VM_FAULT_RETRY of the mmap_lock attempt: the retraction costs it nothing
    expect(r.violation).toBeNull();
  });

  it('a zap between reading the pmd and taking the PTL keeps the table alive (pte_free_defer), fails the pmd re-check and does the pmd again', () => {
    const r = handRun('check-khugepaged-retract');
    const t1 = r.ex.mm.pgtables.get(1)!;
    const t2 = r.ex.mm.pgtables.get(2)!;
    r.until('T1', ZAP); // table 0 mapped under rcu_read_lock
    r.step('T1'); // table 0 zapped; table 1 mapped (pmdp_get_lockless), the PTL not yet taken
    expect(r.task('T1').pending).toBe(ZAP);
    expect(t1.rcu_readers).toBe(1);
    r.finish('khugepaged');
    expect([t1.retracted, t1.freed, r.ex.mm.pgtables.has(1)]).toEqual([true, false, false]); // the grace period waits for T1
    r.step('T1'); // spin_lock(ptl), !pmd_same: pte_unmap_unlock ends the grace period; the pmd again: none; table 2 mapped
    expect([t1.rcu_readers, t1.freed]).toEqual([0, true]);
    expect(t2.rcu_readers).toBe(1);
    expect(r.violation).toBeNull();
    r.finish('T1');
    expect(t2.rcu_readers).toBe(0);
    expect(r.violation).toBeNull();
  });

  it('with retract-pte-free-no-rcu the table is freed under the walker: its spin_lock(ptl) is a use-after-free', () => {
    const r = handRun('check-khugepaged-retract', ['retract-pte-free-no-rcu']);
    const t1 = r.ex.mm.pgtables.get(1)!;
    r.until('T1', ZAP);
    r.step('T1');
    r.finish('khugepaged');
    expect([t1.retracted, t1.freed]).toEqual([true, true]);
    expect(r.violation).toBeNull();
    r.step('T1');
    expect(r.violation).toEqual({
      invariant: 'use-after-free',
      message: 'T1 runs zap_pte_range for address 512 through pte_table[1], which retract_page_tables freed (the PTE table its rcu_read_lock section mapped from the old pmd is gone)',
    });
  });
});

describe('the checker: page tables retracted under a reader', () => {
  it('check-khugepaged-retract: safe with pte_free_defer (complete search); retract-pte-free-no-rcu is a use-after-free, shrunk and replayed', () => {
    const post = runCheck('check-khugepaged-retract');
    expect(verdict(post)).toBe('safe');
    expect(post.complete).toBe(true);
    // 635 and 6,130 before PT_RECLAIM: the zap now also frees table 1 (its whole PMD range), a conflict with the retraction and the fault
    // (1,412 and 11,794 with PT_RECLAIM before source-set DPOR, issue 15).
    expect([post.stats.executions, post.stats.newSteps]).toEqual([1332, 11302]);
    const bad = runCheck('check-khugepaged-retract', { inject: ['retract-pte-free-no-rcu'] });
    expect(verdict(bad)).toBe('unsafe:use-after-free');
    expect(bad.violation!.message).toMatch(/^T1 runs zap_pte_range for address 512 through pte_table\[1\], which retract_page_tables freed/);
    expect(bad.violation!.steps.length).toBeLessThan(bad.violation!.foundSteps);
    const again = runCheck('check-khugepaged-retract', { inject: ['retract-pte-free-no-rcu'], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
  });

  it('every fault strategy: safe without the mutation, the use-after-free with it (the zap holds the VMA read lock or mmap_lock, neither of which khugepaged takes for the retraction)', () => {
    for (const fault of ['mainline', 'hold-io', 'retry-vma', 'pre-vma']) {
      expect(verdict(runCheck('check-khugepaged-retract', { fault })), fault).toBe('safe');
      expect(verdict(runCheck('check-khugepaged-retract', { fault, inject: ['retract-pte-free-no-rcu'], shrink: false })), fault).toBe('unsafe:use-after-free');
    }
  });
});
