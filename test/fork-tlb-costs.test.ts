/**
 * Costs a cost profile adds to fork and to TLB shoot-downs (docs/calibration.md
 * "Fork by page-table kind", "TLB shoot-down"): exact outcomes of hand-built
 * scenarios in the simulator, and no change with the built-in costs (all 0).
 */
import { describe, expect, it } from 'vitest';
import { measure } from '../src/metrics/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import { ptes_changed } from '../src/model/tlb.js';
import { present_ptes } from '../src/model/mmap.js';
import type { VmAreaStruct } from '../src/model/mm_types.js';

type Extra = Record<string, string>;
const run = (sc: ReturnType<typeof scenarioFromObject>) => measure({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });

describe('fork by page-table kind (dup_mmap -> copy_page_range)', () => {
  // heap: pages 16..2063 (PTE tables 0..4), 1,024 present and writable at start;
  // small x3: 8 pages each at 2065, 2074, 2083 (all in table 4, already counted), 4 present each;
  // lib: a file VMA without anon_vma: vm_area_dup only.
  const sc = (costs: Extra, writes: boolean) => scenarioFromObject({
    name: 'fk', description: 'test', duration: '20ms', warmup: '0ms', cpus: 1,
    vmas: [
      { name: 'heap', kind: 'anon', write: true, pages: 2048, resident: 0.5 },
      { name: 'small', kind: 'anon', write: true, pages: 8, resident: 0.5, count: 3 },
      { name: 'lib', kind: 'file', pages: 64 },
    ],
    threads: [
      { name: 'forker', think: '5ms', ops: [{ op: 'fork' }] },
      ...(writes ? [{ name: 'writer', think: '1ms', ops: [{ op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 }, repeat: 20 }] }] : []),
    ],
    costs: { handle_mm_fault: '1us', do_anonymous_page: '1us', dup_vma: '1us', copy_pte: '10ns', ...costs },
  });
  const kinds = { anon_vma_fork: '500ns', copy_pte_range: '2us', wrprotect_pte: '5ns' };

  it('charges anon_vma_fork per VMA with an anon_vma, copy_pte_range per PTE table not yet counted, wrprotect_pte per writable PTE once', () => {
    const f = run(sc(kinds, false)).opsAll.fork!;
    // 5 VMAs x 1 us + 4 anon_vma x 0.5 us + 1,036 PTEs x 10 ns + 5 tables x 2 us = 27.36 us,
    // + 1,036 writable PTEs x 5 ns = 5.18 us on the first fork only (they are write-protected after it).
    expect(f.count).toBe(3);
    expect(f.latency!.max).toBe(32_540);
    expect(f.latency!.mean * 3).toBeCloseTo(32_540 + 2 * 27_360, 6);
  });

  it('anonymous write faults between forks make PTEs writable again: the next fork write-protects them', () => {
    const f = run(sc(kinds, true)).opsAll.fork!;
    // The writer's 4 bursts of 20 faults (at 1, 2, 3, 4 ms) come before the first fork (at 5 ms):
    // 1,036 + 80 = 1,116 writable PTEs, and 80 more present PTEs to copy (present_ptes: copy_pte_range
    // copies every present PTE, not only the scenario's resident share): + 80 x 10 ns.
    expect(f.latency!.max).toBe(27_360 + 1_116 * 5 + 80 * 10);
  });

  it('with the built-in costs (all 0) the fork costs what it did: VMAs and resident PTEs', () => {
    const f = run(sc({}, false)).opsAll.fork!;
    expect(f.latency!.max).toBe(5_000 + 10_360);
    expect(f.latency!.mean).toBe(15_360);
  });
});

describe('fork of a private file VMA: copy_file_pte per present file PTE, on top of copy_pte', () => {
  // data: a file VMA at pages 16..79 (PTE table 0), resident 1 (the default): 64 present file PTEs.
  const sc = (anonVma: boolean, shared: boolean) => scenarioFromObject({
    name: 'ff', description: 'test', duration: '6ms', warmup: '0ms', cpus: 1,
    vmas: [{ name: 'data', kind: 'file', pages: 64, anon_vma: anonVma, shared }, { name: 'heap', kind: 'anon', write: true, pages: 64 }],
    threads: [{ name: 'forker', think: '5ms', ops: [{ op: 'fork' }] }],
    costs: { dup_vma: '1us', copy_pte: '10ns', copy_file_pte: '20ns', copy_pte_range: '2us', anon_vma_fork: '500ns' },
  });
  it('a private file VMA with an anon_vma is copied: its PTEs cost copy_pte + copy_file_pte', () => {
    // 2 VMAs x 1 us; data: anon_vma_fork 0.5 us, 64 x (10 + 20) ns, 1 table x 2 us;
    // heap (anon, resident 1, table 0 already counted): 0.5 us + 64 x 10 ns (its 64 writable PTEs: wrprotect_pte is 0).
    expect(run(sc(true, false)).opsAll.fork!.latency!.max).toBe(2_000 + 500 + 1_920 + 2_000 + 500 + 640);
  });
  it('without anon_vma it is not copied (vma_needs_copy): vm_area_dup only', () => {
    expect(run(sc(false, false)).opsAll.fork!.latency!.max).toBe(2_000 + 500 + 640 + 2_000);
  });
});

