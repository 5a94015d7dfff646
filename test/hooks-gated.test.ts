/**
 * The model-only hooks on the simulator's per-fault paths test `hooks_on`
 * first (a no-op call through `hooks` costs the simulator time; bench/README.md,
 * "Where the reference bench's time went"). With hooks installed (the checker)
 * they are still called: these tests would catch a hook gated off for good.
 * That the simulator's outputs are unchanged is what the golden files and the
 * headline test check.
 */
import { describe, expect, it } from 'vitest';
import {
  FAULT_FLAG_DEFAULT, FAULT_FLAG_VMA_LOCK, Folio, handle_mm_fault, install_model_hooks, lock_vma_under_rcu, VM_FAULT_NOPAGE,
  type ModelHooks,
} from '../src/model/index.js';
import { lanes } from './lanes.js';

function recordingHooks(log: string[]): ModelHooks {
  const nop = (): void => {};
  return {
    object_created: (o) => { log.push(`object_created ${o instanceof Folio ? o.label : o.constructor.name}`); },
    set_pte_at: (v, pgoff, kind) => { log.push(`set_pte_at ${v.label}:${pgoff}:${kind}`); },
    opaque: <R>(f: () => R): R => { log.push('opaque'); return f(); },
    pt_update_begin: nop, pt_update_end: nop, anon_vma_fork: nop, anon_vma_prepare: nop, anon_vma_use: nop, anon_vma_free: nop,
    dup_mmap_copy: nop, vm_area_alloc: nop, vm_area_free: nop, mm_use: nop, mm_free: nop, vma_use: nop, pgtable_use: nop,
    vma_change: nop, lock_acquire: nop, vma_read_lock: nop,
  };
}

describe('model-only hooks gated by hooks_on', () => {
  it('with hooks installed, a new folio is reported (object_created)', () => {
    const log: string[] = [];
    install_model_hooks(recordingHooks(log));
    try {
      const f = new Folio(3, 7);
      expect(log).toEqual([`object_created ${f.label}`]);
    } finally {
      install_model_hooks(null);
    }
    log.length = 0;
    void new Folio(3, 8);
    expect(log).toEqual([]); // no hooks: nothing reported (and nothing to report to)
  });

  it('with hooks installed, lock_vma_under_rcu runs vma_start_read as an opaque call, and fault-around reports its PTE', () => {
    const h = lanes();
    const vma = h.vma[0]!;
    const log: string[] = [];
    install_model_hooks(recordingHooks(log));
    try {
      expect(lock_vma_under_rcu(h.mm, h.addr(0))).toBe(vma);
      expect(log).toContain('opaque');
      log.length = 0;
      expect(handle_mm_fault(vma, h.addr(0), FAULT_FLAG_DEFAULT | FAULT_FLAG_VMA_LOCK)).toBe(VM_FAULT_NOPAGE);
      expect(log.filter((l) => l.startsWith('set_pte_at'))).toEqual([`set_pte_at ${vma.label}:${h.addr(0) - vma.vm_start}:file`]);
    } finally {
      install_model_hooks(null);
    }
  });
});
