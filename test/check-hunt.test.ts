/**
 * Bug hunting before the complete search (src/check/hunt.ts): passes with
 * preemption bounds 0..K, each with DPOR, sleep sets and state caching, then
 * the unbounded DFS seeded with the states a bounded pass explored exactly.
 * Exact counts on the SPIN anchor's fork-skip bug with two faults (the
 * four-fault one, 1,500 executions, is in `npm run bench:check`), equal
 * verdicts with and without hunting on complete searches, and the pass that
 * needs no unbounded one.
 */
import { describe, expect, it } from 'vitest';
import {
  checkScenarioFromObject, HuntScheduler, INVARIANT_NAMES, loadCheckScenario, search,
  type CheckModel, type CheckScenario, type Injection,
} from '../src/check/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { runCheck, verdict } from './check-helpers.js';

function model(sc: CheckScenario, fault: string, inject: Injection[], stateCache: boolean): CheckModel {
  return { scenario: sc, fault: faultStrategy(fault), fork: forkStrategy('fork-lock-all'), injections: inject, invariants: new Set(INVARIANT_NAMES), stateCache };
}

function hunt(sc: CheckScenario, fault: string, inject: Injection[], stateCache: boolean, k: number): { sched: HuntScheduler; out: ReturnType<typeof search> } {
  const m = model(sc, fault, inject, stateCache);
  const mask = sc.threads.map((t) => t.ops.length);
  const sched = new HuntScheduler({ nthreads: mask.length, mask, sleepSets: true, dpor: true, preemptionBound: null, stateCache }, k);
  return { sched, out: search(m, sched, { maxSteps: 4000 }) };
}

const DFS = (stateCache: boolean, h: number | null) => ({ kind: 'dfs', sleepSets: true, dpor: true, preemptionBound: null, stateCache, hunt: h }) as const;

describe('bug hunting before the complete search', () => {
  const anchor2 = loadCheckScenario('check-spin-anchor', { nfault: 2 });
  const bug: Injection[] = ['fork-skip-vma-write-lock'];

  it('the fork-skip bug under DROP with 2 faults: found in the pass with one preemption, after 23 executions instead of 5,073 (stateless; 204 and 5,233 before source sets)', () => {
    const plain = runCheck(anchor2, { inject: bug, mode: DFS(false, null), shrink: false });
    expect(verdict(plain)).toBe('unsafe:vma-write-exclusion');
    expect(plain.stats.executions).toBe(5073);
    const { sched, out } = hunt(anchor2, 'mainline', bug, false, 2);
    expect(out.violation?.violation?.invariant).toBe('vma-write-exclusion');
    expect(sched.runningBound).toBe(1);
    expect(sched.passes).toEqual([{ bound: 0, executions: 2 }]);
    expect(out.stats.executions).toBe(23);
  }, 120_000);

  it('with state caching: 150 executions instead of 988 (223 without the passes\' cut trees, 1,114 with the coarse rule at cut states; 232 and 1,130 before source sets)', () => {
    // 1,118 before the mprotect_locked checkpoint and the opaque reader test in vma_start_write (issue 15's tenth part);
    // 1,114 before precise cut summaries became the default (issue 15's twelfth part): the same bug, found later
    const alone = runCheck(anchor2, { inject: bug, mode: DFS(true, null), shrink: false });
    expect([verdict(alone), alone.stats.executions]).toEqual(['unsafe:vma-write-exclusion', 988]);
    const coarse = runCheck(anchor2, { inject: bug, mode: { ...DFS(true, null), preciseCuts: false }, shrink: false });
    expect([verdict(coarse), coarse.stats.executions]).toEqual(['unsafe:vma-write-exclusion', 1114]);
    const r = runCheck(anchor2, { inject: bug, mode: DFS(true, 2), shrink: false });
    expect(verdict(r)).toBe('unsafe:vma-write-exclusion');
    // 223 before the bounded passes kept a cut tree (issue 15's thirteenth part): their own cuts walk it too
    expect(r.stats.executions).toBe(150);
    const twelfth = runCheck(anchor2, { inject: bug, mode: { ...DFS(true, 2), carryCuts: false }, shrink: false });
    expect([verdict(twelfth), twelfth.stats.executions]).toEqual(['unsafe:vma-write-exclusion', 223]);
  }, 120_000);

  it('a complete search keeps its verdict; executions are the passes plus the seeded unbounded search', () => {
    for (const [name, fault] of [['check-fork-anon', 'mainline'], ['check-mprotect-fault', 'mainline'], ['check-mprotect-fault', 'hold-io']] as const) {
      const sc = loadCheckScenario(name, {});
      const plain = runCheck(sc, { fault, mode: DFS(true, null) });
      const { sched, out } = hunt(sc, fault, [], true, 2);
      expect(out.violation, name).toBeNull();
      expect(out.stoppedEarly).toBe(false);
      expect(verdict(plain)).toBe('safe');
      expect(sched.runningBound).toBeNull(); // it ended in the unbounded pass
      expect(sched.passes.map((p) => p.bound)).toEqual([0, 1, 2]);
      const passes = sched.passes.reduce((n, p) => n + p.executions, 0);
      expect(out.stats.executions).toBe(passes + sched.current.executions);
      const r = runCheck(sc, { fault, mode: DFS(true, 2) });
      expect(verdict(r)).toBe('safe');
      expect(r.stats.executions).toBe(out.stats.executions);
    }
    // 242 and 195 with the coarse rule at cut states (before issue 15's twelfth part), the same verdict;
    // 238 with hunting before the passes' cut trees were carried over (issue 15's thirteenth part)
    expect(runCheck('check-fork-anon', { mode: DFS(true, 2) }).stats.executions).toBe(230);
    const twelfth = runCheck('check-fork-anon', { mode: { ...DFS(true, 2), carryCuts: false } });
    expect([verdict(twelfth), twelfth.complete, twelfth.stats.executions]).toEqual(['safe', true, 238]);
    expect(runCheck('check-fork-anon', { mode: DFS(true, null) }).stats.executions).toBe(189);
    for (const [h, n] of [[2, 242], [null, 195]] as const) {
      const coarse = runCheck('check-fork-anon', { mode: { ...DFS(true, h), preciseCuts: false } });
      expect([verdict(coarse), coarse.complete, coarse.stats.executions]).toEqual(['safe', true, n]);
    }
  }, 120_000);

  it('a pass whose bound removed no option was the unbounded search: one thread, one pass, complete', () => {
    const one = checkScenarioFromObject({
      name: 'one', description: 'one thread',
      vmas: [{ name: 'v', kind: 'anon', anon_vma: true, pages: 2 }],
      threads: [{ name: 'Z', ops: [{ op: 'madvise_dontneed', vma: 'v' }] }],
    });
    const { sched, out } = hunt(one, 'mainline', [], true, 2);
    expect(out.stoppedEarly).toBe(false);
    expect(out.violation).toBeNull();
    expect(sched.passes).toEqual([{ bound: 0, executions: 1 }]);
    expect(sched.runningBound).toBe(0);
    const r = runCheck(one, { mode: DFS(true, 2) });
    expect(r.complete).toBe(true);
    expect(r.modeText).toMatch(/bug-hunting passes with at most 0\.\.2 preemptions/);
  });
});
