/**
 * A second mm (issue 13): check scenarios with more than one process, one
 * vm_area_cachep shared by every mm (a VMA object freed by one mm may become
 * another's), vma_start_read's vm_mm check, and mm lifetimes (mm_users /
 * mm_count: mmget/mmput/mmgrab/mmdrop, exit_mm, exit_mmap). Hand-built
 * interleavings with exact outcomes, then the checker on the scenarios.
 */
import { describe, expect, it } from 'vitest';
import {
  checkScenarioFromObject, decodeSchedule, Execution, INVARIANT_NAMES, loadCheckScenario, type Injection,
} from '../src/check/index.js';
import {
  mmdrop, mmgrab, mmput, MmStruct, VM_READ, VMA_READ_UNSTABLE, vma_start_read,
  vma_start_read_finish_unstable, VmAreaStruct,
} from '../src/model/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { ScenarioError } from '../src/scenario/errors.js';
import { runCheck, verdict } from './check-helpers.js';
import { lanes } from './lanes.js';
import { handRun as sharedHandRun } from './check-handrun.js';

/** One execution of a check scenario driven by hand; every data choice answers `choice` (1: reuse a freed VMA object). */
const handRun = (name: string, inject: Injection[] = [], choice = 1) => sharedHandRun(name, inject, choice);

describe('check scenarios with more than one process', () => {
  const base = {
    name: 'two', description: 'two processes',
    vmas: [{ name: 'a', kind: 'anon', pages: 2 }, { name: 'b', kind: 'anon', pages: 2, process: 'B' }],
  };

  it('VMAs and threads name their process; the unnamed one comes first; each address space is laid out from the same address', () => {
    const sc = checkScenarioFromObject({
      ...base,
      threads: [{ name: 'T1', ops: [{ op: 'fault', vma: 'a' }] }, { name: 'T2', process: 'B', ops: [{ op: 'munmap', vma: 'b' }, { op: 'exit' }] }],
    });
    expect(sc.processes).toEqual(['', 'B']);
    expect(sc.threads.map((t) => t.process)).toEqual(['', 'B']);
    expect(sc.threads[1]!.ops).toEqual([{ op: 'munmap', vma: ['b'], page: 0, pages: null }, { op: 'exit' }]);
    const ex = new Execution({ scenario: sc, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), injections: [], invariants: new Set(INVARIANT_NAMES) }, [1, 2], () => 0);
    const [mmA, mmB] = [ex.mms.get('')!, ex.mms.get('B')!];
    expect(mmA).toBe(ex.mm);
    expect(mmA).not.toBe(mmB);
    expect(mmA.vm_area_cachep).toBe(mmB.vm_area_cachep); // one slab for every mm
    expect([mmA.vmas.map((v) => [v.label, v.vm_start]), mmB.vmas.map((v) => [v.label, v.vm_start])]).toEqual([[['vma[0:a]', 16]], [['vma[100:b]', 16]]]);
    expect([mmA.mm_users, mmB.mm_users, mmB.mm_count]).toEqual([1, 1, 1]);
  });

  it('a thread may only name VMAs of its own process, and exit must be its last op', () => {
    expect(() => checkScenarioFromObject({ ...base, threads: [{ name: 'T1', ops: [{ op: 'fault', vma: 'b' }] }] }))
      .toThrow(/VMA 'b' belongs to process 'B', not to this thread's first process/);
    expect(() => checkScenarioFromObject({ ...base, threads: [{ name: 'T1', process: 'B', ops: [{ op: 'exit' }, { op: 'munmap', vma: 'b' }] }] }))
      .toThrow(ScenarioError);
  });

  it('scenarios without process keys have one process, as before', () => {
    const sc = loadCheckScenario('check-vma-reuse');
    expect(sc.processes).toEqual(['']);
    expect(sc.threads.every((t) => t.process === '')).toBe(true);
  });
});

