/**
 * anon_vma lifetimes (src/model/rmap.ts): hand-built executions of check
 * scenarios with exact anon_vma counters (refcount, num_children,
 * num_active_vmas, the chain), the vmf_anon_prepare fallback under the VMA
 * lock, and the mremap merge that lost the anon_vma (61f67c230a5e) as a
 * mutation the checker finds, shrinks and replays.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeSchedule, Execution, INVARIANT_NAMES, parseCheckScenario, type CheckModel, type CheckScenario, type Injection,
} from '../src/check/index.js';
import { install_vm_event_sink, VM_EVENT_NAMES, type AnonVma, type VmAreaStruct, type VmEvent } from '../src/model/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { runCheck, verdict } from './check-helpers.js';

/** The counters of an anon_vma, as the kernel keeps them. */
function counters(av: AnonVma): [refcount: number, num_children: number, num_active_vmas: number, linked: number, freed: boolean] {
  return [av.refcount, av.num_children, av.num_active_vmas, av.vmas.length, av.freed];
}

/** Drive one execution by hand: run task `comm` until its next step would be `what`, or to its end. */
function handRun(sc: CheckScenario, inject: Injection[] = []) {
  const model: CheckModel = {
    scenario: sc, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), injections: inject, invariants: new Set(INVARIANT_NAMES),
  };
  const ex = new Execution(model, sc.threads.map((t) => t.ops.length), () => 0);
  const events: string[] = [];
  install_vm_event_sink((ev: VmEvent) => {
    const n = VM_EVENT_NAMES[ev];
    if (n.startsWith('VMA_LOCK') || n.startsWith('ANON_VMA') || n === 'FAULT_RETRY') events.push(n);
  });
  const task = (comm: string) => ex.tasks.find((t) => t.comm === comm)!;
  const violations: string[] = [];
  return {
    ex, events, violations,
    until(comm: string, what: string): void {
      const t = task(comm);
      for (let i = 0; i < 200 && t.pending !== what; i++) {
        if (t.state !== 0) throw new Error(`${comm} cannot run (${t.pending})`);
        const o = ex.step(t.id, true, true);
        if (o.violation !== null) violations.push(o.violation.message);
      }
      expect(t.pending).toBe(what);
    },
    finish(comm: string): void {
      const t = task(comm);
      for (let i = 0; i < 400 && t.state !== 2; i++) {
        if (t.state === 1) throw new Error(`${comm} sleeps in ${t.pending}`);
        const o = ex.step(t.id, true, true);
        if (o.violation !== null) violations.push(o.violation.message);
      }
      expect(t.state).toBe(2);
    },
  };
}

const base = (ops: string, t2 = ''): CheckScenario => parseCheckScenario(`
name: anon-vma-test
description: hand-built
vmas:
  - { name: heap, kind: anon, anon_vma: true, pages: 6 }
  - { name: bss, kind: anon, anon_vma: false, pages: 4 }
threads:
  - name: T1
    ops:
${ops}
${t2}`, 'anon-vma-test');

