/**
 * khugepaged's page-table retraction for file THPs (mm/khugepaged.c,
 * v6.6+: Hugh Dickins' "mm/khugepaged: retract_page_tables() without mmap
 * or vma lock"), and the part of `struct address_space` it needs: the
 * mapping's i_mmap_rwsem and its i_mmap tree of VMAs.
 *
 * collapse_file (the khugepaged op of a check scenario) ends with
 * retract_page_tables(mapping, start): under i_mmap_lock_read it visits
 * every VMA mapping the collapsed range (vma_interval_tree_foreach), and
 * for each one that maps the whole PMD-aligned range with a PTE table and
 * may be retracted (no anon_vma: no MAP_PRIVATE page was written; not
 * uffd-wp), it clears the pmd under the pmd lock (pmdp_collapse_flush) and
 * frees the table with pte_free_defer: after an RCU grace period, because
 * it holds neither mmap_lock nor a VMA lock, so page-table walkers of that
 * mm run concurrently. They cope in pte_offset_map_lock: the pmd read under
 * rcu_read_lock, re-checked (pmd_same) once the PTL is taken, NULL when it
 * changed (pgtable.ts).
 *
 * The page-cache half of collapse_file (allocating and locking the huge
 * folio, copying and replacing the small folios, whose locks keep faults
 * from installing PTEs in the range until the retraction is done) is not
 * modelled; neither is the mmu_notifier range, nor a PMD mapping of the new
 * folio (docs/fidelity.md). The simulator never runs khugepaged.
 *
 * collapse_huge_page (the anonymous collapse, `collapse: anon`) is the
 * locking of khugepaged_scan_mm_slot -> hpage_collapse_scan_pmd ->
 * collapse_huge_page: mmap_write_lock, hugepage_vma_revalidate,
 * vma_start_write then check_pmd_still_valid (the order of 366a4532d96f;
 * the `collapse-check-pmd-before-vma-write-lock` mutation restores the
 * one before it), anon_vma_lock_write, and the pmd cleared and refilled.
 */
import { point, type KPath, type PointEffect } from './effects.js';
import { VM_UFFD_WP, type MmStruct, type VmAreaStruct } from './mm_types.js';
import { RwSemaphore } from './rwsem.js';
import { fault_inject, hooks, hooks_on } from './custom.js';
import { current, sched_points } from './sched.js';
import { PTRS_PER_PTE, PteTable, pte_free_defer } from './pgtable.js';
import { mmap_read_lock, mmap_read_unlock, mmap_write_lock, mmap_write_unlock, PT } from './mmap_lock.js';
import { vma_start_write } from './vma_lock.js';

/** Scheduling points of khugepaged, named as counterexamples print them. */
export const KPT = {
  i_mmap_lock_read: point('i_mmap_lock_read(mapping)'),
  i_mmap_unlock_read: point('i_mmap_unlock_read(mapping)'),
  find_pmd: point('retract_page_tables: find_pmd_or_thp_or_none(mm, addr, &pmd)'),
  pmd_lock: point('retract_page_tables: pmd_lock(mm, pmd)'),
  check_pmd_still_valid: point('collapse_huge_page: check_pmd_still_valid(mm, address, pmd)'),
  collapse_flush: point('collapse_huge_page: anon_vma_lock_write, pmd_lock(mm, pmd), pmdp_collapse_flush'),
} satisfies Record<string, PointEffect>;

/** HPAGE_PMD_NR: pages one PMD maps (x86-64 and arm64 with 4K pages). */
export const HPAGE_PMD_NR = PTRS_PER_PTE;

/**
 * `struct address_space` of a file (include/linux/fs.h), reduced to what
 * retract_page_tables uses: `i_mmap_rwsem`, and the i_mmap tree, which is
 * the attached VMAs of `host` whose `mapping` is this one (the model's
 * files are mapped by one process; docs/fidelity.md).
 */
export class AddressSpace {
  readonly i_mmap_rwsem: RwSemaphore;
  /**
   * Model-only: the VMAs unlink_file_vma took out of the i_mmap tree, in
   * order (i_mmap.ts; an rmap walk that finds one of its VMAs here, added
   * after it took i_mmap_rwsem, had the VMA removed under it).
   */
  readonly i_mmap_removed: VmAreaStruct[] = [];
  constructor(readonly host: MmStruct, readonly label: string) {
    this.i_mmap_rwsem = new RwSemaphore(`${label}->i_mmap_rwsem`);
    hooks.object_created(this); // model-only (custom.ts)
  }
}

