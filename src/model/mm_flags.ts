/** The bit constants of include/linux/mm.h and include/linux/mm_types.h the model reads (moved out of mm_types.ts). */

// ---- vm_flags (include/linux/mm.h) ----
export const VM_READ = 0x1;
export const VM_WRITE = 0x2;
export const VM_EXEC = 0x4;
export const VM_SHARED = 0x8;
/** A stack that grows down (expand_downwards). */
export const VM_GROWSDOWN = 0x100;
export const VM_MAYWRITE = 0x20;
/** Registered with userfaultfd for missing faults (UFFDIO_REGISTER_MODE_MISSING). */
export const VM_UFFD_MISSING = 0x200;
export const VM_UFFD_WP = 0x1000;
export const VM_PFNMAP = 0x400;
export const VM_DONTCOPY = 0x20000;
/** MADV_SEQUENTIAL (include/linux/mm.h VM_SEQ_READ). */
export const VM_SEQ_READ = 0x8000;
/** MADV_RANDOM (include/linux/mm.h VM_RAND_READ): no readahead on faults. */
export const VM_RAND_READ = 0x10000;
export const VM_MIXEDMAP = 0x10000000;
/**
 * VM_MAYBE_GUARD: the VMA may contain guard-region markers (v6.19). The kernel
 * uses a high bit; the model keeps every flag in 32 bits for JS bitwise ops.
 */
export const VM_MAYBE_GUARD = 0x40000000;
/** include/linux/userfaultfd_k.h: fault-around would map pages uffd must see faults on (not VM_UFFD_MISSING: fault-around maps only page-cache pages, which are not missing). */
export function uffd_disable_fault_around(vma: { vm_flags: number }): boolean {
  return (vma.vm_flags & VM_UFFD_WP) !== 0; // VM_UFFD_MINOR is not modelled
}
/** include/linux/userfaultfd_k.h userfaultfd_missing: a fault on a none PTE is delivered to user space (handle_userfault). */
export function userfaultfd_missing(vma: { vm_flags: number }): boolean {
  return (vma.vm_flags & VM_UFFD_MISSING) !== 0;
}
/** include/linux/mm.h: VMAs whose page tables fork must copy even without an anon_vma. */
export const VM_COPY_ON_FORK = VM_PFNMAP | VM_MIXEDMAP | VM_UFFD_WP | VM_MAYBE_GUARD;

/** include/linux/mm.h `is_cow_mapping`: private and may be written. */
export function is_cow_mapping(flags: number): boolean {
  return (flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;
}

// ---- enum fault_flag (include/linux/mm_types.h) ----
export const FAULT_FLAG_WRITE = 1 << 0;
/** The fault is in ->page_mkwrite (do_page_mkwrite sets it, clearing every other flag). */
export const FAULT_FLAG_MKWRITE = 1 << 1;
export const FAULT_FLAG_ALLOW_RETRY = 1 << 2;
export const FAULT_FLAG_RETRY_NOWAIT = 1 << 3;
export const FAULT_FLAG_KILLABLE = 1 << 4;
export const FAULT_FLAG_TRIED = 1 << 5;
export const FAULT_FLAG_USER = 1 << 6;
export const FAULT_FLAG_INTERRUPTIBLE = 1 << 9;
export const FAULT_FLAG_VMA_LOCK = 1 << 12;
/** include/linux/mm.h FAULT_FLAG_DEFAULT */
export const FAULT_FLAG_DEFAULT = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | FAULT_FLAG_INTERRUPTIBLE;

/** include/linux/mm.h `fault_flag_allow_retry_first` */
export function fault_flag_allow_retry_first(flags: number): boolean {
  return (flags & FAULT_FLAG_ALLOW_RETRY) !== 0 && (flags & FAULT_FLAG_TRIED) === 0;
}

// ---- enum vm_fault_reason (include/linux/mm_types.h) ----
export const VM_FAULT_SIGBUS = 0x000002;
export const VM_FAULT_SIGSEGV = 0x000040;
export const VM_FAULT_MAJOR = 0x000004;
export const VM_FAULT_NOPAGE = 0x000100;
export const VM_FAULT_LOCKED = 0x000200;
export const VM_FAULT_RETRY = 0x000400;
/** Patch 1/5 of the series: retry under the VMA lock. */
export const VM_FAULT_RETRY_VMA = 0x000800;
export const VM_FAULT_COMPLETED = 0x008000;
/** Suren's FALLBACK idea, Barry's draft name: RETRY that must fall back to mmap_lock. */
export const VM_FAULT_RETRY_HARD = 0x100000;