describe('anon_vma objects: split clones the chain, unmapping the last VMA frees it', () => {
  it('a VMA faulted before the run has its own anon_vma: refcount 1, one child (itself), one active VMA, linked once', () => {
    const r = handRun(base('      - { op: munmap, vma: heap }'));
    const heap = r.ex.mm.vmas[0]!;
    const av = heap.anon_vma!;
    expect(counters(av)).toEqual([1, 1, 1, 1, false]);
    expect(av.root).toBe(av);
    expect(heap.anon_vma_chain).toEqual([av]);
    expect(heap.folio_anon_vmas).toEqual([av]);
  });

  it('mprotect of the middle splits the VMA in three: every piece points to the same anon_vma (anon_vma_clone), num_active_vmas 3, refcount still 1; munmap of two pieces keeps it, of the last frees it', () => {
    const r = handRun(base(`      - { op: mprotect, vma: heap, page: 2, pages: 2, prot: r }
      - { op: munmap, vma: heap, page: 0, pages: 2 }
      - { op: munmap, vma: heap, page: 2, pages: 2 }
      - { op: munmap, vma: heap, page: 4, pages: 2 }`));
    const av = r.ex.mm.vmas[0]!.anon_vma!;
    r.until('T1', 'mmap_write_unlock(mm)'); // the mprotect: split, split, change_protection
    const heap = r.ex.mm.vmas.filter((v: VmAreaStruct) => v.group === 'heap');
    expect(heap.map((v) => [v.vm_start - heap[0]!.vm_start, v.vm_end - heap[0]!.vm_start])).toEqual([[0, 2], [2, 4], [4, 6]]);
    for (const v of heap) {
      expect(v.anon_vma).toBe(av);
      expect(v.anon_vma_chain).toEqual([av]);
    }
    expect(counters(av)).toEqual([1, 1, 3, 3, false]);
    r.until('T1', 'mmap_read_unlock(mm)'); // the first munmap, up to its end (unlink_anon_vmas done)
    expect(counters(av)).toEqual([1, 1, 2, 2, false]);
    expect(heap[0]!.anon_vma).toBeNull();
    r.until('T1', 'mmap_write_lock(mm)'); // the second munmap starts
    r.until('T1', 'mmap_read_unlock(mm)');
    expect(counters(av)).toEqual([1, 1, 1, 1, false]);
    r.finish('T1');
    expect(counters(av)).toEqual([0, 0, 0, 0, true]);
    expect(r.violations).toEqual([]);
  });

  it('__anon_vma_prepare reuses a compatible neighbour\'s anon_vma (find_mergeable_anon_vma): pieces that differ only in VM_EXEC share it', () => {
    const r = handRun(parseCheckScenario(`
name: anon-vma-prepare
description: hand-built
vmas:
  - { name: bss, kind: anon, anon_vma: false, pages: 4 }
threads:
  - name: T1
    ops:
      - { op: mprotect, vma: bss, page: 2, pages: 2, prot: rwx }
      - { op: fault, vma: bss, page: 0, access: write, state: zero }
      - { op: fault, vma: bss, page: 2, access: write, state: zero }
`, 'anon-vma-prepare'));
    r.until('T1', 'lock_vma_under_rcu(mm, addr)'); // the mprotect split bss in two
    r.until('T1', 'mmap_read_trylock(mm)');
    r.until('T1', 'lock_vma_under_rcu(mm, addr)'); // the first fault is done: lo has a new anon_vma
    const [lo, hi] = r.ex.mm.vmas;
    const av = lo!.anon_vma!;
    expect(counters(av)).toEqual([1, 1, 1, 1, false]);
    expect(hi!.anon_vma).toBeNull();
    r.finish('T1');
    expect(hi!.anon_vma).toBe(av); // reusable_anon_vma(prev): adjacent, flags differ only in VM_EXEC, pgoffs contiguous, lo's chain singular
    expect(hi!.anon_vma_chain).toEqual([av]);
    expect(counters(av)).toEqual([1, 1, 2, 2, false]);
  });
});

describe('vmf_anon_prepare under the VMA lock (v7.0 __vmf_anon_prepare: mmap_read_trylock, else vma_end_read and VM_FAULT_RETRY)', () => {
  const sc = base('      - { op: mprotect, vma: bss, page: 0, pages: 4, prot: r }', `  - name: T2
    ops:
      - { op: fault, vma: bss, page: 1, access: write, state: zero }`);

  it('with mmap_lock free the trylock succeeds: the anon_vma is installed under the VMA lock, no retry', () => {
    const r = handRun(sc);
    r.finish('T2');
    expect(r.events).toEqual(['ANON_VMA_PREPARE', 'VMA_LOCK_SUCCESS']);
    // lockdep: anon_vma->root->rwsem taken holding the VMA read lock and mmap_lock (read, by trylock)
    expect([...r.ex.lockEdges.keys()].filter((k) => k.endsWith('->anon_vma')).sort()).toEqual(['mmap_lock->anon_vma', 'vma_lock->anon_vma']);
    expect(r.ex.mm.vmas[1]!.anon_vma).not.toBeNull();
  });

  it('with mmap_lock write-held the trylock fails: ANON_VMA_TRYLOCK_FAIL, the VMA lock is dropped, VMA_LOCK_RETRY, and the retry takes mmap_lock after the writer', () => {
    const r = handRun(sc);
    r.until('T2', 'mmap_read_trylock(mm)'); // T2 holds bss's VMA read lock, bss has no anon_vma
    expect(r.ex.mm.vmas[1]!.anon_vma).toBeNull();
    r.until('T1', 'vma_start_write(vma)'); // T1 holds mmap_lock for write and is about to wait for T2's VMA lock
    r.until('T2', 'vma_end_read(vma)'); // the trylock failed
    expect(r.events).toEqual(['ANON_VMA_TRYLOCK_FAIL']);
    r.until('T2', 'mmap_read_lock(mm)'); // VM_FAULT_RETRY: back to the arch code, which falls back to mmap_lock
    expect(r.events).toEqual(['ANON_VMA_TRYLOCK_FAIL', 'VMA_LOCK_RETRY', 'FAULT_RETRY']);
    expect(r.ex.mm.vmas[1]!.readers).toEqual([]);
    r.finish('T1');
    r.finish('T2');
    expect(r.events).toEqual(['ANON_VMA_TRYLOCK_FAIL', 'VMA_LOCK_RETRY', 'FAULT_RETRY', 'ANON_VMA_PREPARE']);
    expect(r.ex.mm.vmas[1]!.anon_vma).not.toBeNull();
    expect(r.violations).toEqual([]);
  });
});

