/**
 * Page tables as objects with a lifetime (src/model/pgtable.ts): a fault
 * walks to its PTE table in __handle_mm_fault and uses it again at the PTE
 * install (pte_offset_map_lock); munmap frees it in unmap_region ->
 * free_pgtables, after the VMAs are write-locked and detached. Exact
 * outcomes of hand-built interleavings, then the checker on
 * check-munmap-pgtables with and without free-pgtables-before-detach.
 */
import { describe, expect, it } from 'vitest';
import { decodeSchedule } from '../src/check/index.js';
import { free_all_pgtables, free_pgtables, MmStruct, populate_pgtables, pte_alloc, PTRS_PER_PTE, VM_READ, VmAreaStruct } from '../src/model/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { runCheck, verdict } from './check-helpers.js';
import { handRun } from './check-handrun.js';

const P = PTRS_PER_PTE;

function mmWith(ranges: Array<[number, number]>): MmStruct {
  const mm = new MmStruct(faultStrategy('mainline'), forkStrategy('fork-lock-all'));
  ranges.forEach(([s, e], i) => {
    mm.link(new VmAreaStruct(mm, i, `v${i}`, s, e, VM_READ, false, true, 1));
    populate_pgtables(mm, s, e);
  });
  return mm;
}

describe('free_pgtables frees a PTE table only when no VMA is left in its PMD range (floor / ceiling)', () => {
  it('unmapping the only VMA of a table frees it; tables shared with a remaining VMA stay', () => {
    // v0 in table 0; v1 spans tables 1 and 2; v2 in table 2 too.
    const mm = mmWith([[10, 20], [P + 5, 2 * P + 5], [2 * P + 100, 2 * P + 200]]);
    expect([...mm.pgtables.keys()]).toEqual([0, 1, 2]);
    const [t0, t1, t2] = [mm.pgtables.get(0)!, mm.pgtables.get(1)!, mm.pgtables.get(2)!];
    mm.unlink(mm.vmas[1]!); // munmap(v1): out of the tree, then unmap_region -> free_pgtables
    expect(free_pgtables(mm, P + 5, 2 * P + 5)).toBe(1);
    expect([t0.freed, t1.freed, t2.freed]).toEqual([false, true, false]); // table 2 still maps v2
    expect([...mm.pgtables.keys()]).toEqual([0, 2]);
    mm.unlink(mm.vmas[1]!); // v2: now nothing is left in table 2
    expect(free_pgtables(mm, 2 * P + 100, 2 * P + 200)).toBe(1);
    expect(t2.freed).toBe(true);
    expect(free_pgtables(mm, 2 * P + 100, 2 * P + 200)).toBe(0); // nothing left to free
  });

  it('called before the VMAs in the range leave the tree (the mutation\'s order), the range\'s own VMAs do not keep their tables', () => {
    const mm = mmWith([[10, 20], [P + 5, P + 50]]);
    expect(free_pgtables(mm, P + 5, P + 50)).toBe(1); // floor = v0's end, ceiling: none
    expect(mm.pgtables.has(1)).toBe(false);
    expect(mm.pgtables.get(0)!.freed).toBe(false);
  });

  it('a straddling VMA below the range keeps the table it shares with it (floor = start)', () => {
    const mm = mmWith([[10, 40]]);
    expect(free_pgtables(mm, 30, 40)).toBe(0); // munmap of [30, 40) with the gather's split not yet done
    expect(mm.pgtables.get(0)!.freed).toBe(false);
  });

  it('pte_alloc returns the table the pmd points to, or allocates one; exit_mmap frees every table', () => {
    const mm = mmWith([[10, 20]]);
    const t0 = mm.pgtables.get(0)!;
    expect(pte_alloc(mm, 15)).toBe(t0);
    const t3 = pte_alloc(mm, 3 * P + 1);
    expect(t3.index).toBe(3);
    expect(mm.pgtables.get(3)).toBe(t3);
    free_all_pgtables(mm);
    expect([t0.freed, t3.freed, mm.pgtables.size]).toEqual([true, true, 0]);
  });
});

