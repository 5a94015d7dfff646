/**
 * The simulator's madvise (flag-changing advice) and mremap ops (issue 13):
 * the scenario format resolves them, the workload runs them through the
 * model (madvise_flags, do_mremap), each half of a pair is one op of its
 * kind in the metrics, and the address space ends as exactly as the kernel
 * would leave it.
 */
import { describe, expect, it } from 'vitest';
import { measure } from '../src/metrics/index.js';
import { VM_RAND_READ, VM_SEQ_READ, type MmStruct } from '../src/model/index.js';
import { parseScenario, ScenarioError, type Scenario } from '../src/scenario/index.js';
import { buildMm, costArray, Simulator, Workload } from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { Recorder } from './helpers.js';

const yaml = (ops: string, extra = ''): string => `
name: vma-ops
description: one thread changes the heap's VMAs
duration: 20ms
cpus: 2
vmas:
  - { name: heap, kind: anon, pages: 4096 }
  - { name: lib, kind: file, pages: 256 }
threads:
  - name: gc
    think: 1ms
    ops:
${ops}
${extra}`;

const MUTATOR = `  - name: mutator
    think: 50us
    ops:
      - { op: fault, vma: heap, access: write }
      - { op: fault, vma: lib }`;

function run(sc: Scenario): { mm: MmStruct; rec: Recorder } {
  const { mm, slots } = buildMm(sc, faultStrategy('mainline'), forkStrategy('fork-lock-all'));
  const rec = new Recorder();
  const sim = new Simulator({
    cpus: sc.cpus, preempt: sc.preempt, costs: costArray(sc), seed: 1, observer: rec,
    laws: [sc.io.read, sc.io.swap, sc.io.writeback, sc.io.folio_lock_hold],
  }, mm);
  new Workload(sim, mm, slots).spawnAll(sc.threads);
  sim.run(sc.duration);
  return { mm, rec };
}

const sc = (ops: string, extra = ''): Scenario => parseScenario(yaml(ops, extra), 'vma-ops.yaml', 'yaml');
/** [start, end) of every VMA, and its madvise flags. */
const layout = (mm: MmStruct) => mm.vmas.map((v) => [v.vm_start, v.vm_end, v.vm_flags & (VM_RAND_READ | VM_SEQ_READ)]);
const INITIAL = [[0x10, 0x10 + 4096, 0], [0x10 + 4097, 0x10 + 4097 + 256, 0]];

