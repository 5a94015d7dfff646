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
 */
import { point, type KPath, type PointEffect } from './effects.js';
import { VM_UFFD_WP, type MmStruct, type VmAreaStruct } from './mm_types.js';
import { RwSemaphore } from './rwsem.js';
import { fault_inject, hooks, hooks_on } from './custom.js';
import { current, sched_points } from './sched.js';
import { PTRS_PER_PTE, pte_free_defer } from './pgtable.js';
import { mmap_read_lock, mmap_read_unlock, PT } from './mmap_lock.js';

/** Scheduling points of khugepaged, named as counterexamples print them. */
export const KPT = {
  i_mmap_lock_read: point('i_mmap_lock_read(mapping)'),
  i_mmap_unlock_read: point('i_mmap_unlock_read(mapping)'),
  find_pmd: point('retract_page_tables: find_pmd_or_thp_or_none(mm, addr, &pmd)'),
  pmd_lock: point('retract_page_tables: pmd_lock(mm, pmd)'),
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
