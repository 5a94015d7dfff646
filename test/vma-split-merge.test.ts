/**
 * VMAs that change shape and die (issue 13): mprotect's vma_modify (split_vma,
 * vma_merge_existing_range), partial munmap, vm_area_free into a
 * SLAB_TYPESAFE_BY_RCU cache, and lock_vma_under_rcu as a sequence of steps.
 * Hand-built interleavings with exact outcomes, then the checker on the
 * scenarios built on them.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeSchedule, Execution, INVARIANT_NAMES, loadCheckScenario, type CheckModel,
} from '../src/check/index.js';
import {
  do_mprotect_pkey, do_mremap, do_vmi_align_munmap, install_vm_event_sink, madvise_flags, MREMAP_DONTUNMAP, MREMAP_MAYMOVE, VM_RAND_READ, lock_vma_under_rcu, mmap_write_lock, mmap_write_unlock,
  mprotect_fixup, vma_end_read, vma_is_write_locked, VM_EVENT_NAMES, VM_READ, VM_WRITE, type VmAreaStruct, type VmEvent,
} from '../src/model/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { parseScenario } from '../src/scenario/index.js';
import { buildMm, costArray, Simulator, Workload } from '../src/sim/index.js';
import { runCheck, verdict } from './check-helpers.js';
import { hold, lanes } from './lanes.js';

/** [start, end) relative to `base`, pgoff, writable: the shape of the address space. */
function layout(vmas: readonly VmAreaStruct[], base: number): Array<[number, number, number, boolean]> {
  return vmas.map((v) => [v.vm_start - base, v.vm_end - base, v.vm_pgoff, (v.vm_flags & VM_WRITE) !== 0]);
}