/** i_mmap_lock_read (include/linux/fs.h): down_read(&mapping->i_mmap_rwsem). */
export function* i_mmap_lock_read(mapping: AddressSpace): KPath {
  if (sched_points) yield KPT.i_mmap_lock_read;
  if (hooks_on) hooks.lock_acquire('i_mmap_rwsem', mapping.host); // model-only hook (lockdep: down_read)
  const sem = mapping.i_mmap_rwsem;
  if (!sem.tryRead(current)) {
    sem.enqueue(current, false);
    yield sem.blockRead; // rwsem_down_read_slowpath: woken holding the lock
  }
  if (hooks_on) hooks.i_mmap_lock?.(1); // model-only hook
}

/** i_mmap_unlock_read: up_read(&mapping->i_mmap_rwsem). */
export function i_mmap_unlock_read(mapping: AddressSpace): void {
  mapping.i_mmap_rwsem.releaseRead(current);
  if (hooks_on) hooks.i_mmap_lock?.(-1); // model-only hook
}

/** vma_interval_tree_foreach(vma, &mapping->i_mmap, pgoff, pgoff): the VMAs mapping file page `pgoff`. */
function i_mmap_vmas(mapping: AddressSpace, pgoff: number): VmAreaStruct[] {
  return mapping.host.vmas.filter((v) => v.mapping === mapping && pgoff >= v.vm_pgoff && pgoff < v.vm_pgoff + v.pages);
}

/**
 * file_backed_vma_is_retractable (mm/khugepaged.c): no anon_vma (a
 * MAP_PRIVATE page was written: anonymous PTEs may be in the table) and not
 * registered with userfaultfd-wp (its markers live in the PTEs).
 */
function file_backed_vma_is_retractable(vma: VmAreaStruct): boolean {
  return vma.anon_vma === null && (vma.vm_flags & VM_UFFD_WP) === 0; // userfaultfd_wp(vma)
}

/**
 * retract_page_tables(mapping, pgoff) (mm/khugepaged.c, v6.6+): returns
 * the number of PTE tables retracted. `pgoff` is the first page of the
 * collapsed range (a multiple of HPAGE_PMD_NR).
 */
export function* retract_page_tables(mapping: AddressSpace, pgoff: number): KPath<number> {
  yield* i_mmap_lock_read(mapping);
  let n = 0;
  for (const vma of i_mmap_vmas(mapping, pgoff)) {
    if (sched_points) yield KPT.find_pmd;
    // The VMA stays in the i_mmap tree while i_mmap_rwsem is held (unlink_file_vma takes it for write).
    if (vma.freed || vma.detached || vma.mapping !== mapping) continue;
    const addr = vma.vm_start + (pgoff - vma.vm_pgoff);
    if (addr % HPAGE_PMD_NR !== 0 || vma.vm_end < addr + HPAGE_PMD_NR) continue; // addr & ~HPAGE_PMD_MASK || vma->vm_end < addr + HPAGE_PMD_SIZE
    const mm = vma.mm;
    const idx = addr / HPAGE_PMD_NR;
    if (!mm.pgtables.has(idx)) continue; // find_pmd_or_thp_or_none != SCAN_SUCCEED
    if (mm.mm_users === 0) continue; // collapse_test_exit(mm)
    if (!file_backed_vma_is_retractable(vma)) continue;
    // mmu_notifier_invalidate_range_start may sleep: the pmd lock is taken in a step of its own.
    if (sched_points) yield KPT.pmd_lock;
    const pt = mm.pgtables.get(idx);
    if (pt === undefined) continue; // check_pmd_state(pmd) != SCAN_SUCCEED: goto drop_pml
    if (!file_backed_vma_is_retractable(vma)) continue; // repeated under the PTL: a racing madvise or uffd
    mm.pgtables.delete(idx); // pmdp_collapse_flush; pmdp_get_lockless_sync
    // spin_unlock(ptl), spin_unlock(pml), mmu_notifier_invalidate_range_end; mm_dec_nr_ptes
    pte_free_defer(pt, fault_inject.retract_pte_free_no_rcu); // pte_free_defer(mm, pmd_pgtable(pgt_pmd))
    n++;
  }
  if (sched_points) yield KPT.i_mmap_unlock_read;
  i_mmap_unlock_read(mapping);
  return n;
}

