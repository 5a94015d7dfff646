/**
 * mmap(MAP_FIXED) over existing VMAs (src/model/mmap_region.ts
 * do_mmap_fixed, __mmap_region v6.12+): the old VMAs are write-locked and
 * detached (vms_gather_munmap_vmas) before the new VMA, write-locked,
 * overwrites their range; a fault on the old range works on the old VMA
 * before munmap's write lock, falls back, or finds the new VMA. Exact
 * outcomes of hand-built interleavings, then the checker.
 */
import { describe, expect, it } from 'vitest';
import { checkScenarioFromObject, decodeSchedule } from '../src/check/index.js';
import { vma_is_write_locked } from '../src/model/index.js';
import { parseScenario } from '../src/scenario/index.js';
import { buildMm, costArray, Simulator, Workload } from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { Recorder } from './helpers.js';
import { runCheck, verdict } from './check-helpers.js';
import { handRun } from './check-handrun.js';

const LOCKED = 'do_anonymous_page(vmf)'; // the fault holds the VMA read lock and its page table

describe('MAP_FIXED over a VMA a fault is using', () => {
  it('the fault holds the old VMA: MAP_FIXED waits in vma_start_write; then the new VMA replaces it, the old one and its page table are freed', () => {
    const r = handRun('check-mmap-fixed');
    const old = r.ex.mm.vmas[0]!, t0 = r.ex.mm.pgtables.get(0)!;
    r.until('T1', LOCKED);
    r.run('T2');
    expect(r.task('T2').state).toBe(1);
    expect(old.writerWaiting).toBe(r.task('T2'));
    r.run('T1');
    r.run('T2');
    expect([r.task('T1').state, r.task('T2').state]).toEqual([2, 2]);
    const nw = r.ex.mm.vmas[0]!;
    expect(r.ex.mm.vmas.length).toBe(1);
    expect(nw).not.toBe(old);
    expect([nw.vm_start, nw.vm_end]).toEqual([old.vm_start, old.vm_end]);
    expect([nw.anon_vma, nw.detached, old.detached, old.freed, t0.freed, r.ex.mm.map_count]).toEqual([null, false, true, true, true, 1]);
    expect(r.events).toEqual(['VMA_LOCK_SUCCESS']);
    expect(r.violation).toBeNull();
  });

  it('the old VMA still in the tree, write-locked and detached: the fault aborts, waits for mmap_lock and faults on the new VMA', () => {
    const r = handRun('check-mmap-fixed');
    const old = r.ex.mm.vmas[0]!;
    r.until('T2', 'vma_iter_store(vmi, vma)');
    expect([r.ex.mm.vmas[0], old.detached, vma_is_write_locked(old)]).toEqual([old, true, true]);
    r.run('T1'); // lookup finds the old VMA write-locked: ABORT; then mmap_read_lock sleeps behind T2
    expect([r.task('T1').state, r.events]).toEqual([1, ['VMA_LOCK_ABORT']]);
    r.run('T2');
    r.run('T1');
    expect(r.task('T1').state).toBe(2);
    expect(r.ex.mm.vmas[0]!.anon_vma).not.toBeNull(); // the fault gave the new VMA its anon_vma, under mmap_lock
    expect(r.events).toEqual(['VMA_LOCK_ABORT']);
    expect(r.violation).toBeNull();
  });

  it('MAP_FIXED over the middle of a VMA splits it: the edges stay, the middle is a new VMA', () => {
    const sc = checkScenarioFromObject({
      name: 'fixed-middle', description: 'MAP_FIXED over the middle pages',
      vmas: [{ name: 'heap', kind: 'anon', anon_vma: true, pages: 4 }],
      threads: [{ name: 'T2', ops: [{ op: 'mmap_fixed', vma: 'heap', page: 1, pages: 2 }] }],
    });
    const r = handRun(sc);
    const old = r.ex.mm.vmas[0]!, base = old.vm_start;
    r.run('T2');
    expect(r.ex.mm.vmas.map((v) => [v.vm_start - base, v.vm_end - base, v.anon_vma !== null])).toEqual([[0, 1, true], [1, 3, false], [3, 4, true]]);
    expect([old.freed, r.ex.mm.map_count]).toEqual([true, 3]); // the original was the middle piece after the splits
    expect(r.ex.mm.pgtables.get(0)!.freed).toBe(false); // the edges still map pages of table 0
    expect(r.violation).toBeNull();
  });
});

describe('the checker on check-mmap-fixed', () => {
  it('safe, complete; the old page tables freed before the write lock, or the new VMA stored unlocked, are found, shrunk and replayed', () => {
    const post = runCheck('check-mmap-fixed');
    expect(verdict(post)).toBe('safe');
    expect(post.complete).toBe(true);
    for (const [inject, pre] of [['free-pgtables-before-detach', 'unsafe:use-after-free'], ['mmap-skip-new-vma-write-lock', 'unsafe:vma-write-exclusion']] as const) {
      const bad = runCheck('check-mmap-fixed', { inject: [inject] });
      expect(verdict(bad), inject).toBe(pre);
      const again = runCheck('check-mmap-fixed', { inject: [inject], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
      expect(again.violation!.message).toBe(bad.violation!.message);
    }
  });
});

describe('simulator: munmap with fixed: true is one mmap(MAP_FIXED) over the VMA', () => {
  const yaml = `
name: fixed
description: a thread maps new memory over the heap with MAP_FIXED while another faults on it
duration: 20ms
cpus: 2
vmas:
  - { name: heap, kind: anon, pages: 4096 }
  - { name: lib, kind: file, pages: 256 }
threads:
  - name: gc
    think: 1ms
    ops:
      - { op: munmap, vma: heap, fixed: true }
  - name: mutator
    think: 50us
    ops:
      - { op: fault, vma: heap, access: write }
`;
  it('each op is an mmap that succeeds; the heap keeps its range as a new VMA; faults go on', () => {
    const sc = parseScenario(yaml, 'fixed.yaml', 'yaml');
    expect(sc.threads[0]!.ops[0]).toMatchObject({ op: 'munmap', vma: 'heap', fixed: true });
    const { mm, slots } = buildMm(sc, faultStrategy('mainline'), forkStrategy('fork-lock-all'));
    const first = mm.vmas[0]!;
    const rec = new Recorder();
    const sim = new Simulator({
      cpus: sc.cpus, preempt: sc.preempt, costs: costArray(sc), seed: 1, observer: rec,
      laws: [sc.io.read, sc.io.swap, sc.io.writeback, sc.io.folio_lock_hold],
    }, mm);
    new Workload(sim, mm, slots).spawnAll(sc.threads);
    sim.run(sc.duration);
    const ops = rec.ops.filter((o) => o.task === 'gc');
    expect(ops.length).toBe(19); // think 1 ms in 20 ms
    expect(ops.every((o) => o.op === 'mmap' && o.ret === 0)).toBe(true);
    expect(mm.vmas.map((v) => [v.vm_start, v.vm_end])).toEqual([[0x10, 0x10 + 4096], [0x10 + 4097, 0x10 + 4097 + 256]]);
    expect(mm.vmas[0]).not.toBe(first);
    expect(first.freed).toBe(true);
    expect(rec.ops.filter((o) => o.task === 'mutator').length).toBeGreaterThan(100);
  });
});