describe('a fault holding the VMA read lock keeps its page table alive', () => {
  it('munmap waits for the reader in vma_start_write; the table is freed only after the fault installed its PTE and dropped the lock', () => {
    const r = handRun('check-munmap-pgtables');
    r.until('T1', 'do_anonymous_page(vmf)'); // locked, walked to its table (vmf->pmd), about to map
    const t0 = r.ex.mm.pgtables.get(0)!;
    r.run('T2');
    expect(r.task('T2').state).toBe(1); // asleep in vma_start_write(a), waiting for T1
    expect(r.task('T2').pending).toMatch(/vma_start_write/);
    expect([t0.freed, r.ex.mm.pgtables.get(0)]).toEqual([false, t0]);
    r.run('T1'); // PTE installed through t0; vma_end_read wakes T2
    expect(r.task('T1').state).toBe(2);
    r.run('T2');
    expect(r.task('T2').state).toBe(2);
    expect([t0.freed, r.ex.mm.pgtables.size, r.ex.mm.vmas.length]).toEqual([true, 0, 0]);
    expect(r.events).toEqual(['VMA_LOCK_SUCCESS']);
    expect(r.violation).toBeNull();
  });

  it('a fault that finds the VMA write-locked or gone falls back and never reaches the freed table', () => {
    const r = handRun('check-munmap-pgtables');
    r.until('T1', 'vma_start_read(mm, vma)'); // looked up, not yet locked
    r.run('T2'); // munmap runs to its end: detached, freed, tables freed
    expect(r.task('T2').state).toBe(2);
    r.run('T1');
    expect(r.task('T1').state).toBe(2);
    expect(r.events).toEqual(['VMA_LOCK_MISS', 'VMA_LOCK_ABORT', 'FAULT_SIGSEGV']);
    expect(r.violation).toBeNull();
  });

  it('with free-pgtables-before-detach, munmap frees the table under the reader: its PTE install walks a freed table', () => {
    const r = handRun('check-munmap-pgtables', ['free-pgtables-before-detach']);
    r.until('T1', 'do_anonymous_page(vmf)');
    const t0 = r.ex.mm.pgtables.get(0)!;
    r.until('T2', 'free_pgtables(tlb, mas, vma, floor, ceiling)');
    r.step('T2'); // frees t0, then goes on to vma_start_write(a), where it waits for T1
    expect(t0.freed).toBe(true);
    expect(r.violation).toBeNull();
    r.step('T1');
    expect(r.violation).toEqual({
      invariant: 'use-after-free',
      message: 'T1 runs pte_offset_map_lock for address 16 through pte_table[0], which free_pgtables freed (the vmf->pmd it walked to in __handle_mm_fault is gone)',
    });
  });
});

describe('the checker: page tables freed under a VMA-locked fault', () => {
  it('check-munmap-pgtables: safe with the kernel order (complete search); free-pgtables-before-detach is a use-after-free, shrunk and replayed', () => {
    const post = runCheck('check-munmap-pgtables');
    expect(verdict(post)).toBe('safe');
    expect(post.complete).toBe(true);
    const bad = runCheck('check-munmap-pgtables', { inject: ['free-pgtables-before-detach'] });
    expect(verdict(bad)).toBe('unsafe:use-after-free');
    expect(bad.violation!.message).toMatch(/T1 runs pte_offset_map_lock for address 16 through pte_table\[0\], which free_pgtables freed/);
    expect(bad.violation!.steps.length).toBeLessThan(bad.violation!.foundSteps);
    const again = runCheck('check-munmap-pgtables', { inject: ['free-pgtables-before-detach'], mode: { kind: 'replay', schedule: decodeSchedule(bad.violation!.schedule) } });
    expect(again.violation!.message).toBe(bad.violation!.message);
  });

  it('every fault strategy: safe without the mutation, the use-after-free with it', () => {
    for (const fault of ['mainline', 'hold-io', 'retry-vma', 'pre-vma']) {
      expect(verdict(runCheck('check-munmap-pgtables', { fault })), fault).toBe('safe');
      const bad = verdict(runCheck('check-munmap-pgtables', { fault, inject: ['free-pgtables-before-detach'], shrink: false }));
      // pre-vma faults take mmap_lock, which munmap holds for write: no reader can hold the table.
      expect(bad, fault).toBe(fault === 'pre-vma' ? 'safe' : 'unsafe:use-after-free');
    }
  });
});