/**
 * khugepaged's collapse of the file range holding user address `addr` of
 * `mm` (khugepaged_scan_mm_slot: under mmap_read_lock find the VMA and take
 * its file, drop the lock; hpage_collapse_scan_file -> collapse_file
 * without it), reduced to collapse_file's last step: retract_page_tables
 * for the PMD-aligned range of file pages that contains `addr`'s. Returns
 * the number of tables retracted (0 when no file VMA with a mapping covers
 * `addr`).
 */
export function* khugepaged_scan_file(mm: MmStruct, addr: number): KPath<number> {
  yield* mmap_read_lock(mm); // khugepaged_scan_mm_slot
  const vma = mm.find_vma(addr);
  const mapping = vma !== null && vma.vm_start <= addr ? vma.mapping : null; // file = get_file(vma->vm_file)
  const pgoff = vma !== null ? vma.pgoff_of(addr) : 0;
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm);
  if (mapping === null) return 0;
  return yield* retract_page_tables(mapping, pgoff - (pgoff % HPAGE_PMD_NR)); // collapse_file(mm, addr, file, start): start = pgoff & ~(HPAGE_PMD_NR - 1)
}

/** enum scan_result (mm/khugepaged.c), the values collapse_huge_page's model returns. */
export type ScanResult = 'SCAN_SUCCEED' | 'SCAN_ANY_PROCESS' | 'SCAN_VMA_NULL' | 'SCAN_ADDRESS_RANGE' | 'SCAN_PAGE_ANON' | 'SCAN_PMD_NONE' | 'SCAN_PMD_NULL';

/**
 * hugepage_vma_revalidate(mm, address, expect_anon = true, &vma, cc)
 * (mm/khugepaged.c), under mmap_lock: the mm is still used
 * (hpage_collapse_test_exit_or_disable), find_vma finds a VMA that holds the
 * whole PMD-aligned range at `address` (thp_vma_suitable_order), and it is
 * anonymous with an anon_vma. thp_vma_allowable_order (the THP sysfs
 * settings, VM_NOHUGEPAGE) always allows in the model.
 */
function hugepage_vma_revalidate(mm: MmStruct, address: number): VmAreaStruct | ScanResult {
  if (mm.mm_users === 0) return 'SCAN_ANY_PROCESS';
  const vma = mm.find_vma(address);
  if (vma === null) return 'SCAN_VMA_NULL';
  if (address < vma.vm_start || address + HPAGE_PMD_NR > vma.vm_end) return 'SCAN_ADDRESS_RANGE';
  if (vma.anon_vma === null || vma.vm_file) return 'SCAN_PAGE_ANON'; // !vma->anon_vma || !vma_is_anonymous(vma)
  return vma;
}

/**
 * check_pmd_still_valid (mm/khugepaged.c): find_pmd_or_thp_or_none finds the
 * pmd again and it is a PTE table's (SCAN_PMD_NONE when it is none). The
 * model's one page-table level has no PMD table to compare (`new_pmd != pmd`).
 */
function check_pmd_still_valid(mm: MmStruct, address: number): ScanResult {
  return mm.pgtables.has(address / HPAGE_PMD_NR) ? 'SCAN_SUCCEED' : 'SCAN_PMD_NONE';
}

/**
 * collapse_huge_page(mm, address, ...) (mm/khugepaged.c), from the
 * mmap_write_lock on; `address` is PMD-aligned. The THP is the collapsed
 * range: on success the pmd maps it (set_pmd_at) and the old PTE table is
 * deposited under it (pgtable_trans_huge_deposit), which the model keeps as
 * the object in the pmd slot (it has no PMD mappings: a later walker finds a
 * live table there, as it would find the huge pmd and, on a split, the
 * deposited table). Returns the scan result.
 */
export function* collapse_huge_page(mm: MmStruct, address: number): KPath<ScanResult> {
  // mmap_read_unlock; alloc_charge_folio (no allocation in the model); the second mmap_read_lock
  // section (hugepage_vma_revalidate, find_pmd_or_thp_or_none, __collapse_huge_page_swapin) is the scan's.
  yield* mmap_write_lock(mm); // "Prevent all access to pagetables with the exception of gup_fast"
  const result = yield* collapse_huge_page_locked(mm, address);
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm); // out_up_write: mmap_write_unlock (vma_end_write_all)
  return result;
}

