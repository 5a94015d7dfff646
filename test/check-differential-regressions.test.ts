/**
 * Scenarios the generated differential test
 * (./check-differential-generated.test.ts) found, shrunk by fast-check and
 * kept as hand-written regressions with exact outcomes.
 */
import { describe, expect, it } from 'vitest';
import { check, checkScenarioFromObject, INVARIANT_NAMES, type CheckReport, type CheckScenario, type Mode } from '../src/check/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

function scenario(vmas: unknown[], threads: unknown[][], nondet: string[] = []): CheckScenario {
  return checkScenarioFromObject({
    name: 'regression', description: 'shrunk by fast-check', vmas, nondet,
    threads: threads.map((ops, i) => ({ name: `T${i + 1}`, ops })),
  });
}

function run(sc: CheckScenario, fault: string, mode: Mode): CheckReport {
  return check(
    { scenario: sc, fault: faultStrategy(fault), fork: forkStrategy('fork-lock-all'), injections: [], invariants: new Set(INVARIANT_NAMES) },
    { mode, maxExecutions: 100_000, shrink: false },
  );
}

const dfs = (dpor: boolean, stateCache: boolean): Mode => ({ kind: 'dfs', sleepSets: true, dpor, preemptionBound: null, stateCache });

describe('differential regressions', () => {
  /*
   * Found by the first generated case (seed 11), shrunk to a read fault on a
   * page under writeback racing a read fault and a fork. The folio's
   * PG_writeback wait queue (FolioWriteback, made on first use) was not a
   * tracked model object: the stateful search (the default) threw "a shared
   * field holds an untracked FolioWriteback" at the first state hash after
   * it was made, and the stateless search saw no footprint for its waiters.
   */
  for (const access of ['read', 'write'] as const) {
    it(`one ${access} fault on a page under writeback: stateful and stateless searches complete, safe, with the same executions`, () => {
      const sc = scenario([{ name: 'a', kind: 'file', map_pages: false, pages: 2 }], [[{ op: 'fault', vma: 'a', page: 0, access, state: 'writeback' }]]);
      for (const fault of ['pre-vma', 'mainline']) {
        const st = run(sc, fault, dfs(true, true));
        const sl = run(sc, fault, dfs(true, false));
        expect([st.complete, st.violation, sl.complete, sl.violation]).toEqual([true, null, true, null]);
        expect(st.stats.executions).toBe(4);
        expect(sl.stats.executions).toBe(4);
        expect(st.stats.stored).toBeGreaterThan(0);
      }
    });
  }

  it('two read faults, one on a page under writeback: the stateful search with DPOR and with sleep sets only agree (safe, complete)', () => {
    const sc = scenario(
      [{ name: 'a', kind: 'file', map_pages: false, pages: 2 }],
      [
        [{ op: 'fault', vma: 'a', page: 0, access: 'read', state: 'cached' }],
        [{ op: 'fault', vma: 'a', page: 0, access: 'read', state: 'writeback' }],
      ],
    );
    const d = run(sc, 'pre-vma', dfs(true, true));
    const s = run(sc, 'pre-vma', dfs(false, true));
    expect([d.complete, d.violation, s.complete, s.violation]).toEqual([true, null, true, null]);
  }, 120_000);

  /*
   * Found by the VMA-shape property (seed 13, case 21), shrunk: munmap and
   * mmap of a file VMA with vm_area_reuse while a fault runs on it. The
   * reused object gets a new file's readahead state (vm_area_get), which was
   * not a tracked object: the stateful search threw "untracked FileRaState"
   * and the stateless one saw no footprint for its fields.
   */
  it('munmap + mmap of a file VMA with vm_area_reuse, a fault racing: every search completes, safe', () => {
    const sc = scenario(
      [
        { name: 'a', kind: 'file', special: ['pfnmap'], map_pages: false, pages: 4 },
        { name: 'b', kind: 'file', special: ['pfnmap', 'uffd_wp'], map_pages: false, pages: 2 },
      ],
      [
        [{ op: 'fault', vma: 'a', page: 0, access: 'read', state: 'cached' }],
        [{ op: 'munmap', vma: 'a' }, { op: 'mmap', vma: 'a' }],
      ],
      ['vm_area_reuse'],
    );
    const modes: Mode[] = [dfs(true, true), dfs(false, true), dfs(true, false), { kind: 'dfs', sleepSets: false, dpor: false, preemptionBound: null, stateCache: false }];
    const out = modes.map((m) => run(sc, 'pre-vma', m)).map((r) => [r.complete, r.violation?.invariant ?? null]);
    expect(out).toEqual(modes.map(() => [true, null]));
  }, 120_000);
});
