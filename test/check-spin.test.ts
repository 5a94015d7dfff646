/**
 * The SPIN anchor (shared/anchors/spin/faultlock.pml) rebuilt as
 * check-spin-anchor: same verdicts as SPIN. SPIN: no invalid end state and
 * no assertion violation for HOLD and DROP; an assertion violation with
 * -DBUG_FORK_SKIP_VMA2. Here: hold-io+mmap is HOLD (SPIN's HOLD keeps
 * mmap_lock across the I/O after a fallback too), mainline is DROP, and
 * --inject fork-skip-vma-write-lock is the bug (docs/checker.md has the
 * timings for 2-4 faulting threads).
 */
import { describe, expect, it } from 'vitest';
import { runCheck, verdict } from './check-helpers.js';

describe('check-spin-anchor agrees with SPIN (2 faulting threads)', () => {
  it('HOLD (hold-io+mmap): complete search, no deadlock, mutual exclusion holds', () => {
    expect(verdict(runCheck('check-spin-anchor', { fault: 'hold-io+mmap' }))).toBe('safe');
  }, 120_000);

  it('DROP (mainline): nothing without preemption (the complete search takes minutes, see docs/checker.md)', () => {
    const r = runCheck('check-spin-anchor', { mode: { kind: 'dfs', sleepSets: true, dpor: true, preemptionBound: 0 } });
    expect(verdict(r)).toBe('incomplete');
    expect(r.incompleteReason).toBe('preemption bound 0');
  }, 120_000);

  it('HOLD with the fork-skip bug: a fault holds the VMA read lock while fork copies the VMA', () => {
    const r = runCheck('check-spin-anchor', { fault: 'hold-io+mmap', inject: ['fork-skip-vma-write-lock'] });
    expect(r.violation?.invariant).toBe('vma-write-exclusion');
    expect(r.violation!.message).toMatch(/holds the VMA read lock of vma\[\d:vma\d\] while fork copies it in dup_mmap relying on the VMA write lock/);
  });

  it('DROP with the fork-skip bug: found by the exhaustive search', () => {
    const r = runCheck('check-spin-anchor', { inject: ['fork-skip-vma-write-lock'] });
    expect(r.violation?.invariant).toBe('vma-write-exclusion');
  }, 60_000);
});
