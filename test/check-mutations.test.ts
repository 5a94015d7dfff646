/**
 * Mutations of the model (fault-injection switches in src/model/custom.ts,
 * off by default) must each be caught by an invariant.
 */
import { describe, expect, it } from 'vitest';
import { INJECTION_NAMES } from '../src/check/index.js';
import { fault_inject } from '../src/model/index.js';
import { runCheck, verdict } from './check-helpers.js';

describe('mutations are caught', () => {
  it('mprotect without vma_start_write: a fault holds the VMA read lock during change_protection', () => {
    const r = runCheck('check-mprotect-fault', { inject: ['mprotect-skip-vma-write-lock'] });
    expect(verdict(r)).toBe('unsafe:vma-write-exclusion');
    expect(r.violation!.message).toMatch(/holds the VMA read lock of vma\[0:lib\] while mprotect changes it/);
  });

  it('dup_mmap without vma_start_write (fork-lock-all): a fault works on a VMA fork copies', () => {
    const r = runCheck('check-fork-anon', { inject: ['fork-skip-vma-write-lock'] });
    expect(r.violation).not.toBeNull();
    expect(['vma-write-exclusion', 'fork-copy-stability']).toContain(r.violation!.invariant);
  });

  it('releasing the VMA read lock twice', () => {
    const r = runCheck('check-mprotect-fault', { inject: ['double-vma-end-read'] });
    expect(verdict(r)).toBe('unsafe:lock-release');
    expect(r.violation!.message).toMatch(/vma_end_read\(vma\[0:lib\]\): T\d holds no read lock/);
  });

  it('with lock-release switched off, the double release ends executions without a report', () => {
    const r = runCheck('check-mprotect-fault', { inject: ['double-vma-end-read'], invariants: ['deadlock', 'vma-write-exclusion'] });
    expect(r.violation).toBeNull();
    expect(r.stats.aborted).toBeGreaterThan(0);
  });

  it('every mutation is off again after a check, so the simulator never sees one', () => {
    for (const m of INJECTION_NAMES) runCheck('check-fork-uffd-wp', { inject: [m], shrink: false });
    expect(Object.values(fault_inject).every((v) => v === false)).toBe(true);
  });
});
