/**
 * Fork strategies: which parent VMAs dup_mmap() write-locks, and (for the
 * literal reading of Yang Shi's rule) which it copies. Mails are in the v2
 * thread, "Re: [PATCH v2 0/5] mm: reduce mmap_lock contention and improve page
 * fault performance".
 *
 * - fork-lock-all: mainline, fb49c455323f "fork: lock VMAs of the parent
 *   process when forking" (Suren Baghdasaryan, July 2023). Not a proposal.
 * - fork-lock-writable: Barry Song, 2026-05-17 08:45 UTC, his diff's literal
 *   condition `!vma->vm_file || (!(flags & VM_SHARED) && (flags & VM_WRITE))`.
 *   Differs from the mail: nowhere.
 * - fork-lock-cow: David Hildenbrand, 2026-05-18 09:53 UTC ("Likely
 *   is_cow_mapping() is what you would want to check"), Suren Baghdasaryan
 *   2026-05-18 19:56 UTC: only VMAs that can hold anonymous pages,
 *   is_cow_mapping(flags). Differs from the mails: Suren's form adds
 *   `vma_is_anonymous(vma) ||`; an anonymous VMA is private and
 *   VM_MAYWRITE unless mapped without write permission ever, so
 *   is_cow_mapping covers it whenever it can hold anonymous pages.
 * - fork-lock-anon-vma: Yang Shi, 2026-05-18 21:21 UTC ("take vma write lock
 *   iff vma->anon_vma is not NULL"), 2026-05-19 18:50 UTC. Differs from the
 *   mail: his code also skips copy_page_range without an anon_vma; this
 *   charitable reading still copies whenever vma_needs_copy() says so (see
 *   fork-lock-anon-vma-literal).
 * - fork-lock-anon-vma-literal: Yang Shi's code of 2026-05-18 21:21 UTC as
 *   written: `if (vma->anon_vma) { vma_start_write_killable(src_vma);
 *   anon_vma_fork(dst_vma, src_vma); copy_page_range(dst_vma, src_vma); }`.
 *   Without an anon_vma there is no lock and no copy, so the child loses the
 *   page tables of VM_COPY_ON_FORK mappings (PFN/mixed maps, uffd-wp, guard
 *   regions): Lorenzo Stoakes' objection, 2026-05-19 13:12 UTC ("there are
 *   other cases - PFN maps, mixed maps, UFFD W/P (ugh), guard regions"). The
 *   checker reports it as `fork-copy-complete`. Differs from the mail:
 *   nowhere.
 * - fork-lock-none: Barry Song, 2026-05-19 11:07 UTC ("we could remove
 *   vma_start_write() entirely now"; Lorenzo Stoakes, 2026-05-19 13:34 UTC:
 *   "totally broken. NAK."). Differs from the mail: nowhere.
 */
import {
  is_cow_mapping, vma_needs_copy, VM_SHARED, VM_WRITE, type ForkStrategy, type VmAreaStruct,
} from '../model/index.js';

export const forkLockAll: ForkStrategy = { name: 'fork-lock-all', lock_vma: () => true, needs_copy: vma_needs_copy };

export const forkLockWritable: ForkStrategy = {
  name: 'fork-lock-writable',
  lock_vma: (v: VmAreaStruct) => !v.vm_file || ((v.vm_flags & VM_SHARED) === 0 && (v.vm_flags & VM_WRITE) !== 0),
  needs_copy: vma_needs_copy,
};

export const forkLockCow: ForkStrategy = {
  name: 'fork-lock-cow',
  lock_vma: (v: VmAreaStruct) => is_cow_mapping(v.vm_flags),
  needs_copy: vma_needs_copy,
};

export const forkLockAnonVma: ForkStrategy = {
  name: 'fork-lock-anon-vma',
  lock_vma: (v: VmAreaStruct) => v.anon_vma !== null,
  needs_copy: vma_needs_copy,
};

export const forkLockAnonVmaLiteral: ForkStrategy = {
  name: 'fork-lock-anon-vma-literal',
  lock_vma: (v: VmAreaStruct) => v.anon_vma !== null,
  needs_copy: (v: VmAreaStruct) => v.anon_vma !== null,
};

export const forkLockNone: ForkStrategy = { name: 'fork-lock-none', lock_vma: () => false, needs_copy: vma_needs_copy };
