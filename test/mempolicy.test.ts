/**
 * mm/mempolicy.c in the model (src/model/mempolicy.ts): mbind splits and
 * merges like mprotect and replaces vma->vm_policy under the VMA write lock;
 * a fault under the VMA lock reads the policy in vma_alloc_folio. The fix
 * 6c21e066f925 "mm/mempolicy: Take VMA lock before replacing policy"
 * (CVE-2023-4611) and its mutation `mbind-skip-vma-write-lock`.
 */
import { describe, expect, it } from 'vitest';
import { checkScenarioFromObject, decodeSchedule } from '../src/check/index.js';
import { runCheck, verdict } from './check-helpers.js';
import { handRun } from './check-handrun.js';

describe('mbind: split, merge and the policy objects', () => {
  it('mbind of the middle page splits the VMA in three (the middle one write-locked, with its own policy copy); the same mode on the rest merges them back into one, every replaced copy freed', () => {
    const sc = checkScenarioFromObject({
      name: 'mbind-shape', description: 'mbind of a middle page, then of the whole VMA',
      vmas: [{ name: 'a', kind: 'anon', anon_vma: true, pages: 3 }],
      threads: [{ name: 'T1', ops: [{ op: 'mbind', vma: 'a', page: 1, pages: 1, mode: 'bind' }, { op: 'mbind', vma: 'a', mode: 'bind' }] }],
    });
    const r = handRun(sc);
    const mm = r.ex.mm;
    const orig = mm.vmas[0]!;
    const base = orig.vm_start;
    r.until('T1', 'mmap_write_unlock(mm)'); // the first mbind, before its unlock
    expect(mm.vmas.map((v) => [v.vm_start - base, v.pages, v.vm_policy?.mode ?? null])).toEqual([[0, 1, null], [1, 1, 'bind'], [2, 1, null]]);
    const mid = mm.vmas[1]!;
    expect(mid).toBe(orig); // vma_modify: the original is the middle piece, the head and tail are new
    expect(mm.vmas.every((v) => v.vm_lock_seq === mm.mm_lock_seq)).toBe(true); // the splits write-locked every piece
    const p1 = mid.vm_policy!;
    expect([p1.refcnt, p1.freed]).toEqual([1, false]); // vma_replace_policy's mpol_dup; mbind's own reference still held
    r.finish('T1');
    expect(mm.vmas).toHaveLength(1); // the second mbind merged head and tail into the middle (policies mpol_equal)
    const v = mm.vmas[0]!;
    expect([v.vm_end - v.vm_start, v.vm_policy?.mode, v.vm_policy === p1]).toEqual([3, 'bind', false]); // vma_replace_policy even on a merged VMA
    expect(p1.freed).toBe(true); // the replaced copy: mpol_put
    expect(r.violation).toBeNull();
  });

  it('the fix: the fault holds the VMA read lock through vma_alloc_folio; mbind\'s vma_start_write sleeps until vma_end_read, and the replaced policy is freed only after the fault used it', () => {
    const r = handRun('check-mbind');
    r.until('T1', 'mmap_write_unlock(mm)');
    r.step('T1'); // the first mbind: the VMA has policy p1
    const vma = r.ex.mm.vmas[0]!;
    const p1 = vma.vm_policy!;
    expect([p1.mode, p1.refcnt, p1.freed]).toEqual(['bind', 1, false]);
    r.until('T2', 'vma_alloc_folio: folio_alloc_mpol(gfp, order, pol, ilx, nid)'); // VMA-locked fault: get_vma_policy read p1
    expect(vma.readers).toEqual([r.task('T2')]);
    r.run('T1'); // the second mbind: mmap_write_lock, then vma_start_write sleeps on the reader
    expect([r.task('T1').state, vma.writerWaiting, vma.excludeReaders]).toEqual([1, r.task('T1'), true]);
    expect(p1.freed).toBe(false);
    r.run('T2'); // folio_alloc_mpol uses p1, the fault ends: vma_end_read wakes T1
    expect(r.task('T2').state).toBe(2);
    r.run('T1');
    expect([r.task('T1').state, vma.vm_policy!.mode, p1.freed]).toEqual([2, 'interleave', true]);
    expect(r.violation).toBeNull();
  });
});

describe('check-mbind: 6c21e066f925 "mm/mempolicy: Take VMA lock before replacing policy"', () => {
  it('fixed: safe with a complete search', () => {
    const rep = runCheck('check-mbind');
    expect([verdict(rep), rep.complete]).toEqual(['safe', true]);
  });

  it('--inject mbind-skip-vma-write-lock: the fault allocates by the policy mbind freed (use-after-free), shrunk and replayed', () => {
    const bad = runCheck('check-mbind', { inject: ['mbind-skip-vma-write-lock'] });
    expect(verdict(bad)).toBe('unsafe:use-after-free');
    expect(bad.violation!.message).toBe('T2 runs folio_alloc_mpol (pol->mode, pol->nodes) on mempolicy[1:bind] after it was freed (mpol_put: its refcount fell to 0)');
    const steps = bad.violation!.steps;
    expect(steps.length).toBeLessThan(bad.violation!.foundSteps);
    // The fault read the policy under its VMA lock before the second mbind replaced it.
    const read = steps.findIndex((s) => s.taskName === 'T2' && s.what === 'handle_mm_fault(vma, addr, flags)');
    const replace = steps.map((s) => s.what).lastIndexOf('vma_replace_policy(vma, new_pol)');
    expect(read).toBeGreaterThanOrEqual(0);
    expect(replace).toBeGreaterThan(read);
    expect(steps.at(-1)!.what).toBe('vma_alloc_folio: folio_alloc_mpol(gfp, order, pol, ilx, nid)');
    const again = runCheck('check-mbind', { inject: ['mbind-skip-vma-write-lock'], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
  });
});
