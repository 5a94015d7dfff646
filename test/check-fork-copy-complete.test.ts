/**
 * fork-copy-complete is evaluated by the dup_mmap_copy hook, inside the
 * dup_mmap step that decides whether copy_page_range runs, so what it reads
 * (the parent VMA's vm_flags and anon_vma) is in that step's footprint: the
 * partial-order reduction then orders that step against any step that writes
 * them (an anon_vma install), instead of taking the two for independent. (An
 * after-step state check would read them outside the footprint; here
 * dup_mmap's own decision reads them too, so the test pins down where the
 * violation is reported -- the deciding step -- and what that step read.)
 *
 *   step  fork (dup_mmap, fork-lock-anon-vma-literal) on check-fork-pfnmap
 *    1    start fork()
 *    2    mmap_write_lock(mm)
 *    3    vm_area_dup + anon_vma_fork; needs_copy(pfn) is false
 *         -> hooks.dup_mmap_copy(pfn, false): vma_needs_copy(pfn) is true
 *         -> fork-copy-complete, recorded in this step
 */
import { describe, expect, it } from 'vitest';
import { Execution, INVARIANT_NAMES, independent, loadCheckScenario, uninstallCheckHooks, type CheckModel } from '../src/check/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

describe('fork-copy-complete: evaluated in the dup_mmap step that decides the copy', () => {
  it("the violating step's footprint reads the VMA's anon_vma and vm_flags", () => {
    const model: CheckModel = {
      scenario: loadCheckScenario('check-fork-pfnmap'),
      fault: faultStrategy('mainline'),
      fork: forkStrategy('fork-lock-anon-vma-literal'),
      injections: [],
      invariants: new Set(INVARIANT_NAMES),
    };
    const ex = new Execution(model, [0, 1], () => 0); // thread T1 left out: fork alone
    try {
      const fork = 1;
      // Step 1: start fork() and mmap_write_lock (the start touches nothing shared: one step);
      // step 2: dup_mmap decides the copy of the PFN map and skips it.
      const outcomes = [ex.step(fork, true, true), ex.step(fork, true, true)];
      expect(outcomes.map((o) => o.violation?.invariant ?? null)).toEqual([null, 'fork-copy-complete']);
      const fp = outcomes[1]!.fp!;
      const pfn = ex.mm.vmas[0]!;
      ex.tracker.begin();
      void pfn.anon_vma;
      const anonVma = ex.tracker.end();
      ex.tracker.begin();
      void pfn.vm_flags;
      const flags = ex.tracker.end();
      expect(fp.r).toEqual(expect.arrayContaining([...anonVma.r, ...flags.r]));
      // A step that installs an anon_vma (__anon_vma_prepare) is dependent on it.
      expect(independent(fp, { r: [], w: anonVma.r })).toBe(false);
    } finally {
      uninstallCheckHooks();
    }
  });
});