describe('mm lifetimes: mm_users, mm_count, exit_mmap', () => {
  it('the last mmput runs exit_mmap (every VMA detached and freed into vm_area_cachep) and drops the users\' mm_count reference; an mmgrab keeps the mm_struct until its mmdrop', () => {
    const h = lanes({ vmas: 2 });
    const vmas = [...h.mm.vmas];
    h.lane('exit', 0, function* () {
      mmgrab(h.mm); // someone else pins the mm_struct
      yield* mmput(h.mm);
    });
    h.run();
    expect(vmas.map((v) => [v.detached, v.freed])).toEqual([[true, true], [true, true]]);
    expect(h.mm.vm_area_cachep).toEqual(vmas);
    expect([h.mm.vmas.length, h.mm.map_count, h.mm.mm_users, h.mm.mm_count, h.mm.freed]).toEqual([0, 0, 0, 1, false]);
    mmdrop(h.mm);
    expect([h.mm.mm_count, h.mm.freed]).toEqual([0, true]);
    expect(() => mmdrop(h.mm)).toThrow(/mm_count is already 0/);
  });

  it('a VMA object freed by one mm and reused by another takes the new mm (vm_mm)', () => {
    const cachep: VmAreaStruct[] = [];
    const a = new MmStruct(faultStrategy('mainline'), forkStrategy('fork-lock-all'), 'all', cachep, 'A');
    const b = new MmStruct(faultStrategy('mainline'), forkStrategy('fork-lock-all'), 'all', cachep, 'B');
    expect(a.vm_area_cachep).toBe(b.vm_area_cachep);
    expect([a.mmap_lock.label, b.mmap_lock.label]).toEqual(['mm(A)->mmap_lock', 'mm(B)->mmap_lock']);
    const v = new VmAreaStruct(a, 0, 'x', 16, 18, VM_READ, false, true, 1);
    expect(v.mm).toBe(a);
    // vma_start_read from mm B on A's VMA: err_unstable (mmgrab A, a transient reference, no read lock);
    // lock_next_vma finishes it at once (vma_refcount_put, mmdrop).
    expect(vma_start_read(b, v)).toBe(VMA_READ_UNSTABLE);
    expect([a.mm_count, v.nrReaders, v.readers.length]).toEqual([2, 1, 0]);
    vma_start_read_finish_unstable(v);
    expect([a.mm_count, v.nrReaders]).toEqual([1, 0]);
  });
});

