/**
 * Differential test, built-in scenarios (issue 11): on every built-in check
 * scenario x mutation x fault strategy x fork strategy, the default search
 * (DPOR + sleep sets) never says "safe, complete" where a reference search
 * finds a violation, and agrees with every reference that finishes.
 * FAULTLINE_DIFF=full raises the budgets (docs/checker.md).
 *
 * Each scenario's combinations are dealt round-robin over SHARDS test files
 * (check-differential-builtin-N.test.ts), so that vitest's workers, which
 * take one file at a time, share the longest test of the suite (about 500 s
 * of one worker's time as one file in CI; check-chain's and
 * check-fork-child-exit's combinations alone about 190 s each on a loaded
 * machine). Every combination runs in exactly one shard.
 */
import { describe, expect, it } from 'vitest';
import type { CheckScenario } from '../src/check/scenario.js';
import { BUDGET, builtinScenarios, type Combo, combosFor, compare, FULL, label, type Outcome } from './check-differential.js';

function describeOutcome(o: Outcome): string {
  return `${label(o.combo)}: default ${o.dfs}, stateful ${o.stateful}, ${o.referenceKind} ${o.reference}${o.invariant !== null ? ` (${o.invariant})` : ''}`;
}

/** How many files the built-in scenarios are dealt over. */
export const SHARDS = 3;

/** Shard `index`'s (0-based) combinations of a scenario: every SHARDS-th, starting at `index`. */
export function shardCombos(sc: CheckScenario, index: number): Combo[] {
  return combosFor(sc).filter((_, i) => i % SHARDS === index);
}

/** Declares shard `index`'s tests; shard 0 also carries issue 11's reproducer. */
export function describeBuiltinShard(index: number): void {
  describe(`differential: default search vs references, shard ${index + 1}/${SHARDS} (budget ${JSON.stringify(BUDGET)})`, () => {
    for (const sc of builtinScenarios()) {
      const combos = shardCombos(sc, index);
      if (combos.length === 0) continue;
      it(`${sc.name} (${combos.length} of ${combosFor(sc).length} combinations): no unsound "safe", no disagreement`, async () => {
        const outcomes: Outcome[] = [];
        for (const c of combos) {
          outcomes.push(compare(c));
          // Give the worker's event loop a turn: vitest's RPC times out on a worker busy for a minute.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const bad = outcomes.filter((o) => o.unsound || o.disagree).map(describeOutcome);
        expect(bad).toEqual([]);
        // Not vacuous: some verdicts were compared with a reference.
        expect(outcomes.filter((o) => o.referenceKind !== 'none' && o.reference !== 'incomplete').length).toBeGreaterThan(0);
      }, FULL ? 4 * 3_600_000 : 600_000);
    }

    if (index !== 0) return;
    it('the reproducer of issue 11: the mutation is found with a complete reference agreeing, the fixed model is safe', () => {
      const sc = builtinScenarios().find((s) => s.name === 'check-anon-mprotect')!;
      const bug = compare({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', inject: ['mprotect-skip-vma-write-lock'] });
      expect([bug.dfs, bug.stateful, bug.reference, bug.referenceKind, bug.invariant]).toEqual(['unsafe', 'unsafe', 'unsafe', 'no-por', 'vma-write-exclusion']);
      const ok = compare({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', inject: [] });
      expect([ok.dfs, ok.stateful, ok.reference, ok.referenceKind]).toEqual(['safe', 'safe', 'safe', 'no-por']);
    });
  });
}
