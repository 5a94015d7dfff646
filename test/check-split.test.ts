/**
 * The split search (src/check/split.ts, issue 15 "Both cores"): subtrees
 * below a depth explored with their own DPOR state, sleep sets and state
 * tables, backtrack additions above it taken at round boundaries. Its
 * verdicts must equal the sequential search's on every combination tried
 * (bugs found, safe scenarios safe), and its output must not depend on
 * anything but its inputs and the depth.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DfsScheduler, INVARIANT_NAMES, loadCheckScenario, search, splitSearch, SplitCoordinator,
  type CheckModel, type CheckScenario, type DfsOptions, type Injection,
} from '../src/check/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { builtinScenarios, combosFor } from './check-differential.js';

const BUDGET = 1_000;

function model(scenario: CheckScenario, fault: string, fork: string, injections: readonly Injection[]): CheckModel {
  return { scenario, fault: faultStrategy(fault), fork: forkStrategy(fork), injections, invariants: new Set(INVARIANT_NAMES), stateCache: true };
}

function dfsOptions(sc: CheckScenario): DfsOptions {
  const mask = sc.threads.map((t) => t.ops.length);
  return { nthreads: mask.length, mask, sleepSets: true, dpor: true, preemptionBound: null, stateCache: true };
}

type Verdict = 'safe' | 'incomplete' | string;

function sequential(m: CheckModel, budget = BUDGET): { verdict: Verdict; executions: number } {
  const out = search(m, new DfsScheduler(dfsOptions(m.scenario)), { maxSteps: 4000, maxExecutions: budget });
  const verdict = out.violation !== null ? out.violation.violation!.invariant : out.stoppedEarly ? 'incomplete' : 'safe';
  return { verdict, executions: out.stats.executions };
}

function split(m: CheckModel, depth: number, budget = BUDGET): { verdict: Verdict; executions: number; json: string } {
  const out = splitSearch(m, dfsOptions(m.scenario), depth, { maxSteps: 4000, maxExecutions: budget });
  const verdict = out.violation !== null ? out.violation.violation!.invariant : out.stoppedEarly ? 'incomplete' : 'safe';
  const json = JSON.stringify({
    stats: out.stats, verdict, schedule: out.violation?.schedule ?? null,
    rounds: out.rounds.map((r) => r.map((t) => [t.stats.executions, t.stats.newSteps, t.stats.stored, t.stats.pruned])),
  });
  return { verdict, executions: out.stats.executions, json };
}

/** Give vitest's worker a turn between searches (its RPC times out on a worker busy for a minute). */
const turn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Scenarios whose combinations the sequential search finishes quickly
 * (check-fork-anon, a third of this file's CPU, left out for CI's time: the
 * spin anchor below forks too).
 */
const SCENARIOS = ['check-anon-mprotect', 'check-fork-pfnmap', 'check-mmap-new-vma', 'check-uffd-fault', 'check-munmap-transient-ref'];

describe('split search: verdicts equal the sequential search', () => {
  for (const name of SCENARIOS) {
    it(`${name}: every combination, split at depths 3 and 7`, async () => {
      const sc = builtinScenarios().find((s) => s.name === name)!;
      expect(sc).toBeDefined();
      let compared = 0, bugs = 0;
      for (const c of combosFor(sc)) {
        await turn();
        const m = model(c.scenario, c.fault, c.fork, c.inject);
        const seq = sequential(m);
        for (const d of [3, 7]) {
          const s = split(m, d);
          const what = `${name} ${c.fault} ${c.fork} [${c.inject.join(',')}] depth ${d}`;
          if (seq.verdict !== 'incomplete' && s.verdict !== 'incomplete') {
            expect(`${what}: ${s.verdict}`).toBe(`${what}: ${seq.verdict}`);
            compared++;
            if (seq.verdict !== 'safe') bugs++;
          } else if (seq.verdict !== 'incomplete' && seq.verdict !== 'safe') {
            // The sequential search found a bug within the budget: a split one that is still running must not have said safe.
            expect(`${what}: ${s.verdict}`).toBe(`${what}: incomplete`);
          }
        }
      }
      // Not vacuous.
      expect(compared).toBeGreaterThan(0);
      if (name === 'check-anon-mprotect' || name === 'check-fork-anon') expect(bugs).toBeGreaterThan(0);
    }, 300_000);
  }

  it('check-spin-anchor with 2 faults: HOLD and DROP safe, the fork-skip bug found', async () => {
    const sc = loadCheckScenario('check-spin-anchor', { nfault: 2 });
    for (const [fault, inject, want, depths] of [
      ['hold-io+mmap', [], 'safe', [3, 6]], ['mainline', [], 'safe', [3]],
      ['hold-io+mmap', ['fork-skip-vma-write-lock'], 'vma-write-exclusion', [3, 6]], ['mainline', ['fork-skip-vma-write-lock'], 'vma-write-exclusion', [3, 6]],
    ] as const) {
      const m = model(sc, fault, 'fork-lock-all', inject);
      for (const d of depths) {
        await turn();
        const s = split(m, d, 100_000);
        expect(`${fault} [${inject.join(',')}] depth ${d}: ${s.verdict}`).toBe(`${fault} [${inject.join(',')}] depth ${d}: ${want}`);
      }
    }
  }, 300_000);
});

describe('split search: deterministic', () => {
  it('the same inputs and depth give the same counts, rounds and counterexample', () => {
    const sc = loadCheckScenario('check-spin-anchor', { nfault: 2 });
    for (const inject of [[], ['fork-skip-vma-write-lock']] as const) {
      const m = model(sc, inject.length === 0 ? 'hold-io+mmap' : 'mainline', 'fork-lock-all', inject);
      const a = split(m, 6, 100_000), b = split(m, 6, 100_000);
      expect(a.json).toBe(b.json);
    }
  }, 300_000);

  it('fast-check: any depth and budget, two runs are identical and agree with the sequential verdict', () => {
    const scs = SCENARIOS.slice(0, 3).map((n) => builtinScenarios().find((s) => s.name === n)!);
    const combos = scs.flatMap((sc) => combosFor(sc));
    fc.assert(fc.property(fc.integer({ min: 0, max: combos.length - 1 }), fc.integer({ min: 1, max: 12 }), (i, d) => {
      const c = combos[i]!;
      const m = model(c.scenario, c.fault, c.fork, c.inject);
      const a = split(m, d, 600), b = split(m, d, 600);
      expect(a.json).toBe(b.json);
      const seq = sequential(m, 600);
      if (seq.verdict !== 'incomplete' && a.verdict !== 'incomplete') expect(a.verdict).toBe(seq.verdict);
    }), { numRuns: 12, seed: 15 });
  }, 300_000);

  it('rejects a depth that is not a positive integer', () => {
    expect(() => new SplitCoordinator(0)).toThrow(/positive integer/);
    expect(() => new SplitCoordinator(1.5)).toThrow(/positive integer/);
  });
});
