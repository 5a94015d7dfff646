/**
 * PT_RECLAIM (mm/pt_reclaim.c, v6.14+: Qi Zheng's "mm: pgtable: reclaim
 * empty PTE page in madvise(MADV_DONTNEED)"): a zap that empties a whole PTE
 * table frees it. zap_pte_range (mm/memory.c) decides it per pmd with
 * reclaim_pt_is_enabled (the zap's `details->reclaim_pt`, which only
 * madvise_dontneed_single_vma sets, and a zapped range of the whole PMD
 * range); after the PTEs are cleared, still under the PTL,
 * try_get_and_clear_pmd takes the pmd lock (spin_trylock) and clears the
 * pmd; after pte_unmap_unlock, free_pte hands the table to the mmu_gather
 * (pte_free_tlb -> tlb_remove_table), which frees it after an RCU grace
 * period (PT_RECLAIM selects MMU_GATHER_RCU_TABLE_FREE).
 *
 * CONFIG_PT_RECLAIM: `default y`, `depends on ARCH_SUPPORTS_PT_RECLAIM`,
 * which x86-64 selects (the architecture the model follows, with arm64 4K
 * pages, whose PTRS_PER_PTE it shares); so the model has it on. Later
 * kernels make it `def_bool y` wherever MMU_GATHER_RCU_TABLE_FREE is.
 *
 * Only the fast path is modelled: the pmd trylock never fails (the pmd lock
 * is not a lock in the model, and no model step holds it across a
 * scheduling point), so try_to_free_pte (the slow path: pmd_lock, the PTL,
 * every PTE re-checked none) is never needed, and need_resched never breaks
 * the PTE loop (docs/fidelity.md). The slow path's window (after
 * pte_unmap_unlock, before pmd_lock: a VMA-locked fault may install a PTE,
 * which the re-check must see) would need a pmd-lock section that spans
 * steps (or an allocation failure for force_break) and per-table PTE
 * presence; neither is modelled.
 */
import type { MmStruct, VmAreaStruct } from './mm_types.js';
import { VM_UFFD_WP } from './mm_types.js';
import { pte_free_defer, PTRS_PER_PTE, type PteTable } from './pgtable.js';

/** CONFIG_PT_RECLAIM (x86-64 since v6.14: ARCH_SUPPORTS_PT_RECLAIM, default y). */
export const CONFIG_PT_RECLAIM = true;

/**
 * reclaim_pt_is_enabled(start, end, details): `details->reclaim_pt` (the
 * zap is MADV_DONTNEED's) and `end - start >= PMD_SIZE` for the part of the
 * zap one zap_pte_range call covers (zap_pmd_range clamps it to the pmd), so
 * the zap covers the whole PMD range of pmd `index`. The model keeps no PTEs,
 * so the emptiness zap_pte_range sees (no PTE skipped: `any_skipped`) is
 * that condition, less a file VMA registered with userfaultfd-wp, whose
 * zapped PTEs become markers (zap_install_uffd_wp_if_needed: `details` has
 * no ZAP_FLAG_DROP_MARKER) and keep the table.
 */
export function reclaim_pt_is_enabled(vma: VmAreaStruct, index: number, start: number, end: number): boolean {
  if (!CONFIG_PT_RECLAIM) return false;
  const lo = Math.max(start, index * PTRS_PER_PTE, vma.vm_start);
  const hi = Math.min(end, (index + 1) * PTRS_PER_PTE, vma.vm_end);
  if (hi - lo < PTRS_PER_PTE) return false;
  return !(vma.vm_file && (vma.vm_flags & VM_UFFD_WP) !== 0); // any_skipped: a uffd-wp marker was installed
}

/**
 * try_get_and_clear_pmd (mm/pt_reclaim.c): under the PTL the zap holds,
 * spin_trylock(pml), `*pmdval = pmdp_get_lockless(pmd)`, pmd_clear. The
 * caller re-checked the pmd when it took the PTL (pmd_same), so `pt` is the
 * table the pmd points to.
 */
export function try_get_and_clear_pmd(mm: MmStruct, pt: PteTable): boolean {
  if (mm.pgtables.get(pt.index) !== pt) return false; // (the PTL's pmd_same re-check made sure of it)
  mm.pgtables.delete(pt.index); // pmd_clear(pmd)
  return true;
}

/**
 * free_pte (mm/pt_reclaim.c): pte_free_tlb(tlb, pmd_pgtable(pmdval), addr),
 * mm_dec_nr_ptes; the mmu_gather frees the table after an RCU grace period
 * (tlb_remove_table -> tlb_remove_table_rcu), so a walker that read the old
 * pmd inside __pte_offset_map's rcu_read_lock still maps valid memory and
 * fails its pmd_same re-check. Called after pte_unmap_unlock (the zap has
 * left its own RCU section).
 */
export function free_pte(pt: PteTable): void {
  pt.reclaimed = true; // model-only: who cleared the pmd (the checker's report)
  pte_free_defer(pt, false); // the same grace period as retract_page_tables's pte_free_defer
}