describe('madvise ops (MADV_RANDOM / SEQUENTIAL / NORMAL)', () => {
  it('pairs (restore: true) split the heap and merge it back: two madvise ops per pick, all succeed, one heap VMA at the end', () => {
    const { mm, rec } = run(sc('      - { op: madvise, vma: heap, pages: 64, advice: random, restore: true }', MUTATOR));
    const ops = rec.ops.filter((o) => o.task === 'gc');
    expect(ops.length).toBe(38); // 19 picks (think 1 ms in 20 ms), each a pair
    expect(ops.every((o) => o.op === 'madvise' && o.ret === 0)).toBe(true);
    expect(layout(mm)).toEqual(INITIAL);
    expect(mm.vm_area_cachep.length).toBeGreaterThan(0); // pieces were merged away and freed
  });

  it('unpaired advice leaves fragments: adjacent VMAs differ in flags and tile the heap', () => {
    const { mm } = run(sc('      - { op: madvise, vma: heap, pages: 64, advice: sequential }'));
    const heap = mm.vmas.filter((v) => v.group === 'heap');
    expect(heap.length).toBeGreaterThan(3);
    expect(heap.some((v) => (v.vm_flags & VM_SEQ_READ) !== 0)).toBe(true);
    for (let i = 1; i < heap.length; i++) {
      expect(heap[i]!.vm_flags).not.toBe(heap[i - 1]!.vm_flags);
      expect(heap[i]!.vm_start).toBe(heap[i - 1]!.vm_end);
    }
    expect([heap[0]!.vm_start, heap[heap.length - 1]!.vm_end]).toEqual([0x10, 0x10 + 4096]);
  });

  it('metrics count each half of a pair as one madvise op', () => {
    const m = measure({ scenario: sc('      - { op: madvise, vma: lib, pages: 16, advice: random, restore: true }'), fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    expect(m.opsAll.madvise?.count).toBe(38);
    expect(m.opsAll.madvise?.latency?.max).toBeGreaterThan(0);
  });
});

describe('mremap ops (a resize and the mremap that undoes it)', () => {
  it('shrink then grow back in place: the heap ends one VMA over its range (the head split off at the shrink grew back)', () => {
    const { mm, rec } = run(sc('      - { op: mremap, vma: heap, pages: 64, new_pages: 32 }', MUTATOR));
    const ops = rec.ops.filter((o) => o.task === 'gc');
    expect(ops.length).toBe(38);
    expect(ops.every((o) => o.op === 'mremap' && o.ret === 0)).toBe(true);
    expect(layout(mm)).toEqual(INITIAL);
  });

  it('a growth that does not fit moves the heap above every VMA, and back (MREMAP_FIXED, the extra pages unmapped first)', () => {
    const { mm, rec } = run(sc('      - { op: mremap, vma: heap, new_pages: 4100 }', MUTATOR));
    const ops = rec.ops.filter((o) => o.task === 'gc');
    expect(ops.length).toBe(28); // fewer picks than 19: moving 4096 pages' PTEs twice takes time
    expect(ops.every((o) => o.op === 'mremap' && o.ret === 0)).toBe(true);
    expect(layout(mm)).toEqual(INITIAL);
    expect(mm.vmas[0]!.id).toBeGreaterThan(2); // a new VMA each move
  });

  it('without maymove the growth fails (-ENOMEM) and nothing is undone', () => {
    const { mm, rec } = run(sc('      - { op: mremap, vma: heap, new_pages: 4100, maymove: false }'));
    expect(rec.ops.map((o) => [o.op, o.ret])).toEqual(Array.from({ length: 19 }, () => ['mremap', -12]));
    expect(layout(mm)).toEqual(INITIAL);
  });

  it('MREMAP_DONTUNMAP moves the last pages and leaves the old range mapped; the move back merges them into the heap again', () => {
    const { mm, rec } = run(sc('      - { op: mremap, vma: heap, pages: 16, new_pages: 16, dontunmap: true }', MUTATOR));
    expect(rec.ops.filter((o) => o.task === 'gc').every((o) => o.op === 'mremap' && o.ret === 0)).toBe(true);
    expect(layout(mm)).toEqual(INITIAL);
  });

  it('metrics count each half as one mremap op', () => {
    const m = measure({ scenario: sc('      - { op: mremap, vma: lib, pages: 8, new_pages: 4 }'), fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    expect(m.opsAll.mremap?.count).toBe(38);
  });

  it('format errors: dontunmap without maymove or with a size change; more pages than the VMA; mremap with memory:', () => {
    const err = (ops: string, extra = ''): string => {
      try {
        sc(ops, extra);
      } catch (e) {
        if (e instanceof ScenarioError) return e.message;
        throw e;
      }
      return '';
    };
    expect(err('      - { op: mremap, vma: heap, new_pages: 4096, dontunmap: true, maymove: false }')).toMatch(/dontunmap needs maymove/);
    expect(err('      - { op: mremap, vma: heap, pages: 8, new_pages: 16, dontunmap: true }')).toMatch(/with dontunmap, new_pages must equal pages/);
    expect(err('      - { op: mremap, vma: lib, pages: 300, new_pages: 16 }')).toMatch(/300 pages is more than the largest VMA in group 'lib'/);
    expect(err('      - { op: madvise, vma: lib, pages: 8, advice: willneed }')).toMatch(/advice/);
    expect(err('      - { op: mremap, vma: heap, new_pages: 16 }', 'memory: { max: 100000 }')).toMatch(/mremap is not modelled with memory:/);
  });
});
