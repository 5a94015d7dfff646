/**
 * do_read_fault's fault-around (mm/memory.c do_fault_around ->
 * mm/filemap.c filemap_map_pages): a read fault on a page that is in the page
 * cache, uptodate and unlocked is mapped without ->fault and without a point
 * where it could sleep; a locked or missing folio, a write fault, and a
 * userfaultfd-wp VMA go to filemap_fault.
 */
import { describe, expect, it } from 'vitest';
import {
  do_user_addr_fault, Folio, FAULT_FLAG_DEFAULT, FAULT_FLAG_VMA_LOCK, FAULT_FLAG_WRITE, handle_mm_fault,
  install_model_hooks, VM_FAULT_MAJOR, VM_FAULT_NOPAGE, VM_FAULT_RETRY, VM_UFFD_WP, type ModelHooks,
} from '../src/model/index.js';
import { lanes } from './lanes.js';

describe('fault-around: filemap_map_pages maps page-cache hits', () => {
  it('a cached idle page: NOPAGE at once, PTE set, no folio object made', () => {
    const h = lanes();
    const vma = h.vma[0]!;
    const ptes: string[] = [];
    install_model_hooks({ ...noHooks(), set_pte_at: (v, pgoff, kind) => { ptes.push(`${v.label}:${pgoff}:${kind}`); } });
    try {
      const r = handle_mm_fault(vma, h.addr(0), FAULT_FLAG_DEFAULT | FAULT_FLAG_VMA_LOCK);
      expect(r).toBe(VM_FAULT_NOPAGE);
      expect(ptes).toEqual([`${vma.label}:${h.addr(0) - vma.vm_start}:file`]);
      expect(vma.cache.size).toBe(0);
    } finally {
      install_model_hooks(null);
    }
  });

  it('an uptodate unlocked folio in the cache is mapped too; a locked one, an evicted page or a write fault go to ->fault', () => {
    const h = lanes();
    const vma = h.vma[0]!;
    const pg = h.addr(0) - vma.vm_start;
    const f = new Folio(vma.id, pg);
    f.uptodate = true;
    vma.cache.set(pg, f);
    expect(handle_mm_fault(vma, h.addr(0), FAULT_FLAG_DEFAULT)).toBe(VM_FAULT_NOPAGE);
    f.locked = true;
    f.owner = 'io';
    expect(typeof handle_mm_fault(vma, h.addr(0), FAULT_FLAG_DEFAULT)).toBe('object'); // filemap_fault's path
    vma.cache.delete(pg);
    vma.evicted.add(pg);
    expect(typeof handle_mm_fault(vma, h.addr(0), FAULT_FLAG_DEFAULT)).toBe('object');
    vma.evicted.delete(pg);
    expect(typeof handle_mm_fault(vma, h.addr(0), FAULT_FLAG_DEFAULT | FAULT_FLAG_WRITE)).toBe('object');
  });

  it('no fault-around on a VM_UFFD_WP VMA (uffd_disable_fault_around)', () => {
    const h = lanes();
    const vma = h.vma[0]!;
    vma.vm_flags |= VM_UFFD_WP;
    expect(typeof handle_mm_fault(vma, h.addr(0), FAULT_FLAG_DEFAULT)).toBe('object');
  });

  it('under the engine: a minor read fault takes one CPU step; a miss reads, retries, and maps', () => {
    const h = lanes();
    const results: Array<[string, number, number]> = [];
    h.lane('hit', 0, function* () {
      const ret = yield* do_user_addr_fault(h.mm, h.addr(0), false);
      results.push(['hit', ret, h.sim.now / 1000]);
    });
    const miss = h.addr(1);
    h.vma[1]!.evicted.add(miss - h.vma[1]!.vm_start);
    h.lane('miss', 0, function* () {
      const ret = yield* do_user_addr_fault(h.mm, miss, false);
      results.push(['miss', ret, h.sim.now / 1000]);
    });
    h.run();
    expect(results[0]).toEqual(['hit', VM_FAULT_NOPAGE, 1]); // handle_mm_fault costs 1 us in lanes()
    expect(results[1]![0]).toBe('miss');
    // The retry found the folio uptodate and unlocked: fault-around mapped it.
    expect(results[1]![1] & (VM_FAULT_NOPAGE | VM_FAULT_MAJOR | VM_FAULT_RETRY)).toBe(VM_FAULT_NOPAGE);
  });
});

function noHooks(): ModelHooks {
  const nop = (): void => {};
  return { object_created: nop, set_pte_at: nop, pt_update_begin: nop, pt_update_end: nop, anon_vma_fork: nop, anon_vma_prepare: nop, anon_vma_use: nop, anon_vma_free: nop, dup_mmap_copy: nop,
    vm_area_alloc: nop, vm_area_free: nop, mm_use: nop, mm_free: nop, vma_use: nop, pgtable_use: nop, vma_change: nop, lock_acquire: nop, vma_read_lock: nop };
}