describe('mprotect splits and merges VMAs, write-locking exactly what the kernel does', () => {
  it('mprotect of the middle of a VMA write-locks the original (the middle piece) and both new pieces, and leaves three VMAs', () => {
    const h = lanes({ vmas: 1 });
    const orig = h.vma[0]!, base = orig.vm_start;
    let locked: boolean[] = [];
    let ret: VmAreaStruct | null = null;
    h.lane('W', 0, function* () {
      yield* mmap_write_lock(h.mm);
      ret = yield* mprotect_fixup(h.mm, orig, h.mm.mm_mt.prev(orig), base + 4, base + 8, orig.vm_flags | VM_WRITE);
      locked = h.mm.vmas.map(vma_is_write_locked);
      mmap_write_unlock(h.mm);
    });
    h.run();
    expect(layout(h.mm.vmas, base)).toEqual([[0, 4, 0, false], [4, 8, 4, true], [8, 16, 8, false]]);
    expect(h.mm.vmas[1]).toBe(orig);
    expect(ret).toBe(orig);
    expect(locked).toEqual([true, true, true]);
    expect(h.mm.map_count).toBe(3);
    // The pieces map one file: they share its page state.
    expect(h.mm.vmas.every((v) => v.cache === orig.cache && v.f_ra === orig.f_ra)).toBe(true);
    expect(h.mm.vmas.map(vma_is_write_locked)).toEqual([false, false, false]); // mmap_write_unlock ended the write section
  });

  it('merge into the previous VMA write-locks the neighbour it extends and the VMA it shrinks, not the next one', () => {
    const h = lanes({ vmas: 1 });
    const orig = h.vma[0]!, base = orig.vm_start, rw = orig.vm_flags | VM_WRITE;
    let locked: boolean[] = [];
    h.lane('W', 0, function* () {
      expect(yield* do_mprotect_pkey(h.mm, base + 4, 4, VM_READ | VM_WRITE)).toBe(true); // [0,4) [4,8)rw [8,16)
      yield* mmap_write_lock(h.mm);
      const [head, mid] = [h.mm.vmas[0]!, h.mm.vmas[1]!];
      expect(mid.vm_flags).toBe(rw);
      // [4, 6) back to the old flags: merge_left (the head grows to 6, the middle shrinks to [6, 8)).
      const r = yield* mprotect_fixup(h.mm, mid, head, base + 4, base + 6, orig.vm_flags & ~VM_WRITE);
      expect(r).toBe(head);
      locked = h.mm.vmas.map(vma_is_write_locked);
      mmap_write_unlock(h.mm);
    });
    h.run();
    expect(layout(h.mm.vmas, base)).toEqual([[0, 6, 0, false], [6, 8, 6, true], [8, 16, 8, false]]);
    expect(h.mm.vmas[1]).toBe(orig);
    expect(locked).toEqual([true, true, false]);
  });

  it('mprotect of the whole middle back merges all three: prev extended, middle and next detached and freed', () => {
    const h = lanes({ vmas: 1 });
    const orig = h.vma[0]!, base = orig.vm_start;
    let objs: VmAreaStruct[] = [];
    let locked: boolean[] = [];
    h.lane('W', 0, function* () {
      yield* do_mprotect_pkey(h.mm, base + 4, 4, VM_READ | VM_WRITE);
      objs = h.mm.vmas.slice();
      yield* mmap_write_lock(h.mm);
      yield* mprotect_fixup(h.mm, objs[1]!, objs[0]!, base + 4, base + 8, orig.vm_flags & ~VM_WRITE);
      locked = objs.map(vma_is_write_locked);
      mmap_write_unlock(h.mm);
    });
    h.run();
    expect(layout(h.mm.vmas, base)).toEqual([[0, 16, 0, false]]);
    expect(h.mm.vmas[0]).toBe(objs[0]);
    expect(locked).toEqual([true, true, true]);
    expect(objs.map((v) => [v.detached, v.freed])).toEqual([[false, false], [true, true], [true, true]]);
    expect(h.mm.map_count).toBe(1);
    expect(h.mm.vm_area_cachep).toEqual([objs[1], objs[2]]);
  });

  it('a reader of the neighbour delays the merge: vma_start_write(prev) waits for it', () => {
    const h = lanes({ vmas: 1 });
    const orig = h.vma[0]!, base = orig.vm_start;
    h.lane('W', 0, function* () {
      yield* do_mprotect_pkey(h.mm, base + 4, 4, VM_READ | VM_WRITE);
      yield* hold(4);
      h.mark('merge');
      yield* do_mprotect_pkey(h.mm, base + 4, 4, VM_READ);
      h.mark('merged');
    });
    h.lane('R', 2, function* () {
      const v = lock_vma_under_rcu(h.mm, base); // the head piece
      h.mark(v === h.mm.vmas[0] ? 'head read-locked' : 'no');
      yield* hold(10);
      vma_end_read(v!);
    });
    h.run();
    expect(h.marks).toEqual([['R', 'head read-locked', 2], ['W', 'merge', 4], ['W', 'merged', 12]]);
    expect(h.rec.waitLanes()).toEqual([['W', 'vma_start_write', 'vma_lock', `vma[1:vma]`, 4, 12]]);
    expect(layout(h.mm.vmas, base)).toEqual([[0, 16, 0, false]]);
  });
});

describe('madvise flag changes (MADV_RANDOM / MADV_NORMAL) split and merge like mprotect', () => {
  it('MADV_RANDOM of the middle leaves three VMAs (the original in the middle, all write-locked); MADV_NORMAL merges them back', () => {
    const h = lanes({ vmas: 1 });
    const orig = h.vma[0]!, base = orig.vm_start;
    let shape: Array<[number, number, boolean]> = [];
    h.lane('W', 0, function* () {
      expect(yield* madvise_flags(h.mm, base + 4, 4, 'random')).toBe(true);
      shape = h.mm.vmas.map((v) => [v.vm_start - base, v.vm_end - base, (v.vm_flags & VM_RAND_READ) !== 0]);
      expect(h.mm.vmas[1]).toBe(orig);
      expect(yield* madvise_flags(h.mm, base, 16, 'normal')).toBe(true);
    });
    h.run();
    expect(shape).toEqual([[0, 4, false], [4, 8, true], [8, 16, false]]);
    expect(layout(h.mm.vmas, base)).toEqual([[0, 16, 0, false]]);
    expect(h.mm.vmas[0]!.vm_flags & VM_RAND_READ).toBe(0);
  });
});

