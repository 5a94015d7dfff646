/**
 * The state hash keeps each object's hash of its non-container fields until a
 * field is written (src/check/track-ids.ts `foldObjects`; docs/checker.md,
 * "Incremental state hash"). Random executions of every built-in check
 * scenario, from one World (so restored objects carry hashes kept in earlier
 * executions), compare at every step the hash with kept object hashes and
 * the hash with every kept one forgotten: they must be equal. The negative
 * control changes a field behind the accessors' back (as a write that missed
 * the invalidation would): the kept hash goes stale and the comparison sees it.
 */
import { describe, expect, it } from 'vitest';
import { Execution, INVARIANT_NAMES, listCheckScenarios, loadCheckScenario, uninstallCheckHooks, type CheckModel } from '../src/check/index.js';
import { installOpaque, uninstallOpaque } from '../src/check/opaque.js';
import { Prng } from '../src/check/prng.js';
import { foldStats } from '../src/check/track-ids.js';
import { planFor, storeOf } from '../src/check/track-plan.js';
import { World } from '../src/check/world.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

function model(name: string): CheckModel {
  return {
    scenario: loadCheckScenario(name), fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'),
    injections: [], invariants: new Set(INVARIANT_NAMES), stateCache: true,
  };
}

/** The state hash with every object's kept hash forgotten (each object folded afresh), and lockdep's sorted edges made again. */
function freshHash(ex: Execution): string {
  for (const o of ex.tracker.objects) storeOf(o).ok = false;
  ex.hashedEdges = null;
  return ex.stateHash().join(':');
}

/** Run random executions; at each step compare the kept and the fresh hash. Returns the steps compared. */
function compare(name: string, executions: number, seed: number): number {
  const m = model(name);
  const world = new World();
  const rng = new Prng(seed);
  let n = 0;
  for (let e = 0; e < executions; e++) {
    const mask = m.scenario.threads.map((t) => t.ops.length);
    const ex = new Execution(m, mask, (k) => rng.below(k), world);
    for (let s = 0; s < 300; s++) {
      const kept = ex.stateHash().join(':');
      expect(freshHash(ex), `${name}, execution ${e}, step ${s}`).toBe(kept);
      n++;
      const run = ex.runnable();
      if (run.length === 0) break;
      const out = ex.step(run[rng.below(run.length)]!, true, true);
      if (out.violation !== null || out.aborted) break;
    }
    uninstallCheckHooks();
  }
  return n;
}

describe('incremental state hash', () => {
  const names = listCheckScenarios().map((s) => s.name);

  it('every built-in check scenario: kept object hashes give the hash of a fresh fold at every step', () => {
    installOpaque();
    try {
      const before = foldStats.cached;
      let steps = 0;
      for (const [i, name] of names.entries()) steps += compare(name, 4, 7001 + i);
      expect(steps).toBeGreaterThan(names.length * 4);
      // The kept hashes were used (the comparison above is not vacuous).
      expect(foldStats.cached).toBeGreaterThan(before);
    } finally {
      uninstallOpaque();
      uninstallCheckHooks();
    }
  }, 20_000);

  it('negative control: a field changed past the accessors leaves a stale kept hash, which the comparison catches', () => {
    installOpaque();
    try {
      const m = model('check-spin-anchor');
      const ex = new Execution(m, m.scenario.threads.map((t) => t.ops.length), () => 0);
      ex.stateHash();
      // An object whose hash is kept, and a numeric field of its kept part.
      let changed = false;
      for (const o of ex.tracker.objects) {
        const st = storeOf(o);
        if (!st.ok) continue;
        const i = planFor(o).flat.find((j) => typeof st.v[j] === 'number' && j !== planFor(o).seq);
        if (i === undefined) continue;
        const kept = ex.stateHash().join(':');
        st.v[i] = (st.v[i] as number) + 1;
        expect(ex.stateHash().join(':')).toBe(kept); // stale: nothing cleared the kept hash
        expect(freshHash(ex)).not.toBe(kept); // the comparison sees it
        changed = true;
        break;
      }
      expect(changed).toBe(true);
    } finally {
      uninstallOpaque();
      uninstallCheckHooks();
    }
  });

  it('negative control: lockdep edges the sorted list missed (a stale list) are caught by the comparison', () => {
    installOpaque();
    try {
      const m = model('check-spin-anchor');
      const ex = new Execution(m, m.scenario.threads.map((t) => t.ops.length), () => 0);
      const kept = ex.stateHash().join(':');
      expect(ex.hashedEdges).not.toBeNull();
      // An edge added while the list's count is forced to match: the list is stale.
      ex.lockEdges.set('mmap_lock->folio_lock', 'a test');
      ex.hashedEdgeCount = ex.lockEdges.size;
      expect(ex.stateHash().join(':')).toBe(kept);
      expect(freshHash(ex)).not.toBe(kept);
      // Growth alone refreshes it.
      ex.lockEdges.set('mmap_lock->vma_lock', 'a test');
      expect(ex.stateHash().join(':')).toBe(freshHash(ex));
    } finally {
      uninstallOpaque();
      uninstallCheckHooks();
    }
  });
});
