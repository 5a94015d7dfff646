/**
 * What a replayed prefix keeps from the execution before (DfsOptions.keepReplayed):
 * the race detector's events (./races.ts `truncate`) and the tasks' input
 * histories (Execution.saveLanes / restoreLanes) instead of computing them
 * again. Only time may change: every count and verdict must be the one of the
 * search that recomputes everything, on real scenarios (with data choices,
 * nondet sites, state caching, hunting) and on random abstract programs with
 * data choices (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DfsScheduler, HuntScheduler, INVARIANT_NAMES, loadCheckScenario, search, type CheckScenario, type Footprint,
} from '../src/check/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { runAbstract } from './abstract-program.js';

function run(sc: CheckScenario, fault: string, stateCache: boolean, keepReplayed: boolean, hunt: number | null): object {
  const m = { scenario: sc, fault: faultStrategy(fault), fork: forkStrategy('fork-lock-all'), injections: [], invariants: new Set(INVARIANT_NAMES), stateCache };
  const mask = sc.threads.map((t) => t.ops.length);
  const opts = { nthreads: mask.length, mask, sleepSets: true, dpor: true, preemptionBound: null, stateCache, keepReplayed };
  const sched = hunt === null ? new DfsScheduler(opts) : new HuntScheduler(opts, hunt);
  expect(sched.keepsReplayed).toBe(keepReplayed);
  const out = search(m, sched, { maxSteps: 4000 });
  return { stats: out.stats, stopped: out.stoppedEarly, violation: out.violation?.violation ?? null, schedule: out.violation?.schedule ?? null };
}

describe('a replayed prefix keeps what the execution before computed', () => {
  const cases: Array<[string, Record<string, number>, string]> = [
    ['check-spin-anchor', { nfault: 2 }, 'mainline'],
    ['check-spin-anchor', { nfault: 2 }, 'hold-io+mmap'],
    ['check-vma-reuse', {}, 'mainline'],
    ['check-fork-anon', {}, 'mainline'],
    ['check-mprotect-fault', {}, 'hold-io'],
  ];
  for (const [name, params, fault] of cases) {
    it(`${name} ${JSON.stringify(params)} ${fault}: the same counts and verdicts with and without keeping`, () => {
      const sc = loadCheckScenario(name, params);
      // The stateless search of the anchor runs too long for a unit test.
      const modes = name === 'check-spin-anchor' ? [[true, 2]] as const : [[true, 2], [true, null], [false, null]] as const;
      for (const [stateCache, hunt] of modes) {
        const kept = run(sc, fault, stateCache, true, hunt);
        expect(kept, `stateCache ${stateCache} hunt ${hunt}`).toEqual(run(sc, fault, stateCache, false, hunt));
      }
    }, 300_000);
  }

  it('the fork-skip bug: the same counterexample with and without keeping', () => {
    const sc = loadCheckScenario('check-spin-anchor', { nfault: 2 });
    const m = (keepReplayed: boolean): object => {
      const mask = sc.threads.map((t) => t.ops.length);
      const sched = new HuntScheduler({ nthreads: mask.length, mask, sleepSets: true, dpor: true, preemptionBound: null, stateCache: true, keepReplayed }, 2);
      const out = search({ scenario: sc, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), injections: ['fork-skip-vma-write-lock'], invariants: new Set(INVARIANT_NAMES), stateCache: true }, sched, { maxSteps: 4000 });
      expect(out.violation?.violation?.invariant).toBe('vma-write-exclusion');
      return { stats: out.stats, schedule: out.violation?.schedule };
    };
    expect(m(true)).toEqual(m(false));
  }, 120_000);
});

describe('a replayed step runs as many sub-steps as it ran afresh, without logging accesses', () => {
  const sc = loadCheckScenario('check-spin-anchor', { nfault: 2 });
  const m = { scenario: sc, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), injections: [], invariants: new Set(INVARIANT_NAMES), stateCache: true };
  const mask = sc.threads.map((t) => t.ops.length);
  const opts = { nthreads: mask.length, mask, sleepSets: true, dpor: true, preemptionBound: null, stateCache: true };

  it('the kept state ends with the step\'s sub-step count, and every replayed step uses it', () => {
    const sched = new DfsScheduler(opts);
    const counts: number[] = [];
    const replayed = sched.replayedState.bind(sched);
    sched.replayedState = (): readonly number[] | undefined => {
      const s = replayed();
      if (s !== undefined) counts.push(s[s.length - 1]!);
      return s;
    };
    const out = search(m, sched, { maxSteps: 4000, maxExecutions: 300 });
    expect(counts.length).toBe(out.stats.steps - out.stats.newSteps);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...counts)).toBeGreaterThan(1); // merged invisible sub-steps (docs/checker.md, "Coarser steps")
  }, 60_000);

  it('a wrong count is caught as nondeterminism, not taken for a model assertion (negative control)', () => {
    const sched = new DfsScheduler(opts);
    const replayed = sched.replayedState.bind(sched);
    sched.replayedState = (): readonly number[] | undefined => {
      const s = replayed();
      return s === undefined || s[s.length - 1]! === 0 ? s : [...s.slice(0, -1), s[s.length - 1]! + 1];
    };
    expect(() => search(m, sched, { maxSteps: 4000, maxExecutions: 50 })).toThrow(/not deterministic/);
  }, 60_000);
});

/** Abstract programs: reads, writes, and writes to a variable picked by a data choice. */
type Op = { readonly k: 'r' | 'w'; readonly v: number } | { readonly k: 'c' };

function explore(prog: ReadonlyArray<readonly Op[]>, o: { stateCache: boolean; keepReplayed: boolean }): object {
  const sched = new DfsScheduler({ nthreads: prog.length, mask: prog.map((t) => t.length), sleepSets: true, dpor: true, preemptionBound: null, stateCache: o.stateCache, keepReplayed: o.keepReplayed });
  const { finals, steps } = runAbstract(prog, 3, sched, (op, t, { vars, reg }): Footprint => {
    if (op.k === 'r') {
      reg[t] = reg[t]! * 5 + vars[op.v]! + 1;
      return { r: [op.v], w: [] };
    }
    const v = op.k === 'w' ? op.v : sched.nextChoice(3);
    vars[v] = t + 1;
    return { r: [], w: [v] };
  });
  return { executions: sched.executions, steps, stored: sched.storedStates, pruned: sched.prunedExecutions, finals: [...finals].sort() };
}

describe('keeping the race detector\'s events on abstract programs with data choices', () => {
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ k: fc.constantFrom('r' as const, 'w' as const), v: fc.nat(2) }),
    fc.constant({ k: 'c' as const }),
  );
  const progArb = fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 3 });
  it('the same executions, steps, states and final states with and without keeping', () => {
    fc.assert(fc.property(progArb, (prog) => {
      for (const stateCache of [false, true]) {
        expect(explore(prog, { stateCache, keepReplayed: true })).toEqual(explore(prog, { stateCache, keepReplayed: false }));
      }
    }), { numRuns: Number(process.env['NRUNS'] ?? 40), seed: Number(process.env['SEED'] ?? 15) });
  }, 300_000);
});