describe('vma_start_read on a VMA another mm reused (hand-built interleavings)', () => {
  it('the vm_mm check: VMA_LOCK_ABORT, the mmap_lock path finds nothing (SIGSEGV); the other mm was pinned (mmgrab) across the wake-up and released', () => {
    const r = handRun('check-vma-reuse-mm');
    r.until('fault', 'vma_start_read(mm, vma)'); // looked up vma a
    const obj = r.ex.mm.vmas[0]!;
    r.finish('unmap'); // a detached and freed
    r.until('split', 'mmap_write_unlock(mm)'); // the split's new piece reused the object
    const mmB = r.ex.mms.get('B')!;
    expect([obj.mm, obj.vm_start, obj.vm_end, obj.freed, obj.detached]).toEqual([mmB, 16, 17, false, false]);
    r.until('fault', 'vma_refcount_put: rcuwait_wake_up(&mm->vma_writer_wait)');
    expect(mmB.mm_count).toBe(2); // err_unstable: mmgrab(other_mm)
    expect(obj.nrReaders).toBe(0); // the reference was dropped in the same step
    r.finish('fault');
    expect(mmB.mm_count).toBe(1);
    expect(r.events).toEqual(['VMA_LOCK_ABORT', 'FAULT_SIGSEGV']);
    r.finish('split');
    expect(r.violation).toBeNull();
  });

  it('without the vm_mm check (--inject vma-start-read-skip-mm-check) the fault read-locks process B\'s VMA and handles the fault on it: use-after-free (another mm)', () => {
    const r = handRun('check-vma-reuse-mm', ['vma-start-read-skip-mm-check']);
    r.until('fault', 'vma_start_read(mm, vma)');
    r.finish('unmap');
    r.finish('split');
    r.until('fault', 'handle_mm_fault(vma, addr, flags)');
    expect(r.violation).toMatchObject({ invariant: 'use-after-free' });
    expect(r.violation!.message).toMatch(/^fault runs handle_mm_fault for address 16 on vma\[101:b\] \[16, 17\)/);
  });

  it('Jann Horn\'s race, fixed: B exits between the fault\'s refcount drop and its wake-up; the mmgrab keeps mm B, which the fault\'s mmdrop frees', () => {
    const r = handRun('check-vma-reuse-mm-exit');
    r.until('fault', 'vma_start_read(mm, vma)');
    r.finish('unmap');
    r.until('B', 'exit_mmap: free_pgtables'); // the mprotect (split, reusing the object) done; exit_mmap holds mmap_lock for write
    r.until('fault', 'vma_refcount_put: rcuwait_wake_up(&mm->vma_writer_wait)');
    const mmB = r.ex.mms.get('B')!;
    r.finish('B');
    expect([mmB.mm_users, mmB.mm_count, mmB.freed]).toEqual([0, 1, false]);
    r.finish('fault');
    expect([mmB.mm_count, mmB.freed]).toEqual([0, true]);
    expect(r.events).toEqual(['VMA_LOCK_ABORT', 'FAULT_SIGSEGV']);
    expect(r.violation).toBeNull();
  });

  it('the same race before the fix (--inject lock-vma-mm-check-without-mmgrab): the wake-up touches the freed mm B (use-after-free)', () => {
    const r = handRun('check-vma-reuse-mm-exit', ['lock-vma-mm-check-without-mmgrab']);
    r.until('fault', 'vma_start_read(mm, vma)');
    r.finish('unmap');
    r.until('B', 'exit_mmap: free_pgtables');
    r.until('fault', 'vma_refcount_put: rcuwait_wake_up(&mm->vma_writer_wait)');
    const mmB = r.ex.mms.get('B')!;
    expect(mmB.mm_count).toBe(1); // no mmgrab
    r.finish('B');
    expect(mmB.freed).toBe(true);
    expect(r.violation).toBeNull();
    r.finish('fault'); // its next step is the wake-up
    expect(r.violation).toEqual({
      invariant: 'use-after-free',
      message: 'fault runs rcuwait_wake_up(&mm->vma_writer_wait) in vma_refcount_put on mm(B) after it was freed (__mmdrop: mm_count fell to 0)',
    });
  });
});

describe('the checker on two processes: found before the fix, safe after', () => {
  const cases: Array<[string, Injection, RegExp]> = [
    ['check-vma-reuse-mm', 'vma-start-read-skip-mm-check', /^fault runs handle_mm_fault for address 16 on vma\[101:b\] \[16, 17\): the object it looked up is no longer the VMA/],
    ['check-vma-reuse-mm-exit', 'lock-vma-mm-check-without-mmgrab', /^fault runs rcuwait_wake_up\(&mm->vma_writer_wait\) in vma_refcount_put on mm\(B\) after it was freed/],
  ];
  for (const [sc, inject, msg] of cases) {
    it(`${sc}: safe and complete; +${inject}: use-after-free, shrunk and replayed`, () => {
      const post = runCheck(sc);
      expect(verdict(post)).toBe('safe');
      expect(post.complete).toBe(true);
      const bad = runCheck(sc, { inject: [inject] });
      expect(verdict(bad)).toBe('unsafe:use-after-free');
      expect(bad.violation!.message).toMatch(msg);
      expect(bad.violation!.steps.length).toBeLessThanOrEqual(bad.violation!.foundSteps);
      const again = runCheck(sc, { inject: [inject], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
      expect(again.violation!.message).toBe(bad.violation!.message);
    });
  }

  it('without the exit the pre-fix code is safe (nothing frees mm B), and without reuse nothing reaches another mm', () => {
    expect(verdict(runCheck('check-vma-reuse-mm', { inject: ['lock-vma-mm-check-without-mmgrab'] }))).toBe('safe');
    const noReuse = { ...loadCheckScenario('check-vma-reuse-mm-exit'), nondet: [] };
    expect(verdict(runCheck(noReuse, { inject: ['lock-vma-mm-check-without-mmgrab'] }))).toBe('safe');
    expect(verdict(runCheck({ ...loadCheckScenario('check-vma-reuse-mm'), nondet: [] }, { inject: ['vma-start-read-skip-mm-check'] }))).toBe('safe');
  });
});
