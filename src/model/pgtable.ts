/**
 * Page tables as objects with a lifetime: allocated by the fault path
 * (__handle_mm_fault -> pmd_alloc / __pte_alloc -> pmd_populate), reached
 * again at the PTE install (pte_offset_map_lock, mm/pgtable-generic.c
 * __pte_offset_map_lock: map the table the pmd points to, take its PTL,
 * re-check pmd_same), and freed by free_pgtables (mm/memory.c, from
 * unmap_region on munmap and exit_mmap) when no VMA is left in the PMD
 * range they map (free_pgd_range's floor / ceiling).
 *
 * One level: a `PteTable` stands for the PTE table of one PMD range
 * (PTRS_PER_PTE pages) together with the pmd entry pointing to it, which a
 * fault holds from __handle_mm_fault to the PTE install as `vmf->pmd`
 * (docs/fidelity.md). The kernel frees PTE tables through the mmu_gather
 * (tlb_remove_table, RCU-deferred with CONFIG_MMU_GATHER_RCU_TABLE_FREE) and
 * retracted ones with pte_free_defer, so a lockless walker inside
 * rcu_read_lock (__pte_offset_map) still reads valid memory; but a fault's
 * `vmf->pmd` is held across sleeps, outside any RCU read section, and only
 * the VMA lock (or mmap_lock) keeps the tables under it alive against
 * free_pgtables (khugepaged's retraction, which takes neither, is
 * khugepaged.ts: there the RCU deferral is modelled, `rcu_readers`): munmap
 * write-locks and detaches the VMAs (vms_gather_munmap_vmas) before
 * vms_complete_munmap_vmas -> unmap_region -> free_pgtables. `freed` is
 * model-only: a path that walks a freed table is reported by hook
 * `pgtable_use` (the checker's use-after-free invariant). Faults walk
 * through these objects only when hooks are installed (the checker): the
 * simulator keeps none (nothing in it reads them, and their allocation and
 * freeing are inside the fault's and munmap's costs), so its figures and
 * speed are those of the model without page tables.
 */
import type { MmStruct } from './mm_types.js';
import { hooks, hooks_on } from './custom.js';

/** PTRS_PER_PTE (x86-64, arm64 4K): the pages one PTE table maps (one PMD entry). */
export const PTRS_PER_PTE = 512;

/** FIRST_USER_ADDRESS (0 on x86-64 and arm64), in pages. */
const FIRST_USER_ADDRESS = 0;

/** A PTE table (struct ptdesc) of one mm, mapping pages [index * PTRS_PER_PTE, (index + 1) * PTRS_PER_PTE). */
export class PteTable {
  /** Model-only: free_pgtables freed it (the page went back, after the mmu_gather's grace period), or retract_page_tables's pte_free_defer after its RCU grace period. */
  freed = false;
  /**
   * Model-only: retract_page_tables (khugepaged.ts) cleared the pmd that
   * pointed to it and handed it to pte_free_defer. Only the PTE table goes:
   * the PMD table above it stays, so a path holding `vmf->pmd` reads the
   * pmd again (it finds none, or a new table).
   */
  retracted = false;
  /**
   * Model-only: walkers inside the rcu_read_lock section of
   * __pte_offset_map_lock that mapped this table (pmdp_get_lockless, then
   * the PTL). pte_free_defer's grace period ends when the last one leaves
   * (the kernel's ends later; never earlier).
   */
  rcu_readers = 0;
  /** Model-only: PT_RECLAIM's zap cleared the pmd and freed it (pt_reclaim.ts free_pte); `retracted` is set too (the same pmd-cleared, RCU-deferred state). */
  reclaimed = false;
  /**
   * Model-only: not a page table. collapse_huge_page's failure path
   * (khugepaged.ts) pmd_populate'd `pmd_pgtable(_pmd)` of a pmd that was
   * none, so the pmd points to whatever page pfn 0's struct page is; a walk
   * through it is a wild access (reported like a freed table).
   */
  bogus = false;
  constructor(readonly index: number) {
    hooks.object_created(this); // model-only (custom.ts)
  }
  get label(): string {
    return this.bogus ? `pmd_pgtable(pmd_none)[${this.index}]` : `pte_table[${this.index}]`;
  }
}

