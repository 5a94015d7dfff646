/** Random scheduling and PCT find the fork-skip bug with a fixed seed. */
import { describe, expect, it } from 'vitest';
import { runCheck } from './check-helpers.js';

describe('randomized search', () => {
  for (const kind of ['random', 'pct'] as const) {
    it(`${kind} finds "fork skips vma_start_write" on the SPIN anchor (seed 1)`, () => {
      const mode = kind === 'random' ? { kind, seed: 1, iterations: 3000 } : { kind, seed: 1, iterations: 3000, depth: 3 };
      const r = runCheck('check-spin-anchor', { inject: ['fork-skip-vma-write-lock'], mode });
      expect(r.violation?.invariant).toBe('vma-write-exclusion');
      expect(r.stats.executions).toBeLessThan(3000);
    });
  }

  it('the same seed explores the same executions', () => {
    const a = runCheck('check-fork-anon', { mode: { kind: 'pct', seed: 7, iterations: 200, depth: 2 } });
    const b = runCheck('check-fork-anon', { mode: { kind: 'pct', seed: 7, iterations: 200, depth: 2 } });
    expect(a.stats).toEqual(b.stats);
    expect(a.complete).toBe(false);
    expect(a.guarantee).toMatch(/probability >= /);
  });
});