/** collapse_huge_page between mmap_write_lock and out_up_write. */
function* collapse_huge_page_locked(mm: MmStruct, address: number): KPath<ScanResult> {
  const vma = hugepage_vma_revalidate(mm, address);
  if (typeof vma === 'string') return vma; // goto out_up_write
  const late = fault_inject.collapse_check_pmd_before_vma_write_lock; // before 366a4532d96f
  if (!late) yield* vma_start_write(vma); // 366a4532d96f: "check if the pmd is still valid" under the VMA write lock
  if (sched_points) yield KPT.check_pmd_still_valid;
  const result = check_pmd_still_valid(mm, address);
  if (result !== 'SCAN_SUCCEED') return result; // goto out_up_write
  if (late) yield* vma_start_write(vma); // the pre-fix place: MADV_DONTNEED under the VMA read lock ran until here
  // mmu_notifier_invalidate_range_start may sleep: the flush is a step of its own. The anon_vma lock is
  // taken and released inside it (the model's anon_vma lock is never held across a step, rmap.ts).
  if (sched_points) yield KPT.collapse_flush;
  const av = vma.anon_vma!; // hugepage_vma_revalidate: expect_anon
  hooks.anon_vma_use(av, 'collapse_huge_page'); // model-only hook: anon_vma_lock_write(vma->anon_vma)
  if (hooks_on) hooks.lock_acquire('anon_vma', mm); // model-only hook (lockdep: down_write(&root->rwsem))
  const idx = address / HPAGE_PMD_NR;
  const _pmd = mm.pgtables.get(idx) ?? null; // pmd_ptl = pmd_lock(mm, pmd); _pmd = pmdp_collapse_flush(vma, address, pmd)
  mm.pgtables.delete(idx);
  // spin_unlock(pmd_ptl); mmu_notifier_invalidate_range_end; tlb_remove_table_sync_one
  if (_pmd === null) { // pte = pte_offset_map_lock(mm, &_pmd, address, &pte_ptl) is NULL: result = SCAN_PMD_NULL
    // if (unlikely(result != SCAN_SUCCEED)): BUG_ON(!pmd_none(*pmd)); pmd_populate(mm, pmd, pmd_pgtable(_pmd)):
    // _pmd is none, so the pmd now points to pmd_pgtable(__pmd(0)), not a page table.
    const junk = new PteTable(idx);
    junk.bogus = true;
    junk.freed = true;
    mm.pgtables.set(idx, junk);
    return 'SCAN_PMD_NULL'; // anon_vma_unlock_write; goto out_up_write
  }
  if (hooks_on) hooks.pgtable_use(_pmd, mm, address, 'collapse_huge_page: __collapse_huge_page_isolate'); // model-only hook: spin_lock(pte_ptl)
  // anon_vma_unlock_write; __collapse_huge_page_copy; pgtable_trans_huge_deposit(mm, pmd, pmd_pgtable(_pmd)); set_pmd_at
  mm.pgtables.set(idx, _pmd);
  return 'SCAN_SUCCEED';
}

/**
 * khugepaged's collapse of the anonymous PMD-aligned range holding user
 * address `addr` of `mm`: khugepaged_scan_mm_slot under mmap_read_lock
 * (hugepage_vma_revalidate's checks, hpage_collapse_scan_pmd:
 * find_pmd_or_thp_or_none; the PTEs' scan is not modelled: every range
 * qualifies), then collapse_huge_page, which drops the read lock first.
 */
export function* khugepaged_scan_anon(mm: MmStruct, addr: number): KPath<ScanResult> {
  const address = addr - (addr % HPAGE_PMD_NR); // addr & HPAGE_PMD_MASK
  yield* mmap_read_lock(mm); // khugepaged_scan_mm_slot
  const vma = hugepage_vma_revalidate(mm, address);
  const result = typeof vma === 'string' ? vma : check_pmd_still_valid(mm, address); // find_pmd_or_thp_or_none
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm); // collapse_huge_page: "release the mmap_lock read lock" before alloc_charge_folio
  if (result !== 'SCAN_SUCCEED') return result;
  return yield* collapse_huge_page(mm, address);
}