/** pmd_index: the PMD entry (PTE table) that maps `addr`. */
export function pmd_index(addr: number): number {
  return Math.floor(addr / PTRS_PER_PTE);
}

/**
 * __handle_mm_fault's walk down to the PTE table of `addr`: pmd_alloc, and
 * __pte_alloc when the pmd is none (pmd_populate under the pmd lock). The
 * table returned is the fault's `vmf->pmd`, held until the PTE install.
 */
export function pte_alloc(mm: MmStruct, addr: number): PteTable {
  const i = pmd_index(addr);
  let pt = mm.pgtables.get(i);
  if (pt === undefined) {
    pt = new PteTable(i);
    mm.pgtables.set(i, pt); // pmd_populate
  }
  return pt;
}

/**
 * Model-only set-up: the page tables of a range whose pages are already
 * resident at the start (the check scenarios' VMAs), as earlier faults left
 * them.
 */
export function populate_pgtables(mm: MmStruct, start: number, end: number): void {
  for (let a = start; a < end; a = (pmd_index(a) + 1) * PTRS_PER_PTE) pte_alloc(mm, a);
}

/**
 * pte_offset_map_lock (mm/pgtable-generic.c __pte_offset_map_lock, v6.5+:
 * 0d940a9b270b "mm/pgtable: allow pte_offset_map[_lock]() to fail") at the
 * PTE install of a fault holding `pt` (its vmf->pmd): read the pmd
 * (__pte_offset_map, pmdp_get_lockless), take the PTL, and re-check
 * pmd_same, all in one step here (the fault's PTE installs hold the folio
 * lock of a page the PMD range maps, which collapse_file must hold to
 * retract the table: docs/fidelity.md); false (NULL) when there is no table:
 * the caller installs nothing and the fault is taken again. Reading the pmd
 * through a table free_pgtables freed is the use-after-free the VMA lock
 * prevents (hook `pgtable_use`: free_pgtables frees the PMD level the
 * vmf->pmd points into too, in the model's one level). A table
 * retract_page_tables took leaves the pmd entry valid: the pmd is read
 * again, and `alloc` (finish_fault's and do_fault_around's
 * `pmd_none(*vmf->pmd)` -> pte_alloc / pmd_install) puts a new table there
 * when it is none.
 */
export function pte_offset_map_lock(mm: MmStruct, pt: PteTable | null, addr: number, alloc = false): boolean {
  if (pt === null) return true; // the simulator: no page-table objects
  if (!pt.retracted) {
    if (hooks_on) hooks.pgtable_use(pt, mm, addr, 'pte_offset_map_lock'); // model-only hook
    return mm.pgtables.get(pt.index) === pt; // pmd_same(pmdval, pmdp_get_lockless(pmd))
  }
  let cur = mm.pgtables.get(pt.index); // the pmd again (retract_page_tables left it none, or a fault put a new table there)
  if (cur === undefined) {
    if (!alloc) return false; // pmd_none: __pte_offset_map returns NULL
    cur = pte_alloc(mm, addr); // finish_fault: pte_alloc(vma->vm_mm, vmf->pmd) / do_fault_around's prealloc_pte
  }
  if (hooks_on) hooks.pgtable_use(cur, mm, addr, 'pte_offset_map_lock'); // model-only hook
  return true;
}

/**
 * __pte_offset_map (mm/pgtable-generic.c) for a walker that takes the PTL
 * in a later step (zap_pte_range's pte_offset_map_lock: the spin_lock can
 * wait): rcu_read_lock, read the pmd (pmdp_get_lockless) and map the table
 * it points to; null (rcu_read_unlock) when the pmd is none. The table is
 * pinned for pte_free_defer's grace period until pte_unmap.
 */
export function __pte_offset_map(mm: MmStruct, addr: number): PteTable | null {
  const pt = mm.pgtables.get(pmd_index(addr));
  if (pt === undefined) return null;
  pt.rcu_readers++; // rcu_read_lock: the grace period of a pte_free_defer from now on waits for us
  return pt;
}