describe('munmap of part of a VMA', () => {
  it('splits at both edges; the original (now the middle) is detached and freed, the edges are new VMAs', () => {
    const h = lanes({ vmas: 1 });
    const orig = h.vma[0]!, base = orig.vm_start;
    h.lane('W', 0, function* () {
      const shape = yield* do_vmi_align_munmap(h.mm, base + 4, 4);
      expect(shape).toMatchObject({ vm_start: base + 4, vm_end: base + 8 });
    });
    h.run();
    expect(layout(h.mm.vmas, base)).toEqual([[0, 4, 0, false], [8, 16, 8, false]]);
    expect(h.mm.vmas).not.toContain(orig);
    expect([orig.detached, orig.freed]).toEqual([true, true]);
    expect(h.mm.map_count).toBe(2);
  });
});

/** Drive one execution of a check scenario by hand: step a task until its next step would be `what`. */
function handRun(name: string) {
  const sc = loadCheckScenario(name);
  const model: CheckModel = {
    scenario: sc, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'),
    injections: [], invariants: new Set(INVARIANT_NAMES),
  };
  const ex = new Execution(model, sc.threads.map((t) => t.ops.length), () => 0);
  const events: string[] = [];
  install_vm_event_sink((ev: VmEvent) => {
    const n = VM_EVENT_NAMES[ev];
    if (n.startsWith('VMA_LOCK') || n === 'FAULT_SIGSEGV' || n === 'FAULT_MMAP_PATH') events.push(n);
  });
  const id = (comm: string): number => ex.tasks.find((t) => t.comm === comm)!.id;
  return {
    ex, events,
    until(comm: string, what: string): void {
      const t = ex.tasks[id(comm)]!;
      for (let i = 0; i < 100 && t.pending !== what; i++) {
        if (t.state !== 0) throw new Error(`${comm} cannot run (${t.pending})`);
        const o = ex.step(t.id, true, true);
        expect(o.violation).toBeNull();
      }
      expect(t.pending).toBe(what);
    },
    finish(comm: string): void {
      const t = ex.tasks[id(comm)]!;
      for (let i = 0; i < 100 && t.state !== 2; i++) {
        if (t.state === 1) throw new Error(`${comm} sleeps in ${t.pending}`);
        expect(ex.step(t.id, true, true).violation).toBeNull();
      }
    },
  };
}

describe('lock_vma_under_rcu: lookup, vma_start_read and re-checks are separate steps', () => {
  const SCENARIO = 'check-vma-reuse';

  it('a fault whose VMA is unmapped (detached and freed) between lookup and lock: VMA_LOCK_MISS, a second lookup finds nothing (ABORT), the mmap_lock path gives SIGSEGV', () => {
    const r = handRun(SCENARIO);
    r.until('T1', 'vma_start_read(mm, vma)'); // looked up vma a
    r.until('T2', 'mmap_write_lock(mm)'); // munmap(a) done (the next op, mprotect, is about to start)
    r.finish('T1');
    expect(r.events).toEqual(['VMA_LOCK_MISS', 'VMA_LOCK_ABORT', 'FAULT_SIGSEGV']);
  });

  it('detached but still write-locked (the munmap gather window): ABORT without a MISS, then the fault waits for mmap_lock', () => {
    const r = handRun(SCENARIO);
    r.until('T1', 'vma_start_read(mm, vma)');
    r.until('T2', 'vma_iter_clear_gfp(vmi, start, end)'); // vma_mark_detached done, still in the tree and write-locked
    const a = r.ex.mm.vmas[0]!;
    expect([a.detached, vma_is_write_locked(a)]).toEqual([true, true]);
    r.until('T1', 'mmap_read_lock(mm)');
    expect(r.events).toEqual(['VMA_LOCK_ABORT']);
    r.finish('T2');
    r.finish('T1');
    expect(r.events).toEqual(['VMA_LOCK_ABORT', 'FAULT_SIGSEGV']);
  });
});

