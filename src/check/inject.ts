/**
 * Named mutations of the model (fault injection, src/model/custom.ts): the
 * checker turns them on to show that the invariants catch real locking bugs.
 */
import { fault_inject, reset_fault_inject, type FaultInjection } from '../model/index.js';

export const INJECTIONS = {
  'mprotect-skip-vma-write-lock': {
    flag: 'mprotect_skip_vma_start_write',
    summary: 'mprotect changes the VMA without vma_start_write (mm/mprotect.c)',
  },
  'fork-skip-vma-write-lock': {
    flag: 'dup_mmap_skip_vma_start_write',
    summary: 'dup_mmap copies every VMA without vma_start_write, whatever the fork strategy (mm/mmap.c); SPIN anchor BUG_FORK_SKIP_VMA2',
  },
  'double-vma-end-read': {
    flag: 'do_user_addr_fault_double_vma_end_read',
    summary: 'do_user_addr_fault releases the VMA read lock twice after a successful VMA-locked fault',
  },
  'lock-vma-skip-recheck': {
    flag: 'lock_vma_skip_recheck',
    summary: 'lock_vma_under_rcu trusts the VMA it locked: no address-range re-check after vma_start_read (mm/mmap_lock.c; the vm_mm check is in vma_start_read), so a VMA freed and reused by this mm (SLAB_TYPESAFE_BY_RCU) or shrunk between lookup and lock is used',
  },
  'merge-skip-neighbour-write-lock': {
    flag: 'merge_skip_neighbour_write_lock',
    summary: 'vma_merge_existing_range write-locks only the VMA being modified, not the neighbour it extends or removes (mm/vma.c)',
  },
  'madvise-mmap-lock-under-vma-lock': {
    flag: 'madvise_mmap_lock_under_vma_lock',
    summary: 'madvise takes mmap_read_lock while it still holds the VMA read lock (mm/madvise.c): the order vma_lock -> mmap_lock, against every writer\'s mmap_lock -> vma_lock',
  },
  'fault-vma-access-after-retry': {
    flag: 'fault_vma_access_after_retry',
    summary: 'do_user_addr_fault reads the VMA after a VMA-locked handle_mm_fault returned VM_FAULT_RETRY, i.e. after the callee dropped the VMA lock (arch fault handlers)',
  },
  'dup-anon-vma-before-write-lock': {
    flag: 'dup_anon_vma_before_write_lock',
    summary: 'the pre-d8ab9f7b644a merge: dup_anon_vma sets the expanded VMA\'s anon_vma before that VMA is write-locked (mm/mmap.c vma_merge, v6.4)',
  },
  'mmap-skip-new-vma-write-lock': {
    flag: 'mmap_skip_new_vma_write_lock',
    summary: 'the pre-33313a747e81 mmap_region: the new VMA is stored in the tree, where faults find it, and modified afterwards without vma_start_write (v6.4)',
  },
  'stack-expand-skip-write-lock': {
    flag: 'stack_expand_skip_write_lock',
    summary: 'the pre-c137381f71ae stack expansion: expand_downwards moves vm_start without vma_start_write, while faults may hold the stack VMA\'s read lock (mm/mmap.c)',
  },
  'vma-start-read-skip-mm-check': {
    flag: 'vma_start_read_skip_mm_check',
    summary: 'vma_start_read locks the VMA it found without checking vma->vm_mm (and lock_vma_under_rcu re-checks only the address range, as since the UAF fix), so a VMA object another mm reused (SLAB_TYPESAFE_BY_RCU) is used as this mm\'s (include/linux/mmap_lock.h)',
  },
  'lock-vma-mm-check-without-mmgrab': {
    flag: 'lock_vma_mm_check_without_mmgrab',
    summary: 'before "mm: fix a UAF when vma->mm is freed after vma->vm_refcnt got dropped": lock_vma_under_rcu checks vm_mm after vma_start_read locked the VMA and drops it with vma_end_read, whose rcuwait_wake_up goes through the other mm without an mmgrab, so that mm may be freed in between',
  },
  'mremap-merge-skip-anon-vma-dup': {
    flag: 'vma_expand_skip_copied_from_dup_anon_vma',
    summary: 'the pre-61f67c230a5e vma_expand ("mm/vma: fix anon_vma UAF on mremap() faulted, unfaulted merge"): a faulted VMA that mremap moves next to an unfaulted one merges into it without dup_anon_vma from the copied-from VMA; with MREMAP_DONTUNMAP the source\'s unlink_anon_vmas then frees the anon_vma its moved folios point to (mm/vma.c)',
  },
  'free-pgtables-before-detach': {
    flag: 'free_pgtables_before_detach',
    summary: 'munmap frees the page tables (free_pgtables) before vms_gather_munmap_vmas write-locks and detaches the VMAs, instead of in vms_complete_munmap_vmas -> unmap_region after them (mm/vma.c): a fault holding the VMA read lock walks a freed page table at its PTE install (pte_offset_map_lock)',
  },
  'vma-mark-detached-skip-refcnt-wait': {
    flag: 'vma_mark_detached_skip_refcnt_wait',
    summary: 'vma_mark_detached (mm/mmap_lock.c) does not wait for a transient vm_refcnt reference (another mm\'s vma_start_read on a reused VMA object, between its increment and vma_refcount_put), so the VMA is freed under that reference (a mutation of the locking rule, not a historic bug)',
  },
  'vma-expand-skip-write-lock': {
    flag: 'vma_expand_skip_write_lock',
    summary: 'vma_expand (mm/vma.c: mmap merging into a neighbour, mremap growing in place, copy_vma) changes the VMA it expands, and removes the next VMA it swallows, without vma_start_write on either (a mutation of the locking rule, not a historic bug)',
  },
  'mbind-skip-vma-write-lock': {
    flag: 'mbind_skip_vma_write_lock',
    summary: 'the pre-6c21e066f925 mbind ("mm/mempolicy: Take VMA lock before replacing policy", CVE-2023-4611): do_mbind / vma_replace_policy swap vma->vm_policy and mpol_put the old policy without vma_start_write, while a fault under the VMA lock reads it in vma_alloc_folio (mm/mempolicy.c)',
  },
  'retract-pte-free-no-rcu': {
    flag: 'retract_pte_free_no_rcu',
    summary: 'retract_page_tables (mm/khugepaged.c, v6.6+: no mmap_lock, no VMA lock) frees the PTE table it took out of the pmd with pte_free instead of pte_free_defer: a walker between __pte_offset_map (rcu_read_lock, the old pmd) and spin_lock(ptl) maps a freed table (a mutation of the v6.6 rule, Hugh Dickins\' "mm/pgtable: add pte_free_defer() for pgtable as page")',
  },
  'anon-vma-fork-skip-clone': {
    flag: 'anon_vma_fork_skip_clone',
    summary: 'anon_vma_fork (mm/rmap.c) gives the child\'s VMA its own anon_vma without first linking it to the parent\'s anon_vmas (anon_vma_clone): the folios the child shares with the parent point to the parent\'s anon_vma, whose interval tree does not have the child\'s VMA, so an rmap walk misses that mapping (a mutation of the rule, not a historic bug)',
  },
  'folio-lock-anon-vma-read-skip-recheck': {
    flag: 'folio_lock_anon_vma_read_skip_recheck',
    summary: 'folio_lock_anon_vma_read (mm/rmap.c) returns the anon_vma it read from folio->mapping under RCU once down_read_trylock of its root succeeds, without re-checking folio_mapped(): a folio unmapped in between (munmap, the fork child\'s exit) may have had its anon_vma freed, and the rmap walk then uses it (a mutation of the rule, not a historic bug)',
  },
  'collapse-check-pmd-before-vma-write-lock': {
    flag: 'collapse_check_pmd_before_vma_write_lock',
    summary: 'the pre-366a4532d96f collapse_huge_page ("mm: fix the race between collapse and PT_RECLAIM under per-vma lock", Barry Song, v6.17-rc): under mmap_write_lock, check_pmd_still_valid runs before vma_start_write (mm/khugepaged.c), so MADV_DONTNEED under the VMA read lock frees the now-empty PTE table (PT_RECLAIM) after the check; pmdp_collapse_flush then reads a none pmd and the failure path pmd_populate\'s pmd_pgtable() of it, a pmd that points to no page table, which the next walk of the range uses',
  },
  'mmap-i-mmap-lock-before-vma-write-lock': {
    flag: 'mmap_i_mmap_lock_before_vma_write_lock',
    summary: 'the pre-1c7873e33645 mmap_region ("mm: lock newly mapped VMA with corrected ordering", v6.5-rc1, stable 6.4.3): i_mmap_lock_write of the file\'s mapping, then vma_start_write of the new VMA (v6.4: down_write(&vma->vm_lock->lock)) under it: the order i_mmap_rwsem -> vm_lock, against a VMA-locked fault\'s allocation (vm_lock -> fs_reclaim) and reclaim\'s try_to_unmap (fs_reclaim -> i_mmap_rwsem) (mm/mmap.c)',
  },
  'uffd-move-lock-src-fallback': {
    flag: 'uffd_move_lock_src_fallback',
    summary: 'UFFDIO_MOVE locks the source VMA with uffd_lock_vma, whose fallback takes mmap_read_lock, while it holds the destination\'s VMA read lock (mm/userfaultfd.c as in linux-next before the v6.9 merge of 867a43a34ff8; syzbot "possible deadlock in lock_vma"): the order vma_lock -> mmap_lock, against every writer\'s mmap_lock -> vma_lock',
  },
  'mremap-skip-rmap-locks': {
    flag: 'mremap_skip_rmap_locks',
    summary: 'mremap\'s move_ptes / move_pgt_entry (mm/mremap.c) move the PTEs without take_rmap_locks (i_mmap_lock_write, anon_vma_lock_write) even when copy_vma set need_rmap_locks, because the VMA it moves them to comes before the source in the anon_vma\'s interval tree (a merge into a neighbour with a lower vm_pgoff): an rmap walk visits the destination before the move and the source after it, and observes the PTE in neither (a mutation of the rule of 38a76013ad80, "mm: avoid taking rmap locks in move_ptes()"; its historic misses were the THP and whole-PMD moves that skipped the locks)',
  },
  'unlink-file-vma-skip-i-mmap-lock': {
    flag: 'unlink_file_vma_skip_i_mmap_lock',
    summary: 'free_pgtables\' unlink_file_vma (mm/vma.c unlink_file_vma_batch_process, mm/memory.c free_pgtables) takes the VMA out of the file\'s i_mmap tree without i_mmap_lock_write ("to hide vma from rmap and vmtruncate before freeing its page tables"): a file rmap walk holding i_mmap_rwsem for read (try_to_unmap -> rmap_walk_file) still visits it and walks the page tables free_pgd_range frees (a mutation of the rule, not a historic bug)',
  },
  'handle-userfault-keep-lock': {
    flag: 'handle_userfault_keep_lock',
    summary: 'handle_userfault (fs/userfaultfd.c) keeps the fault\'s lock (the VMA read lock since 29a22b9e08d7 "mm: handle userfaults under VMA lock", v6.6; mmap_read_lock before) while it sleeps waiting for user space to resolve the fault, and drops it only after the wake-up: a writer of the VMA (mprotect, munmap) waits for that reader under mmap_write_lock, and the monitor\'s UFFDIO_COPY, whose uffd_lock_vma then falls back to mmap_read_lock, waits behind the writer (a mutation of the rule, not a historic bug: the kernel has released the lock before schedule() since handle_userfault was merged)',
  },
} as const satisfies Record<string, { flag: keyof FaultInjection; summary: string }>;

export type Injection = keyof typeof INJECTIONS;
export const INJECTION_NAMES = Object.keys(INJECTIONS) as Injection[];

export function isInjection(s: string): s is Injection {
  return s in INJECTIONS;
}

/** Turn on exactly `list` (everything else off). */
export function applyInjections(list: readonly Injection[]): void {
  reset_fault_inject();
  for (const i of list) fault_inject[INJECTIONS[i].flag] = true;
}
