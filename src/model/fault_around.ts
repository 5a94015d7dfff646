/**
 * The neighbourhood of a file fault's fault-around (mm/memory.c
 * do_fault_around -> mm/filemap.c filemap_map_pages, v6.18): the CPU its walk
 * of the window spends on the cached neighbours of the faulting page.
 *
 * The model's file-fault costs come from benches whose window differs from a
 * workload's: `minor-cached` (do_read_fault) zaps the whole mapping, so its
 * hit's walk maps 15 cached neighbours; `major` (fault_retry) meets a window
 * with no cached neighbour, so its first walk finds nothing and returns at
 * once and its retry's walk maps the read page alone. A workload's file
 * region is cached and mapped around the page (the load generator preloads
 * it; every fault's fault-around maps what is cached): the major fault's two
 * walks each pass the cached neighbours, and the first one does
 * filemap_map_pages' set-up, which `major` never pays. What the benches did
 * not pay is charged here, by the neighbours the model has (docs/calibration.md
 * "The neighbourhood of a major fault").
 *
 * The walk's neighbours are counted by kind: not cached (skipped at no
 * cost), cached and mapped (passed: next_uptodate_folio), cached and not
 * mapped (passed and mapped: next_uptodate_folio + set_pte_range); the model
 * keeps which file PTEs are present (VmAreaStruct.file_ptes) while the
 * charges are installed (docs/calibration.md "The neighbourhood of a major
 * fault", "Neighbours whose PTE is none").
 *
 * Only when the engine installs it (the simulator, when Cost.filemap_map_pages,
 * Cost.next_uptodate_folio or Cost.set_pte_range is not 0): otherwise no step
 * is taken and no state read or written, so the checker's state space and the
 * built-in outputs are unchanged.
 */
import { cpu_plus, type CpuEffect } from './effects.js';
import { Cost } from './cost.js';
import type { VmFault } from './fault_types.js';
import { FAULT_FLAG_TRIED, type VmAreaStruct } from './mm_types.js';
import { PTRS_PER_PTE } from './pgtable.js';

/** fault_around_pages: fault_around_bytes (64 KiB, the default) in pages. */
export const FAULT_AROUND_PAGES = 16;

let charged = false;

/** Engine hook: charge the walks' neighbours (true) or leave them out (false, the default). */
export function install_fault_around_charges(on: boolean): void {
  charged = on;
}

/**
 * do_fault_around's window for a fault at vmf.address: [first, last] page
 * offsets in the file, the fault_around_pages-aligned block of the PTE table
 * around the address, clamped to the VMA and to the PTE table
 * (`from_pte = max(ALIGN_DOWN(pte_off, nr_pages), pte_off - min(pte_off, vma_off))`,
 * `to_pte = min3(from_pte + nr_pages, PTRS_PER_PTE, pte_off + vma_pages(vma) - vma_off) - 1`).
 */
export function fault_around_window(vmf: VmFault): [number, number] {
  const vma = vmf.vma;
  const pte_off = vmf.address % PTRS_PER_PTE; // pte_index(vmf->address)
  const vma_off = vmf.address - vma.vm_start; // vmf->pgoff - vma->vm_pgoff
  const from_pte = Math.max(pte_off - (pte_off % FAULT_AROUND_PAGES), pte_off - Math.min(pte_off, vma_off));
  const to_pte = Math.min(from_pte + FAULT_AROUND_PAGES, PTRS_PER_PTE, pte_off + vma.pages - vma_off) - 1;
  return [vmf.pgoff + from_pte - pte_off, vmf.pgoff + to_pte - pte_off];
}

/**
 * Whether next_uptodate_folio would return the page at `index`: in the page
 * cache, uptodate, not locked, not PG_readahead (a page with no folio object
 * is uptodate in the cache unless it is evicted, see VmAreaStruct.cache).
 */
function uptodate_in_cache(vma: VmAreaStruct, index: number): boolean {
  const f = vma.cache.get(index);
  if (f === undefined) return !vma.evicted.has(index);
  return f.uptodate && !f.locked && !f.readahead;
}

