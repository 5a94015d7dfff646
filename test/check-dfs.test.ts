/**
 * DFS completeness on tiny scenarios with a known number of executions.
 *
 * Two threads zap different VMAs (MADV_DONTNEED under the VMA read lock):
 *
 *   A: lock_vma_under_rcu(a) ... zap(a) ... vma_end_read(a)      (a steps)
 *   B: lock_vma_under_rcu(b) ... zap(b) ... vma_end_read(b)      (b steps)
 *
 * Every step of A is independent of every step of B, so without reduction
 * DFS runs all C(a+b, a) interleavings, sleep sets complete exactly one
 * (the others are cut short), and DPOR runs exactly one.
 */
import { describe, expect, it } from 'vitest';
import { checkScenarioFromObject, type CheckScenario } from '../src/check/index.js';
import { runCheck, verdict } from './check-helpers.js';

function zappers(n: number): CheckScenario {
  return checkScenarioFromObject({
    name: 'zappers', description: 'independent MADV_DONTNEED threads',
    vmas: Array.from({ length: n }, (_, i) => ({ name: `v${i}`, kind: 'anon', anon_vma: true, pages: 2 })),
    threads: Array.from({ length: n }, (_, i) => ({ name: `Z${i}`, ops: [{ op: 'madvise_dontneed', vma: `v${i}` }] })),
  });
}

const NO_POR = { kind: 'dfs', sleepSets: false, dpor: false, preemptionBound: null } as const;
const SLEEP = { kind: 'dfs', sleepSets: true, dpor: false, preemptionBound: null } as const;

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}

describe('DFS completeness', () => {
  // Every effect a scheduling point here: the counts are of the fine steps.
  const one = runCheck(zappers(1), { mode: NO_POR, fineSteps: true });
  const a = one.stats.steps;

  it('one thread: one execution', () => {
    expect(one.stats.executions).toBe(1);
    expect(a).toBeGreaterThanOrEqual(4);
  });

  it('two independent threads: C(2a, a) interleavings without reduction', () => {
    const r = runCheck(zappers(2), { mode: NO_POR, fineSteps: true });
    expect(r.stats.executions).toBe(factorial(2 * a) / (factorial(a) * factorial(a)));
    expect(r.complete).toBe(true);
  });

  it('a thread with two ops next to a thread with one: C(a + b, a) with b = 2a - 1 (the step that ends op 1 starts op 2)', () => {
    const sc = zappers(2);
    // One thread runs its op twice (b steps), the other once (a steps): C(a + b, a)
    // interleavings. (Two ops in both threads, C(2b, b) = 48,620 executions since
    // lock_vma_under_rcu has a step between lookup and lock, blocks the test
    // worker for about a minute.)
    const twice = { ...sc, threads: sc.threads.map((t, i) => (i === 0 ? { ...t, ops: [...t.ops, ...t.ops] } : t)) };
    const b = 2 * a - 1;
    const r = runCheck(twice, { mode: NO_POR, fineSteps: true });
    expect(r.stats.executions).toBe(factorial(a + b) / (factorial(a) * factorial(b)));
  }, 60_000); // about 4 s at load 10; vitest's default 5 s failed once under a load of 11

  it('coarse steps (the default): a sub-step that touches nothing shared is merged into the next, so there are fewer steps and interleavings', () => {
    const coarse = runCheck(zappers(1), { mode: NO_POR });
    const c = coarse.stats.steps;
    expect(c).toBeLessThan(a);
    expect(c).toBeGreaterThanOrEqual(2); // lock_vma_under_rcu ... vma_end_read still apart
    const r = runCheck(zappers(2), { mode: NO_POR });
    expect(r.stats.executions).toBe(factorial(2 * c) / (factorial(c) * factorial(c)));
  });

  it('sleep sets finish exactly one execution of independent threads; DPOR runs exactly one', () => {
    const s = runCheck(zappers(3), { mode: SLEEP });
    expect(s.stats.executions - s.stats.cut).toBe(1);
    const d = runCheck(zappers(3));
    expect(d.stats.executions).toBe(1);
  });

  it('the reductions agree with the unreduced search on verdicts', () => {
    const cases: Array<[string, Parameters<typeof runCheck>[1]]> = [
      ['check-fork-anon', { fork: 'fork-lock-none' }],
      ['check-fork-uffd-wp', { fork: 'fork-lock-all' }],
      ['check-fork-uffd-wp', { fork: 'fork-lock-cow' }],
      ['check-fork-uffd-wp', { fork: 'fork-lock-all', inject: ['fork-skip-vma-write-lock'] }],
    ];
    for (const [sc, spec] of cases) {
      const v = [NO_POR, SLEEP, undefined].map((mode) => verdict(runCheck(sc, { ...spec, ...(mode !== undefined ? { mode } : {}), shrink: false })));
      expect(new Set(v).size, `${sc} ${JSON.stringify(spec)}: ${v.join(' / ')}`).toBe(1);
    }
    // Larger: sleep sets alone against DPOR.
    for (const [sc, inject] of [['check-mprotect-fault', []], ['check-mprotect-fault', ['mprotect-skip-vma-write-lock']], ['check-fork-anon', []]] as const) {
      const v = [SLEEP, undefined].map((mode) => verdict(runCheck(sc, { inject: [...inject], ...(mode !== undefined ? { mode } : {}), shrink: false })));
      expect(v[0]).toBe(v[1]);
    }
  }, 60_000);

  it('a preemption bound explores fewer executions and reports the search incomplete', () => {
    const full = runCheck('check-fork-uffd-wp', { mode: NO_POR });
    const b0 = runCheck('check-fork-uffd-wp', { mode: { kind: 'dfs', sleepSets: true, dpor: true, preemptionBound: 0 } });
    expect(b0.stats.executions).toBeLessThan(full.stats.executions);
    expect(verdict(b0)).toBe('incomplete');
  });
});

describe('footprint assumptions', () => {
  it('no kernel path writes a field the tracker treats as immutable (every built-in scenario, frozen)', async () => {
    const { Tracker } = await import('../src/check/index.js');
    Tracker.paranoid = true;
    try {
      for (const [sc, spec] of [
        ['check-fork-anon', {}], ['check-fork-uffd-wp', {}], ['check-fork-pfnmap', {}], ['check-mprotect-fault', {}],
        ['check-chain', { fault: 'hold-io', params: { nfault: 1 } }],
        ['check-spin-anchor', { fault: 'hold-io', mode: { kind: 'random', seed: 3, iterations: 300 } }],
      ] as const) {
        const r = runCheck(sc, spec as Parameters<typeof runCheck>[1]);
        expect(r.violation?.invariant, sc).not.toBe('model-assertion');
      }
    } finally {
      Tracker.paranoid = false;
    }
  }, 60_000);
});