describe('TLB shoot-down: flush_tlb_multi per remote CPU running the mm', () => {
  // T1 mprotects 16 resident pages at 0.5 ms; T2 is then inside a 1 ms fault on another VMA (on a CPU).
  const sc = (cpus: number, costs: Extra, busy = true) => scenarioFromObject({
    name: 'tlb', description: 'test', duration: '3ms', warmup: '0ms', cpus,
    vmas: [
      { name: 'heap', kind: 'anon', write: true, pages: 64, resident: 1 },
      { name: 'other', kind: 'anon', write: true, pages: 64 },
    ],
    threads: [
      { name: 'gc', start: '0ms', think: '500us', ops: [{ op: 'mprotect', vma: 'heap', pages: 16 }] },
      ...(busy ? [{ name: 'busy', start: '0ms', think: '200us', ops: [{ op: 'fault', vma: 'other', states: { zero: 1 } }] }] : []),
    ],
    costs: { mprotect_fixup: '2us', change_pte: '100ns', handle_mm_fault: '1ms', ...costs },
  });
  const first = (s: ReturnType<typeof sc>) => run(s).opsAll.mprotect!.latency!;

  it('a second CPU running a thread of the mm costs one IPI', () => {
    expect(first(sc(2, {})).max).toBe(3_600);
    expect(first(sc(2, { flush_tlb_multi: '9us' })).max).toBe(12_600);
  });

  it('no IPI when no other CPU runs the mm: one CPU, or the other thread asleep', () => {
    // One CPU: the mprotect waits for the fault's CPU burst, then runs alone.
    expect(first(sc(1, {})).max).toBe(703_600);
    expect(first(sc(1, { flush_tlb_multi: '9us' })).max).toBe(703_600);
    expect(first(sc(2, { flush_tlb_multi: '9us' }, false)).max).toBe(3_600);
  });
});

describe('ptes_changed: does tlb_finish_mmu have a range to flush?', () => {
  const vma = (resident: number, mapped: number) => ({ resident, anon_ptes_mapped: mapped, pages: 64 }) as unknown as VmAreaStruct;
  it('counts the resident share and the pages anonymous faults mapped since', () => {
    expect(ptes_changed(16, vma(0, 0))).toBe(false);
    expect(ptes_changed(16, vma(0, 1))).toBe(false); // 16 x 1/64 = 0.25 expected present PTEs
    expect(ptes_changed(16, vma(0, 2))).toBe(true);
    expect(ptes_changed(1, vma(0.5, 0))).toBe(true);
    expect(ptes_changed(1, vma(0.4, 0))).toBe(false);
    expect(ptes_changed(64, vma(1, 500))).toBe(true);
  });
});

describe('present_ptes: copy_pte_range copies, and the child\'s exit zaps, every present PTE, the ones faults mapped since included', () => {
  const vma = (pages: number, resident: number, mapped: number) => ({ pages, resident, anon_ptes_mapped: mapped }) as unknown as VmAreaStruct;
  it('is the resident share plus the anonymous faults\' PTEs, at most one per page', () => {
    expect(present_ptes(vma(64, 0.5, 0))).toBe(32);
    expect(present_ptes(vma(64, 0.5, 10))).toBe(42);
    expect(present_ptes(vma(64, 0.5, 32))).toBe(64);
    expect(present_ptes(vma(64, 0.5, 500))).toBe(64);
    expect(present_ptes(vma(64, 0, 3))).toBe(3);
  });

  // heap: 64 pages, 16 present at start; the forker forks at 2 ms, ~4.1 ms and ~6.2 ms; a writer maps
  // 8 pages with zero faults at 3 ms and 8 more at ~5 ms, each burst between two forks. One CPU.
  const grow = (costs: Extra) => scenarioFromObject({
    name: 'fg', description: 'test', duration: '7ms', warmup: '0ms', cpus: 1,
    vmas: [{ name: 'heap', kind: 'anon', write: true, pages: 64, resident: 0.25 }],
    threads: [
      { name: 'forker', think: '2ms', ops: [{ op: 'fork' }] },
      { name: 'writer', think: '2ms', start: '1ms', ops: [{ op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 }, repeat: 8 }] },
    ],
    costs: { handle_mm_fault: '1us', do_anonymous_page: '1us', dup_vma: '100us', copy_pte: '100ns', ...costs },
  });
  it('each fork copies the PTEs mapped before it: 16, 24, 32 present PTEs', () => {
    const f = run(grow({})).opsAll.fork!;
    expect(f.count).toBe(3);
    // dup_mmap = 100 us + n x 100 ns (before: 101.6 us each time).
    expect(f.latency!.max).toBe(103_200);
    expect(f.latency!.mean * 3).toBeCloseTo(101_600 + 102_400 + 103_200, 6);
  });
  it('the child\'s exit zaps the same PTEs (exit_mmap_pte per copied PTE)', () => {
    // One CPU and a fork shorter than the slice: the parent returns first, the child's exit is not in
    // the fork's latency; with a fork past the slice (dup_vma 1 ms) the child runs first:
    // do_exit 10 us + 1 VMA x 1 us + 1 anon_vma x 2 us + n x 200 ns.
    const f = run(grow({ dup_vma: '1ms', do_exit: '10us', exit_mmap_vma: '1us', unlink_anon_vmas: '2us', exit_mmap_pte: '200ns' })).opsAll.fork!;
    expect(f.count).toBe(2);
    expect(f.latency!.max).toBe(1_000_000 + 24 * 100 + 13_000 + 24 * 200);
    expect(f.latency!.mean * 2).toBeCloseTo(2 * (1_000_000 + 13_000) + 40 * (100 + 200), 6);
  });
});
