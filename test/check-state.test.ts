/**
 * State caching (issue 15, docs/checker.md "State caching"): the state hash
 * identifies states exactly (equal states reached in different orders are
 * one state, different ones are not), the visited-state table prunes only
 * with a sleep set that contains the stored one, summaries keep conflicts,
 * and the stateful default search keeps every verdict.
 */
import { describe, expect, it } from 'vitest';
import { checkScenarioFromObject, StateTable, Summaries, type CheckScenario } from '../src/check/index.js';
import { Folio, RwSemaphore } from '../src/model/index.js';
import { runCheck, verdict } from './check-helpers.js';

function zappers(n: number, opsEach = 1): CheckScenario {
  return checkScenarioFromObject({
    name: 'zappers', description: 'independent MADV_DONTNEED threads',
    vmas: Array.from({ length: n }, (_, i) => ({ name: `v${i}`, kind: 'anon', anon_vma: true, pages: 2 })),
    threads: Array.from({ length: n }, (_, i) => ({ name: `Z${i}`, ops: Array.from({ length: opsEach }, () => ({ op: 'madvise_dontneed', vma: `v${i}` })) })),
  });
}

const NO_POR_CACHED = { kind: 'dfs', sleepSets: false, dpor: false, preemptionBound: null, stateCache: true } as const;
const STATEFUL = { kind: 'dfs', sleepSets: true, dpor: true, preemptionBound: null, stateCache: true } as const;
const STATELESS = { kind: 'dfs', sleepSets: true, dpor: true, preemptionBound: null } as const;

describe('state identity', () => {
  it('two independent threads of c steps each: (c+1)^2 - 1 states stored and c^2 + 1 executions, no reduction but the cache', () => {
    // The states form a (c+1) x (c+1) grid (each thread's progress), every
    // state is reached along many paths; the cached DFS expands each once:
    // one execution per edge outside its DFS tree, plus the first. The final
    // state is no decision, so it is not stored: both executions that reach
    // it end there, the other c^2 - 1 at a state stored before.
    const c = runCheck(zappers(1), { mode: NO_POR_CACHED }).stats.steps;
    expect(c).toBeGreaterThanOrEqual(2);
    const r = runCheck(zappers(2), { mode: NO_POR_CACHED });
    expect(r.complete).toBe(true);
    expect(r.stats.stored).toBe((c + 1) * (c + 1) - 1); // the final state, where nothing can run, is not a decision
    expect(r.stats.executions).toBe(c * c + 1);
    expect(r.stats.pruned).toBe(c * c - 1);
  });

  it('with two ops per thread too (a thread between ops is a state like any other)', () => {
    const c = runCheck(zappers(1, 2), { mode: NO_POR_CACHED }).stats.steps;
    const r = runCheck(zappers(2, 2), { mode: NO_POR_CACHED });
    expect(r.stats.stored).toBe((c + 1) * (c + 1) - 1);
    expect(r.stats.executions).toBe(c * c + 1);
  });
});

describe('visited-state table', () => {
  it('prunes a state only when it was explored with a subset of the current sleep set', () => {
    const t = new StateTable(4);
    expect(t.visit(1, 2, 0b010)).toBe(0); // new: entry 0
    expect(t.visit(1, 2, 0b110)).toBe(-1); // explored with {1} ⊆ {1, 2}: prune
    expect(t.visit(1, 2, 0b010)).toBe(-1);
    expect(t.visit(1, 2, 0b100)).toBe(0); // {1} ⊄ {2}: explore again
    expect(t.visit(1, 2, 0b101)).toBe(-1); // now {2} ⊆ {0, 2}
    expect(t.visit(1, 3, 0)).toBe(1); // another state
    expect(t.visit(1, 2, 0)).toBe(0); // the empty set is explored: everything from here on prunes
    expect(t.visit(1, 2, 0b1)).toBe(-1);
    expect(t.visit(1, 2, 0)).toBe(-1);
  });

  it('keeps every state across growth', () => {
    const t = new StateTable(4);
    for (let i = 0; i < 50_000; i++) expect(t.visit(i * 7919, ~i, 0)).toBe(i);
    expect(t.size).toBe(50_000);
    for (let i = 0; i < 50_000; i += 997) expect(t.visit(i * 7919, ~i, 0)).toBe(-1 - i);
  });
});

describe('subtree summaries', () => {
  it('a step conflicts with the other tasks that write what it reads or touch what it writes', () => {
    const s = new Summaries();
    const a = s.empty();
    s.add(a, 1, { r: [10], w: [] });
    s.add(a, 2, { r: [], w: [10] });
    s.add(a, 3, { r: [20], w: [30] });
    expect(s.conflicts(a, 0, { r: [10], w: [] })).toBe(1 << 2); // read of 10: only its writer
    expect(s.conflicts(a, 0, { r: [], w: [10] })).toBe((1 << 1) | (1 << 2)); // write of 10: reader and writer
    expect(s.conflicts(a, 2, { r: [], w: [10] })).toBe(1 << 1); // not with its own task
    expect(s.conflicts(a, 0, { r: [30], w: [20] })).toBe(1 << 3);
    expect(s.conflicts(a, 0, { r: [40], w: [50] })).toBe(0);
    const b = s.empty();
    s.add(b, 4, { r: [], w: [40] });
    s.union(b, a);
    expect(s.conflicts(b, 0, { r: [40], w: [10] })).toBe((1 << 1) | (1 << 2) | (1 << 4));
    expect(s.intern(s.copy(b))).toBe(s.intern(s.copy(b))); // equal contents, one object
    const wide = s.empty();
    s.add(wide, 31, { r: [1], w: [] });
    expect(s.conflicts(wide, 0, { r: [99], w: [] })).toBe(-1); // a task id beyond the mask conflicts with everything
  });
});

describe('stateful search', () => {
  it('check-spin-anchor HOLD, 2 faults: safe, with fewer executions than the stateless search', () => {
    const stateless = runCheck('check-spin-anchor', { fault: 'hold-io+mmap', mode: STATELESS });
    const stateful = runCheck('check-spin-anchor', { fault: 'hold-io+mmap', mode: STATEFUL });
    expect([verdict(stateless), verdict(stateful)]).toEqual(['safe', 'safe']);
    expect(stateful.stats.stored).toBeGreaterThan(0);
    expect(stateful.stats.pruned).toBeGreaterThan(0);
    expect(stateful.stats.executions).toBeLessThan(stateless.stats.executions / 2);
    expect(stateful.modeText).toMatch(/state caching/);
  }, 120_000);

  it('finds the fork-skip bug under HOLD (2 and 3 faults) and DROP (2 faults)', () => {
    for (const [fault, nfault] of [['hold-io+mmap', 2], ['hold-io+mmap', 3], ['mainline', 2]] as const) {
      const r = runCheck('check-spin-anchor', { fault, params: { nfault }, inject: ['fork-skip-vma-write-lock'], mode: STATEFUL, shrink: false, maxExecutions: 50_000 });
      expect(verdict(r), `${fault} ${nfault}`).toBe('unsafe:vma-write-exclusion');
    }
  }, 300_000);

  it('the opaque lock primitives are the model\'s own again after a search', () => {
    const before = [RwSemaphore.prototype.tryRead, Folio.prototype.trylock, Object.getOwnPropertyDescriptor(Folio.prototype, 'idle')!.get];
    runCheck(zappers(2), { mode: STATEFUL });
    expect([RwSemaphore.prototype.tryRead, Folio.prototype.trylock, Object.getOwnPropertyDescriptor(Folio.prototype, 'idle')!.get]).toEqual(before);
  });
});
