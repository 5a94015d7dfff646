/** `struct vm_fault` (include/linux/mm.h), reduced to what the paths read. */
import type { Folio, VmAreaStruct } from './mm_types.js';
import type { PteTable } from './pgtable.js';

export interface VmFault {
  vma: VmAreaStruct;
  /** Faulting address, in pages. */
  address: number;
  /** Page offset within the VMA. */
  pgoff: number;
  /** FAULT_FLAG_* */
  flags: number;
  /**
   * vmf->pmd: the PTE table __handle_mm_fault walked to (pgtable.ts), held
   * until the PTE install; null in the simulator, which keeps no page-table
   * objects.
   */
  pt: PteTable | null;
  /**
   * userfaultfd_missing(vma) of an anonymous fault, read once by
   * handle_mm_fault's dispatch (vm_flags cannot change under the fault's
   * lock; the later checks the kernel makes read the same value).
   */
  uffd_missing: boolean;
  /**
   * Model-only: the caller finishes the fault itself (do_shared_fault with a
   * ->page_mkwrite): filemap_fault returns VM_FAULT_LOCKED with the folio
   * locked and referenced in `folio`, not mapped, as the kernel's always does
   * (the model's filemap_fault otherwise does finish_fault itself).
   */
  keep_locked?: boolean;
  /** vmf->page's folio: set by filemap_fault with `keep_locked`, and by do_wp_page. */
  folio?: Folio;
}