describe('the checker on VMAs that change shape', () => {
  it('check-vma-reuse: safe with the re-checks (complete search); without them a reused object is used (use-after-free), shrunk and replayed', () => {
    const safe = runCheck('check-vma-reuse');
    expect(verdict(safe)).toBe('safe');
    expect(safe.complete).toBe(true);
    const bad = runCheck('check-vma-reuse', { inject: ['lock-vma-skip-recheck'] });
    expect(verdict(bad)).toBe('unsafe:use-after-free');
    expect(bad.violation!.message).toMatch(/T1 runs handle_mm_fault for address 16 on vma\[\d+:b\] .* no longer the VMA covering the address/);
    const again = runCheck('check-vma-reuse', { inject: ['lock-vma-skip-recheck'], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
  });

  it('check-vma-reuse without reuse (the nondet site off): the freed object is only ever seen detached', () => {
    const sc = { ...loadCheckScenario('check-vma-reuse'), nondet: [] };
    expect(verdict(runCheck(sc, { inject: ['lock-vma-skip-recheck'] }))).toBe('safe');
  });

  it('check-mprotect-merge: safe; a merge that does not write-lock the neighbour it extends is caught, shrunk and replayed', () => {
    expect(verdict(runCheck('check-mprotect-merge'))).toBe('safe');
    const bad = runCheck('check-mprotect-merge', { inject: ['merge-skip-neighbour-write-lock'] });
    expect(verdict(bad)).toBe('unsafe:vma-write-exclusion');
    expect(bad.violation!.message).toMatch(/gc changes the range of vma\[\d+:heap\] without holding its VMA write lock/);
    expect(bad.violation!.steps.length).toBeLessThan(bad.violation!.foundSteps);
    const again = runCheck('check-mprotect-merge', { inject: ['merge-skip-neighbour-write-lock'], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
  });
});

describe('use-after-unlock and lock order', () => {
  it('a fault that reads the VMA after handle_mm_fault returned VM_FAULT_RETRY (the lock already dropped) is a use-after-unlock', () => {
    expect(verdict(runCheck('check-mprotect-fault'))).toBe('safe');
    const bad = runCheck('check-mprotect-fault', { inject: ['fault-vma-access-after-retry'] });
    expect(verdict(bad)).toBe('unsafe:use-after-unlock');
    expect(bad.violation!.message).toMatch(/T2 runs a read of vma->vm_flags after VM_FAULT_RETRY on vma\[0:lib\] holding neither its VMA read lock nor mmap_lock/);
    const again = runCheck('check-mprotect-fault', { inject: ['fault-vma-access-after-retry'], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
  }, 20_000); // three complete searches of check-mprotect-fault: 4.2-5.2 s under load

  it('one thread, no deadlock possible: mmap_lock -> vma_lock (mprotect) then vma_lock -> mmap_lock (the mutated madvise) is reported as an inversion', () => {
    const ok = runCheck('check-lock-order');
    expect(verdict(ok)).toBe('safe');
    expect(ok.complete).toBe(true);
    const bad = runCheck('check-lock-order', { inject: ['madvise-mmap-lock-under-vma-lock'] });
    expect(verdict(bad)).toBe('unsafe:lock-order');
    expect(bad.violation!.message).toBe('lock order inversion: T1 in madvise(heap, MADV_DONTNEED) takes mmap_lock while holding vma_lock, but T1 in mprotect(heap, pages 0..0, r) took vma_lock while holding mmap_lock');
  });

  it('with the writer in another thread the mutation is found too: the deadlock, or the inversion when deadlock is off', () => {
    const sc = {
      ...loadCheckScenario('check-lock-order'),
      threads: [
        { name: 'T1', ops: [{ op: 'madvise_dontneed' as const, vma: ['heap'] }] },
        { name: 'T2', ops: [{ op: 'mprotect' as const, vma: ['heap'], page: 0, pages: 1, prot: 'r' as const }] },
      ],
    };
    expect(verdict(runCheck(sc))).toBe('safe');
    const bad = runCheck(sc, { inject: ['madvise-mmap-lock-under-vma-lock'] });
    expect(['unsafe:lock-order', 'unsafe:deadlock']).toContain(verdict(bad));
    const noDeadlock = runCheck(sc, { inject: ['madvise-mmap-lock-under-vma-lock'], invariants: INVARIANT_NAMES.filter((i) => i !== 'deadlock') });
    expect(verdict(noDeadlock)).toBe('unsafe:lock-order');
  });
});

describe('the classes of per-VMA-lock bugs fixed since v6.4, as mutations: found before the fix, safe after', () => {
  const cases: Array<[string, Parameters<typeof runCheck>[1] & { inject: NonNullable<Parameters<typeof runCheck>[1]>['inject'] }, string, RegExp]> = [
    ['check-merge-anon-vma', { inject: ['dup-anon-vma-before-write-lock'] }, 'unsafe:vma-write-exclusion', /gc changes the anon_vma of vma\[\d+:heap\] without holding its VMA write lock/],
    ['check-mmap-new-vma', { inject: ['mmap-skip-new-vma-write-lock'] }, 'unsafe:vma-write-exclusion', /T2 changes the flags of vma\[\d+:lib\] without holding its VMA write lock/],
    ['check-vma-reuse', { inject: ['lock-vma-skip-recheck'] }, 'unsafe:use-after-free', /no longer the VMA covering the address/],
    ['check-fork-anon', { inject: ['fork-skip-vma-write-lock'] }, 'unsafe:vma-write-exclusion', /copies it in dup_mmap relying on the VMA write lock/],
    ['check-stack-expand', { inject: ['stack-expand-skip-write-lock'] }, 'unsafe:vma-write-exclusion', /T1 changes the range of vma\[0:stack\] without holding its VMA write lock/],
  ];
  for (const [sc, spec, pre, msg] of cases) {
    it(`${sc} +${spec.inject!.join('+')}: ${pre} (shrunk, replayed); fixed: safe, complete`, () => {
      const post = runCheck(sc);
      expect(verdict(post)).toBe('safe');
      expect(post.complete).toBe(true);
      const bad = runCheck(sc, spec);
      expect(verdict(bad)).toBe(pre);
      expect(bad.violation!.message).toMatch(msg);
      expect(bad.violation!.steps.length).toBeLessThanOrEqual(bad.violation!.foundSteps);
      const again = runCheck(sc, { ...spec, mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
      expect(again.violation!.message).toBe(bad.violation!.message);
    });
  }
});

describe('simulator: mprotect ops with prot', () => {
  const yaml = (gcOps: string): string => `
name: frag
description: a GC mprotects a heap
duration: 50ms
cpus: 2
vmas:
  - { name: heap, kind: anon, pages: 4096 }
threads:
  - name: gc
    think: 1ms
    ops:
${gcOps}
  - name: mutator
    think: 100us
    ops:
      - { op: fault, vma: heap, access: write }
`;
  const run = (gcOps: string) => {
    const sc = parseScenario(yaml(gcOps), 'frag.yaml', 'yaml');
    const { mm, slots } = buildMm(sc, faultStrategy('mainline'), forkStrategy('fork-lock-all'));
    const sim = new Simulator({ cpus: sc.cpus, preempt: sc.preempt, costs: costArray(sc), seed: 1, laws: [sc.io.read, sc.io.swap, sc.io.writeback, sc.io.folio_lock_hold] }, mm);
    new Workload(sim, mm, slots).spawnAll(sc.threads);
    sim.run(sc.duration);
    return mm;
  };

  it('protect/unprotect pairs (restore: true) split and merge back: the heap is one VMA again', () => {
    const mm = run('      - { op: mprotect, vma: heap, pages: 64, prot: r, restore: true }');
    expect(mm.vmas.length).toBe(1);
    expect(mm.vmas[0]!.vm_flags & VM_WRITE).toBe(VM_WRITE);
    expect(mm.vm_area_cachep.length).toBeGreaterThan(0); // pieces were merged away and freed
  });

  it('unpaired mprotects leave read-only fragments', () => {
    const mm = run('      - { op: mprotect, vma: heap, pages: 64, prot: r }');
    expect(mm.vmas.length).toBeGreaterThan(3);
    expect(mm.vmas.some((v) => (v.vm_flags & VM_WRITE) === 0)).toBe(true);
    // Adjacent VMAs never have the same flags (they would have merged), and they tile the heap.
    for (let i = 1; i < mm.vmas.length; i++) {
      expect(mm.vmas[i]!.vm_flags).not.toBe(mm.vmas[i - 1]!.vm_flags);
      expect(mm.vmas[i]!.vm_start).toBe(mm.vmas[i - 1]!.vm_end);
    }
  });

  it('without prot the heap is never split (the model before issue 13)', () => {
    expect(run('      - { op: mprotect, vma: heap, pages: 64 }').vmas.length).toBe(1);
  });

  it('restore without prot is an error', () => {
    expect(() => parseScenario(yaml('      - { op: mprotect, vma: heap, pages: 64, restore: true }'), 'frag.yaml', 'yaml')).toThrow(/restore needs prot/);
  });
});

describe('stack expansion (lock_mm_and_find_vma, v6.5+)', () => {
  it('a fault one page below a stack drops mmap_lock read, takes it for write, expands the VMA (write-locked) and finishes under the downgraded lock', () => {
    const r = handRun('check-stack-expand');
    const stack = r.ex.mm.vmas[0]!;
    const start = stack.vm_start;
    r.until('T1', 'expand_downwards(vma, address)');
    expect(vma_is_write_locked(stack)).toBe(true);
    r.finish('T1');
    expect([stack.vm_start, stack.vm_end - stack.vm_start]).toEqual([start - 1, 3]);
    expect(r.events).toEqual(['VMA_LOCK_ABORT', 'FAULT_MMAP_PATH']);
    expect(r.ex.mm.mmap_lock.readers.length + (r.ex.mm.mmap_lock.writer === null ? 0 : 1)).toBe(0);
  });

  it('a reader of the stack VMA delays the expansion (vma_start_write waits for it)', () => {
    const r = handRun('check-stack-expand');
    r.until('T2', 'handle_mm_fault(vma, addr, flags)'); // T2 holds the stack's VMA read lock
    r.until('T1', 'vma_start_write(vma)'); // expand_downwards' write lock is next
    const t1 = r.ex.tasks.find((t) => t.comm === 'T1')!;
    r.ex.step(t1.id, true, true);
    expect(t1.state).toBe(1); // asleep in vma_start_write
    expect(t1.pending).toBe('woken in vma_start_write(vma[0:stack])');
    expect(r.ex.mm.vmas[0]!.excludeReaders).toBe(true);
    r.finish('T2'); // the last reader leaves and wakes the writer
    expect(t1.state).toBe(0);
    r.finish('T1');
    expect(r.ex.mm.vmas[0]!.pages).toBe(3);
  });
});

describe('mprotect across several VMAs', () => {
  it('a range over three pieces whose first fixup merges them all continues after the merged VMA (nstart = prev->vm_end)', () => {
    const h = lanes({ vmas: 1 });
    const base = h.vma[0]!.vm_start;
    h.lane('W', 0, function* () {
      yield* do_mprotect_pkey(h.mm, base + 4, 4, VM_READ | VM_WRITE);
      expect(h.mm.vmas.length).toBe(3);
      expect(yield* do_mprotect_pkey(h.mm, base, 16, VM_READ)).toBe(true);
    });
    h.run();
    expect(layout(h.mm.vmas, base)).toEqual([[0, 16, 0, false]]);
  });
});

describe('mremap', () => {
  it('grows a VMA in place when the space after it is free: the VMA is write-locked (a reader delays it) and keeps its identity', () => {
    const h = lanes({ vmas: 1 });
    const v = h.vma[0]!, base = v.vm_start;
    let ret = 0;
    h.lane('R', 0, function* () {
      const r = lock_vma_under_rcu(h.mm, base);
      yield* hold(5);
      vma_end_read(r!);
    });
    h.lane('W', 1, function* () {
      ret = yield* do_mremap(h.mm, base, 16, 20, 0);
      h.mark('grown');
    });
    h.run();
    expect(ret).toBe(base);
    expect(h.marks).toEqual([['W', 'grown', 5]]);
    expect(layout(h.mm.vmas, base)).toEqual([[0, 20, 0, false]]);
    expect(h.mm.vmas[0]).toBe(v);
  });

  it('moves a VMA that cannot grow in place (MREMAP_MAYMOVE): a new VMA above the others, the old one detached and freed', () => {
    const h = lanes({ vmas: 2 });
    const [a, b] = [h.vma[0]!, h.vma[1]!];
    const base = a.vm_start;
    let ret = 0;
    h.lane('W', 0, function* () {
      ret = yield* do_mremap(h.mm, base, 16, 20, MREMAP_MAYMOVE);
    });
    h.run();
    expect(ret).toBe(b.vm_end + 1);
    expect(h.mm.vmas.map((v) => [v.vm_start - base, v.vm_end - base, v.vm_pgoff])).toEqual([[17, 33, 0], [34, 54, 0]]);
    expect(h.mm.vmas[1]!.cache).toBe(a.cache); // the same file, the same page state
    expect([a.detached, a.freed]).toEqual([true, true]);
    expect(h.mm.map_count).toBe(2);
  });

  it('without MREMAP_MAYMOVE a VMA that cannot grow in place stays as it is (-ENOMEM); MREMAP_DONTUNMAP keeps the old VMA', () => {
    const h = lanes({ vmas: 2 });
    const base = h.vma[0]!.vm_start;
    let r1 = 0, r2 = 0;
    h.lane('W', 0, function* () {
      r1 = yield* do_mremap(h.mm, base, 16, 20, 0);
      r2 = yield* do_mremap(h.mm, base, 16, 16, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
    });
    h.run();
    expect(r1).toBe(-1);
    expect(r2).toBe(h.vma[1]!.vm_end + 1);
    expect(h.mm.vmas.map((v) => [v.vm_start - base, v.vm_end - base])).toEqual([[0, 16], [17, 33], [34, 50]]);
    expect(h.mm.vmas[0]).toBe(h.vma[0]);
  });

  it('the checker: a fault racing an mremap move is safe (the fault aborts, or falls back and finds the new layout)', () => {
    const sc = {
      ...loadCheckScenario('check-vma-reuse'),
      threads: [
        { name: 'T1', ops: [{ op: 'fault' as const, vma: ['a'], page: 0, access: 'write' as const, state: ['zero' as const] }] },
        { name: 'T2', ops: [{ op: 'mremap' as const, vma: ['a'], page: 0, pages: null, new_pages: 3, maymove: true, dontunmap: false, to_page: null }] },
      ],
    };
    const r = runCheck(sc);
    expect(verdict(r)).toBe('safe');
    expect(r.complete).toBe(true);
  });
});