/**
 * The rest of __pte_offset_map_lock after `__pte_offset_map` returned `pt`:
 * spin_lock(ptl) (the PTL is in the table's struct ptdesc: hook
 * `pgtable_use`, the table must not be freed), then the re-check
 * `pmd_same(pmdval, pmdp_get_lockless(pmd))`; on a mismatch unlock,
 * pte_unmap (rcu_read_unlock) and return false (NULL: the caller retries
 * the pmd). On success the caller ends with `pte_unmap_unlock`.
 */
export function pte_offset_map_lock_pinned(mm: MmStruct, pt: PteTable, addr: number, what: string): boolean {
  if (hooks_on) hooks.pgtable_use(pt, mm, addr, what); // model-only hook: spin_lock(ptl)
  if (mm.pgtables.get(pt.index) === pt) return true;
  pte_unmap_unlock(pt); // pmd changed under us: spin_unlock, pte_unmap
  return false;
}

/** pte_unmap_unlock: spin_unlock(ptl), pte_unmap -> rcu_read_unlock (the end of a deferred free's grace period when it was the last reader). */
export function pte_unmap_unlock(pt: PteTable): void {
  pt.rcu_readers--;
  if (pt.retracted && pt.rcu_readers === 0) pt.freed = true; // pte_free_defer's call_rcu callback (pte_free_now)
}

/**
 * pte_free_defer (mm/pgtable-generic.c, v6.6: Hugh Dickins' "mm/pgtable:
 * add pte_free_defer() for pgtable as page"): free a retracted PTE table
 * after an RCU grace period (call_rcu -> pte_free_now), so a walker that
 * read the old pmd inside rcu_read_lock still maps valid memory and fails
 * its pmd_same re-check. `now`: pte_free (no grace period: the
 * `retract-pte-free-no-rcu` mutation).
 */
export function pte_free_defer(pt: PteTable, now: boolean): void {
  pt.retracted = true;
  if (now || pt.rcu_readers === 0) pt.freed = true;
}

/**
 * The floor and ceiling free_pgtables gets for [start, end) (unmap_region:
 * `prev ? prev->vm_end : FIRST_USER_ADDRESS`, `next ? next->vm_start :
 * USER_PGTABLES_CEILING`): the end of the VMA below the range and the start
 * of the VMA above it, skipping VMAs inside the range (still in the tree
 * when the caller frees before clearing them).
 */
function pgtable_gap(mm: MmStruct, start: number, end: number): { floor: number; ceiling: number } {
  const n = mm.mm_mt.find(end); // the first VMA ending above end
  const ceiling = n === null ? Infinity : Math.max(n.vm_start, end);
  const s = mm.mm_mt.find(start);
  if (s !== null && s.vm_start < start) return { floor: start, ceiling }; // a VMA straddles start
  const p = s !== null ? mm.mm_mt.prev(s) : mm.vmas[mm.vmas.length - 1] ?? null;
  return { floor: p !== null && p.vm_end <= start ? p.vm_end : FIRST_USER_ADDRESS, ceiling };
}

/**
 * free_pgtables (mm/memory.c) -> free_pgd_range for the unmapped range
 * [start, end): every PTE table of the range whose whole PMD range lies in
 * [floor, ceiling) (no VMA left in it) is cleared from the pmd
 * (pmd_clear) and freed (pte_free_tlb -> tlb_remove_table). Returns the
 * number freed.
 */
export function free_pgtables(mm: MmStruct, start: number, end: number): number {
  if (end <= start || mm.pgtables.size === 0) return 0;
  const { floor, ceiling } = pgtable_gap(mm, start, end);
  let n = 0;
  for (let i = pmd_index(start); i <= pmd_index(end - 1); i++) {
    if (i * PTRS_PER_PTE < floor || (i + 1) * PTRS_PER_PTE > ceiling) continue;
    const pt = mm.pgtables.get(i);
    if (pt === undefined) continue;
    mm.pgtables.delete(i); // pmd_clear
    pt.freed = true; // pte_free_tlb
    n++;
  }
  return n;
}

/** exit_mmap's free_pgtables over the whole address space (floor FIRST_USER_ADDRESS, ceiling USER_PGTABLES_CEILING). */
export function free_all_pgtables(mm: MmStruct): void {
  for (const pt of mm.pgtables.values()) pt.freed = true;
  mm.pgtables.clear();
}