/** The cached neighbours of vmf.pgoff in its fault-around window (the faulting page not counted). */
export function fault_around_neighbours(vmf: VmFault): number {
  const k = fault_around_kinds(vmf);
  return k.mapped + k.unmapped;
}

/** The cached neighbours by their PTE: present (mapped) or none (unmapped), see fault_around_kinds. */
export interface NeighbourKinds { mapped: number; unmapped: number }

/**
 * The neighbours filemap_map_pages' walk visits, by kind (mm/filemap.c,
 * v6.18): a page not in the page cache is no folio to next_uptodate_folio
 * (xas_next_entry skips an empty slot; a shadow entry is xa_is_value:
 * `continue`) and is not counted; a cached one it returns is either left
 * (filemap_map_order0_folio: `if (!pte_none(ptep_get(vmf->pte))) return`,
 * `mapped`) or mapped (set_pte_range, `unmapped`). A PTE is present when
 * the model saw it mapped (VmAreaStruct.file_ptes).
 */
export function fault_around_kinds(vmf: VmFault): NeighbourKinds {
  const [first, last] = fault_around_window(vmf);
  const vma = vmf.vma, ptes = vma.file_ptes;
  let mapped = 0, unmapped = 0;
  for (let i = first; i <= last; i++) {
    if (i === vmf.pgoff || !uptodate_in_cache(vma, i)) continue;
    if (ptes.has(i)) mapped++;
    else unmapped++;
  }
  return { mapped, unmapped };
}

/**
 * The walk maps the window's cached pages (and the fault maps its own page):
 * their PTEs are present. The whole window is marked: a page of it that is
 * not cached is never counted as a neighbour (fault_around_kinds looks at
 * cached pages only), and a page entering the page cache loses its mark
 * (readahead, the memory cgroup's charge; its own fault maps it anyway).
 */
function fault_around_mapped(vmf: VmFault): void {
  const [first, last] = fault_around_window(vmf);
  vmf.vma.file_ptes.addRange(first, last);
}

/**
 * The CPU of filemap_map_pages' walk that the fault's base costs do not hold,
 * or null (not installed, or nothing to charge). `ret` is what the walk
 * returned (VM_FAULT_NOPAGE: it mapped the faulting page).
 * - A retried attempt (FAULT_FLAG_TRIED): next_uptodate_folio per cached
 *   neighbour (fault_retry is the `major` bench's, whose retry walk meets
 *   none), and set_pte_range per one it maps (its PTE none).
 * - A first attempt whose page is not in the page cache (filemap_fault will
 *   read it): filemap_map_pages' set-up and next_uptodate_folio per cached
 *   neighbour, when there is one (a walk that finds no folio returns before
 *   the set-up, as the `major` bench's does), and set_pte_range per one it
 *   maps.
 * - A first attempt on a cached page: nothing here; its walk is do_read_fault
 *   (`minor-cached`, fitted with every neighbour cached and its PTE none).
 * Every walk leaves the window's cached pages mapped, and the faulting page
 * is mapped by the end of the fault (file_ptes).
 */
export function fault_around_cpu(vmf: VmFault, ret: number): CpuEffect | null {
  if (!charged) return null;
  const vma = vmf.vma;
  const tried = (vmf.flags & FAULT_FLAG_TRIED) !== 0;
  const miss = vma.cache.get(vmf.pgoff) === undefined && vma.evicted.has(vmf.pgoff); // filemap_fault: PGMAJFAULT
  if (!tried && (ret !== 0 || !miss)) {
    fault_around_mapped(vmf);
    return null;
  }
  const k = fault_around_kinds(vmf);
  fault_around_mapped(vmf);
  const n = k.mapped + k.unmapped;
  if (n === 0) return null;
  if (tried) return cpu_plus(Cost.next_uptodate_folio, n, [Cost.set_pte_range, k.unmapped]);
  return cpu_plus(Cost.filemap_map_pages, 1, k.unmapped === 0 ? [Cost.next_uptodate_folio, n] : [Cost.next_uptodate_folio, n, Cost.set_pte_range, k.unmapped]);
}