describe('61f67c230a5e ("mm/vma: fix anon_vma UAF on mremap() faulted, unfaulted merge") as a mutation', () => {
  it('the fixed vma_expand gives the unfaulted neighbour the moved VMA\'s anon_vma; the source\'s unlink keeps it alive (hand-built)', () => {
    const r = handRun(parseCheckScenario(`
name: mremap-merge
description: hand-built
vmas:
  - { name: heap, kind: anon, anon_vma: false, pages: 6 }
threads:
  - name: T1
    ops:
      - { op: munmap, vma: heap, page: 4, pages: 2 }
      - { op: mprotect, vma: heap, page: 2, pages: 2, prot: r }
      - { op: fault, vma: heap, page: 0, access: write, state: zero }
      - { op: mremap, vma: heap, page: 0, pages: 2, new_pages: 2, to_page: 4 }
      - { op: mprotect, vma: heap, page: 2, pages: 2, prot: rw }
      - { op: mremap, vma: heap, page: 4, pages: 2, new_pages: 2, dontunmap: true, to_page: 0 }
`, 'mremap-merge'));
    r.finish('T1');
    const [merged, source] = r.ex.mm.vmas;
    const av = merged!.anon_vma!;
    expect([merged!.vm_end - merged!.vm_start, source!.vm_end - source!.vm_start]).toEqual([4, 2]);
    expect(source!.anon_vma).toBeNull(); // dontunmap_complete: unlink_anon_vmas(old)
    expect(merged!.folio_anon_vmas).toEqual([av]);
    expect(counters(av)).toEqual([1, 1, 1, 1, false]);
    expect(r.violations).toEqual([]);
  });

  it('check-mremap-anon-vma: +mremap-merge-skip-anon-vma-dup frees the anon_vma under the moved folios (use-after-free), shrunk and replayed; fixed: safe, complete', () => {
    const post = runCheck('check-mremap-anon-vma', { mode: { kind: 'dfs', sleepSets: true, dpor: true, preemptionBound: null, stateCache: true } }); // as `faultline check` runs it
    expect(verdict(post)).toBe('safe');
    expect(post.complete).toBe(true);
    expect([post.stats.executions, post.stats.newSteps]).toEqual([526, 3075]);
    // Precise cut summaries (issue 15's twelfth part, the default) take 526 and 3,075 where the coarse rule at cut
    // states took 541 and 3,090, with the same verdict:
    const coarse = runCheck('check-mremap-anon-vma', { mode: { kind: 'dfs', sleepSets: true, dpor: true, preemptionBound: null, stateCache: true, preciseCuts: false } });
    expect([verdict(coarse), coarse.complete, coarse.stats.executions, coarse.stats.newSteps]).toEqual(['safe', true, 541, 3090]); // 545, 3306 before issue 15's tenth part (vma_start_write's reader test an opaque yes/no, the mprotect_locked checkpoint, the dead `retried`); 542, 3303 before the fault's dispatch read vm_flags (userfaultfd_missing, issue 13a's userfaults: mprotect's flag writes now conflict with it); 528, 3093 before the same-mm transient vm_refcnt reference (issue 13a); 555, 3321 with it before source-set DPOR (issue 15)
    const bad = runCheck('check-mremap-anon-vma', { inject: ['mremap-merge-skip-anon-vma-dup'] });
    expect(verdict(bad)).toBe('unsafe:use-after-free');
    expect(bad.violation!.message).toMatch(/T1 frees anon_vma\[\d+\] \(the last put_anon_vma\) while vma\[\d+:heap\] still maps anonymous folios whose folio->mapping is it.*anon_vma is NULL/);
    expect(bad.violation!.steps.length).toBeLessThanOrEqual(bad.violation!.foundSteps);
    const again = runCheck('check-mremap-anon-vma', { inject: ['mremap-merge-skip-anon-vma-dup'], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
    // The bug's sequence alone (nfault = 0, what the differential test runs): found, and safe when fixed, in one execution.
    const alone = runCheck('check-mremap-anon-vma', { params: { nfault: 0 } });
    expect([verdict(alone), alone.complete, alone.stats.executions]).toEqual(['safe', true, 1]);
    expect(verdict(runCheck('check-mremap-anon-vma', { params: { nfault: 0 }, inject: ['mremap-merge-skip-anon-vma-dup'] }))).toBe('unsafe:use-after-free');
  }, 120_000);
});
