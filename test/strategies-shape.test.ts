import { describe, expect, it } from 'vitest';
import { ALL_FAULT_STRATEGIES, FORK_STRATEGIES, faultStrategy, forkStrategy } from '../src/strategies/index.js';

// The kernel paths read mm->fault.* on every fault; strategies of one shape
// keep that code monomorphic (src/strategies/index.ts, OneShapeFaultStrategy).
describe('strategies have one object shape', () => {
  const faults = [...ALL_FAULT_STRATEGIES, 'retry-vma+uptodate-skip', 'hold-io+mmap', 'hold-io-file+mmap'];

  it('every fault strategy has the same own keys in the same order, and keeps its behaviour fields', () => {
    const keys = faults.map((s) => Object.keys(faultStrategy(s)).join(','));
    expect(new Set(keys).size).toBe(1);
    for (const s of faults) {
      const f = faultStrategy(s);
      expect(f.name).toBe(s);
      expect(typeof f.drop_lock_for_io).toBe('function');
    }
    expect(faultStrategy('retry-vma').retry_vma_after_io).toBe(true);
    expect(faultStrategy('mainline').retry_vma_after_io).toBe(false);
  });

  it('every fork strategy has the same own keys in the same order', () => {
    const keys = FORK_STRATEGIES.map((s) => Object.keys(forkStrategy(s)).join(','));
    expect(new Set(keys).size).toBe(1);
    for (const s of FORK_STRATEGIES) expect(forkStrategy(s).name).toBe(s);
  });
});
