/**
 * Model-only additions, in the manner of tools/testing/vma include/custom.h:
 * nothing here exists in the kernel. Kernel paths call these under kernel
 * names so a reviewer can skim them:
 *
 * - `fault_inject`: named fault-injection switches (shared.h style
 *   `fail_prealloc`). Off by default; the simulator never turns them on; the
 *   checker's mutation tests do, to prove the invariants catch real bugs.
 * - `hooks`: observation points the checker's invariants read (PTE installs,
 *   page-table update windows, anon_vma bookkeeping of the child in dup_mmap).
 *   The default hooks do nothing; src/check installs its own.
 * - `nondet`: a choice the checker may make where the kernel's outcome depends
 *   on timing the model does not represent (spurious lock_vma_under_rcu aborts).
 *   The default answer is the model's ordinary behaviour.
 */
import type { AnonVma, Folio, FolioWriteback, MmStruct, VmAreaStruct } from './mm_types.js';
import type { MapleTree } from './maple_tree.js';
import type { MemPolicy } from './mempolicy.js';
import type { PteTable } from './pgtable.js';
import type { AddressSpace } from './khugepaged.js';
import type { RwSemaphore } from './rwsem.js';

/** Fault-injection switches, read by the kernel paths named in each comment. */
export interface FaultInjection {
  /** mm/mprotect.c do_mprotect_pkey: change the VMA without vma_start_write(). */
  mprotect_skip_vma_start_write: boolean;
  /** mm/mmap.c dup_mmap: copy without vma_start_write(), whatever the fork strategy says. */
  dup_mmap_skip_vma_start_write: boolean;
  /** arch do_user_addr_fault: vma_end_read() a second time after a VMA-locked fault. */
  do_user_addr_fault_double_vma_end_read: boolean;
  /** mm/mmap_lock.c lock_vma_under_rcu: no address-range re-check after vma_start_read (the vm_mm check is in vma_start_read). */
  lock_vma_skip_recheck: boolean;
  /** mm/vma.c vma_merge_existing_range: vma_start_write() of the middle VMA only, not of the neighbour it extends or removes. */
  merge_skip_neighbour_write_lock: boolean;
  /** mm/vma.c vma_merge_existing_range before d8ab9f7b644a: dup_anon_vma sets dst->anon_vma before dst is write-locked. */
  dup_anon_vma_before_write_lock: boolean;
  /** mm/mmap.c mmap_region before 33313a747e81: the new VMA is stored in the tree (visible) and modified without vma_start_write. */
  mmap_skip_new_vma_write_lock: boolean;
  /** mm/mmap.c expand_downwards before c137381f71ae: vm_start changes without vma_start_write. */
  stack_expand_skip_write_lock: boolean;
  /** mm/madvise.c: take mmap_read_lock (for the rest of the range) before vma_end_read of the VMA-locked part. */
  madvise_mmap_lock_under_vma_lock: boolean;
  /** arch do_user_addr_fault: read vma->vm_flags after a VMA-locked handle_mm_fault returned VM_FAULT_RETRY (the callee dropped the lock). */
  fault_vma_access_after_retry: boolean;
  /** include/linux/mmap_lock.h vma_start_read: no `vma->vm_mm != mm` check (and none in lock_vma_under_rcu): a VMA another mm reused is locked and used. */
  vma_start_read_skip_mm_check: boolean;
  /**
   * Before "mm: fix a UAF when vma->mm is freed after vma->vm_refcnt got
   * dropped": vma_start_read locks a VMA of another mm, and
   * lock_vma_under_rcu's re-check drops it with vma_end_read, whose
   * rcuwait_wake_up goes through vma->vm_mm without an mmgrab.
   */
  lock_vma_mm_check_without_mmgrab: boolean;
  /**
   * mm/vma.c vma_expand before 61f67c230a5e ("mm/vma: fix anon_vma UAF on
   * mremap() faulted, unfaulted merge"): no dup_anon_vma from the VMA
   * mremap copies from (vmg->copied_from), so a faulted VMA moved next to an
   * unfaulted one merges into it without giving it its anon_vma.
   */
  vma_expand_skip_copied_from_dup_anon_vma: boolean;
  /**
   * mm/vma.c do_vmi_align_munmap: free_pgtables runs before
   * vms_gather_munmap_vmas write-locks and detaches the VMAs (instead of in
   * vms_complete_munmap_vmas -> unmap_region after them), so a fault holding
   * a VMA read lock walks page tables that are gone.
   */
  free_pgtables_before_detach: boolean;
  /**
   * mm/khugepaged.c retract_page_tables: pte_free instead of pte_free_defer,
   * while it holds neither mmap_lock nor a VMA lock (v6.6+): a walker inside
   * __pte_offset_map_lock's rcu_read_lock section maps a freed table.
   */
  retract_pte_free_no_rcu: boolean;
  /**
   * mm/mmap_lock.c vma_mark_detached: no wait for a transient vm_refcnt
   * reference (another mm's vma_start_read between its increment and
   * vma_refcount_put), so the VMA is freed while that reference is held
   * and the reader's vma_refcount_put writes freed memory.
   */
  vma_mark_detached_skip_refcnt_wait: boolean;
  /** mm/vma.c vma_expand: neither vma_start_write(target) nor vma_start_write(next) of the VMA it swallows. */
  vma_expand_skip_write_lock: boolean;
  /**
   * mm/mempolicy.c do_mbind / vma_replace_policy before 6c21e066f925: no
   * vma_start_write, so a fault holding the VMA read lock reads a policy
   * mbind replaces and frees.
   */
  mbind_skip_vma_write_lock: boolean;
  /**
   * mm/rmap.c anon_vma_fork: no anon_vma_clone(vma, pvma) first, so the
   * child's VMA is linked only to its own new anon_vma, not to the parent's
   * anon_vmas that its COW-shared folios point to (folio->mapping).
   */
  anon_vma_fork_skip_clone: boolean;
  /**
   * mm/rmap.c folio_lock_anon_vma_read: no folio_mapped() re-check after
   * down_read_trylock(&root_anon_vma->rwsem), so an anon_vma freed since
   * folio->mapping was read (under RCU: the slab is SLAB_TYPESAFE_BY_RCU)
   * is returned locked and walked.
   */
  folio_lock_anon_vma_read_skip_recheck: boolean;
  /**
   * mm/khugepaged.c collapse_huge_page before 366a4532d96f: check_pmd_still_valid
   * before vma_start_write, so MADV_DONTNEED under the VMA read lock frees
   * the PTE table (PT_RECLAIM) after the check, and the failure path
   * pmd_populate's pmd_pgtable() of the none pmd.
   */
  collapse_check_pmd_before_vma_write_lock: boolean;
  /**
   * mm/mmap.c mmap_region before 1c7873e33645 ("mm: lock newly mapped VMA
   * with corrected ordering", v6.5-rc1, stable 6.4.3): i_mmap_lock_write of
   * the file's mapping is taken before vma_start_write of the new VMA and
   * held across it, and that vma_start_write is v6.4's down_write of
   * vma->vm_lock->lock, which lockdep sees on any VMA, attached or not.
   */
  mmap_i_mmap_lock_before_vma_write_lock: boolean;
  /**
   * mm/userfaultfd.c uffd_move_lock as in linux-next before the v6.9 merge
   * of 867a43a34ff8: the source VMA is locked with uffd_lock_vma (whose
   * fallback takes mmap_read_lock) while the destination's VMA read lock is
   * held, the order vma_lock -> mmap_lock (syzbot: "possible deadlock in
   * lock_vma").
   */
  uffd_move_lock_src_fallback: boolean;
  /**
   * mm/mremap.c move_ptes / move_pgt_entry: no take_rmap_locks (the
   * i_mmap_rwsem and the anon_vma lock for write) around the move even when
   * copy_vma set need_rmap_locks (the destination VMA comes before the
   * source in rmap traversal order) or the move is of a whole PMD: an rmap
   * walk may visit the destination before the move and the source after it.
   */
  mremap_skip_rmap_locks: boolean;
  /**
   * mm/vma.c unlink_file_vma_batch_process / unlink_file_vma: the VMA is
   * taken out of the file's i_mmap tree (__remove_shared_vm_struct) without
   * i_mmap_lock_write, so free_pgtables frees its page tables while a file
   * rmap walk holding i_mmap_rwsem for read may be about to walk them.
   */
  unlink_file_vma_skip_i_mmap_lock: boolean;
  /**
   * fs/userfaultfd.c handle_userfault keeps the fault's lock (the VMA read
   * lock, or mmap_read_lock) across its wait for user space and drops it
   * only after the wake-up (a mutation: the kernel releases it before
   * schedule(), with release_fault_lock since 29a22b9e08d7, v6.6, and
   * mmap_read_unlock before).
   */
  handle_userfault_keep_lock: boolean;
}

export const fault_inject: FaultInjection = {
  mprotect_skip_vma_start_write: false,
  dup_mmap_skip_vma_start_write: false,
  do_user_addr_fault_double_vma_end_read: false,
  lock_vma_skip_recheck: false,
  merge_skip_neighbour_write_lock: false,
  madvise_mmap_lock_under_vma_lock: false,
  fault_vma_access_after_retry: false,
  dup_anon_vma_before_write_lock: false,
  mmap_skip_new_vma_write_lock: false,
  stack_expand_skip_write_lock: false,
  vma_start_read_skip_mm_check: false,
  lock_vma_mm_check_without_mmgrab: false,
  vma_expand_skip_copied_from_dup_anon_vma: false,
  free_pgtables_before_detach: false,
  retract_pte_free_no_rcu: false,
  vma_mark_detached_skip_refcnt_wait: false,
  vma_expand_skip_write_lock: false,
  mbind_skip_vma_write_lock: false,
  anon_vma_fork_skip_clone: false,
  folio_lock_anon_vma_read_skip_recheck: false,
  collapse_check_pmd_before_vma_write_lock: false,
  mmap_i_mmap_lock_before_vma_write_lock: false,
  uffd_move_lock_src_fallback: false,
  mremap_skip_rmap_locks: false,
  unlink_file_vma_skip_i_mmap_lock: false,
  handle_userfault_keep_lock: false,
};

/** Set every switch back to off. */
export function reset_fault_inject(): void {
  fault_inject.mprotect_skip_vma_start_write = false;
  fault_inject.dup_mmap_skip_vma_start_write = false;
  fault_inject.do_user_addr_fault_double_vma_end_read = false;
  fault_inject.lock_vma_skip_recheck = false;
  fault_inject.merge_skip_neighbour_write_lock = false;
  fault_inject.madvise_mmap_lock_under_vma_lock = false;
  fault_inject.fault_vma_access_after_retry = false;
  fault_inject.dup_anon_vma_before_write_lock = false;
  fault_inject.mmap_skip_new_vma_write_lock = false;
  fault_inject.stack_expand_skip_write_lock = false;
  fault_inject.vma_start_read_skip_mm_check = false;
  fault_inject.lock_vma_mm_check_without_mmgrab = false;
  fault_inject.vma_expand_skip_copied_from_dup_anon_vma = false;
  fault_inject.free_pgtables_before_detach = false;
  fault_inject.retract_pte_free_no_rcu = false;
  fault_inject.vma_mark_detached_skip_refcnt_wait = false;
  fault_inject.vma_expand_skip_write_lock = false;
  fault_inject.mbind_skip_vma_write_lock = false;
  fault_inject.anon_vma_fork_skip_clone = false;
  fault_inject.folio_lock_anon_vma_read_skip_recheck = false;
  fault_inject.collapse_check_pmd_before_vma_write_lock = false;
  fault_inject.mmap_i_mmap_lock_before_vma_write_lock = false;
  fault_inject.uffd_move_lock_src_fallback = false;
  fault_inject.mremap_skip_rmap_locks = false;
  fault_inject.unlink_file_vma_skip_i_mmap_lock = false;
  fault_inject.handle_userfault_keep_lock = false;
}

/**
 * Lock classes of the checker's lockdep (hook `lock_acquire`): mm->mmap_lock,
 * the per-VMA lock, anon_vma->root->rwsem (anon_vma_lock_write, taken
 * and released within one model step: rmap.ts), and a file's
 * mapping->i_mmap_rwsem (i_mmap_lock_read in retract_page_tables:
 * khugepaged.ts; i_mmap_lock_write in vma_prepare and vma_link_file, and
 * i_mmap_lock_read in try_to_unmap's rmap_walk_file: i_mmap.ts), and
 * lockdep's fs_reclaim map (mm/page_alloc.c __fs_reclaim_map: acquired and
 * released by might_alloc in every allocation that may enter direct reclaim,
 * held by kswapd across its reclaim; fs_reclaim.ts).
 */
export type LockdepClass = 'mmap_lock' | 'vma_lock' | 'anon_vma' | 'i_mmap_rwsem' | 'fs_reclaim';

/** What a VMA operation changes in a VMA (hook `vma_change`). */
export type VmaChange = 'range' | 'flags' | 'anon_vma';

/** What a PTE set by a fault maps; 'none': cleared (UFFDIO_MOVE's ptep_clear_flush of the source). */
export type PteKind = 'anon' | 'file' | 'zero' | 'none';
/** Page-table walks that change or read a whole range of a VMA's PTEs. */
export type PtUpdate = 'copy_page_range' | 'change_protection' | 'zap_page_range_single';

/** Observation points. Every method is called by a kernel path at the named kernel step. */
export interface ModelHooks {
  /** A model object (mm, rwsem, VMA, folio, a folio's writeback wait queue, anon_vma) was constructed. */
  object_created(o: MmStruct | MapleTree | RwSemaphore | VmAreaStruct | Folio | FolioWriteback | AnonVma | PteTable | MemPolicy | AddressSpace): void;
  /**
   * vm_area_alloc / vm_area_dup handed out `vma` for a new life; `reused`:
   * the object was freed before (SLAB_TYPESAFE_BY_RCU); `src`: vm_area_dup's
   * source (split pieces), or null.
   */
  vm_area_alloc(vma: VmAreaStruct, reused: boolean, src: VmAreaStruct | null): void;
  /** vm_area_free: the object goes back to vm_area_cachep. */
  vm_area_free(vma: VmAreaStruct): void;
  /**
   * A path touches `mm` (its refcounts, its vma_writer_wait) at kernel step
   * `what`: the mm_struct must not have been freed (__mmdrop).
   */
  mm_use(mm: MmStruct, what: string): void;
  /** __mmdrop: the last mm_count reference is gone, the mm_struct is freed. */
  mm_free(mm: MmStruct): void;
  /**
   * A path works on `vma` for user address `addr` of `mm` after looking it
   * up and locking it (handle_mm_fault, zap_page_range_single): the object
   * must still be that VMA (attached, of `mm`, covering `addr`).
   */
  vma_use(vma: VmAreaStruct, mm: MmStruct, addr: number, what: string): void;
  /**
   * A path walks page table `pt` of `mm` for user address `addr` at kernel
   * step `what` (pte_offset_map_lock at a fault's PTE install, through the
   * vmf->pmd it got in __handle_mm_fault): the table must not have been
   * freed (free_pgtables).
   */
  pgtable_use(pt: PteTable, mm: MmStruct, addr: number, what: string): void;
  /**
   * A VMA operation is about to change `vma`'s range / pgoff, flags or
   * anon_vma: the kernel asserts it is write-locked (vma_assert_write_locked
   * in vma_prepare, dup_anon_vma, vm_flags_reset; memory-and-vma.md F-I3).
   */
  vma_change(vma: VmAreaStruct, what: VmaChange): void;
  /**
   * A blocking acquisition of a lock of class `cls` begins (lockdep's
   * rwsem_acquire annotation, before the task may sleep): mmap_read_lock /
   * mmap_write_lock and their killable forms, and vma_start_write's wait for
   * the readers of an attached VMA, or vma_mark_detached's for a transient
   * reference (__vma_enter_locked). Trylocks are not
   * reported (lockdep adds no dependency for them), but locks taken by
   * trylock are held.
   */
  lock_acquire(cls: LockdepClass, mm: MmStruct): void;
  /** The current task took (+1, vma_start_read) or dropped (-1, vma_end_read) a VMA read lock. */
  vma_read_lock(vma: VmAreaStruct, delta: 1 | -1): void;
  /** The current task took (+1) or dropped (-1) a mapping's i_mmap_rwsem (khugepaged.ts). */
  i_mmap_lock?(delta: 1 | -1): void;
  /** The current task entered (+1) or left (-1) reclaim holding lockdep's fs_reclaim map (kswapd; fs_reclaim.ts). */
  fs_reclaim?(delta: 1 | -1): void;
  /** set_pte_at / finish_fault: a fault installs a PTE of `vma` at `pgoff`. */
  set_pte_at(vma: VmAreaStruct, pgoff: number, kind: PteKind): void;
  /**
   * A range walk over `vma`'s page tables begins. `write_locked` says the
   * caller relies on holding the VMA write lock here (vma_assert_write_locked):
   * true for mprotect_fixup, and for dup_mmap when the fork strategy locks the VMA.
   */
  pt_update_begin(vma: VmAreaStruct, what: PtUpdate, write_locked: boolean): void;
  pt_update_end(vma: VmAreaStruct, what: PtUpdate): void;
  /** dup_mmap -> anon_vma_fork(tmp, mpnt): the child VMA gets an anon_vma iff the parent has one. */
  anon_vma_fork(src: VmAreaStruct): void;
  /** __anon_vma_prepare installs `vma->anon_vma` (needs mmap_lock, I6). */
  anon_vma_prepare(vma: VmAreaStruct): void;
  /** A path touches anon_vma `av` (its lock, its refcount) at kernel step `what`: it must not have been freed. */
  anon_vma_use(av: AnonVma, what: string): void;
  /** anon_vma_free: the last reference to `av` is gone (rmap.ts). */
  anon_vma_free(av: AnonVma): void;
  /** A path reads or puts `pol` (mempolicy.ts: vma_alloc_folio, mpol_dup, mpol_put); `what` names the step. */
  mempolicy_use?(pol: MemPolicy, what: string): void;
  /**
   * An rmap walk (rmap_walk.ts) holds `av` locked for read after
   * folio_lock_anon_vma_read and walks its interval tree for the folio at
   * page offset `pgoff`: `found` are the VMAs the walk visits (it touches
   * each one, its mm and its page table).
   */
  rmap_walk?(av: AnonVma, pgoff: number, found: readonly VmAreaStruct[]): void;
  /**
   * An rmap walk of the folio at page offset `pgoff` of `av` (rmap_walk.ts)
   * ended without observing its PTE in any VMA it visited (`found`), though
   * the folio was mapped when the walk took the lock and still is: the PTE
   * moved (mremap's move_ptes) from a VMA the walk visited after the move to
   * one it had visited before it. `how` says where it went.
   */
  rmap_walk_miss?(av: AnonVma, pgoff: number, found: readonly VmAreaStruct[], how: string): void;
  /**
   * dup_mmap has decided, for parent VMA `src`, whether the child gets its
   * page tables (`copy`: copy_page_range runs). Called in the step that
   * decides, so an invariant evaluated here reads what the decision read.
   */
  dup_mmap_copy(src: VmAreaStruct, copy: boolean): void;
  /**
   * A frame checkpoint (for the checker's state caching): the running path is
   * at `site` (see FrameSite for which frames are open there), and its
   * future depends only on the op's arguments, the shared state and the
   * locals listed in `live` (every other local is dead here). The checker
   * may then forget the values the op's code read so far (docs/checker.md,
   * "State caching", frame checkpoints). A site must list every live local;
   * a wrong list makes state caching unsound.
   */
  frame?(site: FrameSite, live: readonly FrameValue[]): void;
  /**
   * An opaque call (for the checker's state caching; call sites use
   * `opaque_call`): `f` touches only the fields of the objects it is given
   * (and wakes tasks), and its result is all that reaches the caller, so the
   * values it reads are not inputs of the calling task (docs/checker.md,
   * "State caching", opaque primitives).
   */
  opaque?<R extends number | boolean | undefined | void>(f: () => R): R;
}

/** Run `f` as an opaque call when the checker asks (hook `opaque`), else directly. */
export function opaque_call<R extends number | boolean | undefined | void>(f: () => R): R {
  return hooks.opaque !== undefined ? hooks.opaque(f) : f();
}

/**
 * Frame checkpoints (hook `frame`; docs/checker.md, "State caching", frame
 * checkpoints). In do_user_addr_fault: `retry_vma` and `lock_mmap` (the
 * loops' heads), `vma_handle_mm_fault` / `mmap_handle_mm_fault` (the VMA
 * found and locked, right before handle_mm_fault, in the per-VMA-lock loop /
 * the mmap_lock loop) and `vma_fault_ret` / `mmap_fault_ret` (handle_mm_fault
 * returned: every value read inside it is dead but its result).
 * `lock_mm_locked` in lock_mm_and_find_vma, which is called right after the
 * `lock_mmap` checkpoint with nothing read between, so its caller's live
 * locals are that checkpoint's. `filemap_ra`, `filemap_lock` and
 * `filemap_locked` in filemap_fault on a read fault (do_read_fault's tail
 * call from handle_mm_fault's tail call: the only other open frame is
 * do_user_addr_fault's, whose live locals are its `*_handle_mm_fault`
 * checkpoint's); so are `filemap_entry` (filemap_fault's entry, before its
 * first step) and `filemap_async_ra` and `filemap_sync_ra`, right before
 * do_async_mmap_readahead / do_sync_mmap_readahead drop the fault lock
 * (maybe_unlock_mmap_for_io). `dup_mmap_vma` (the head of dup_mmap's loop over the
 * parent's VMAs), `dup_mmap_dup` and `dup_mmap_copy` (right before its
 * vm_area_dup and copy_page_range steps) and `dup_mmap_end` (after the loop),
 * in dup_mmap called directly by a fork op. `mprotect_locked` in do_mprotect_pkey called directly by an
 * mprotect op, mmap_lock taken for write; `mprotect_vma_locked` there without a protection (the whole-VMA
 * form), the VMA write-locked.
 *
 * Issue 15's eleventh part: `fault_retry_cont` is no checkpoint but a
 * declaration, made by do_user_addr_fault right after its
 * `*_handle_mm_fault` checkpoint when a VM_FAULT_RETRY from a filemap_fault
 * that dropped its fault lock goes on to `lock_mmap` (live: address, the
 * attempts count after this attempt, `retried` as the `lock_mmap` checkpoint
 * lists it, and the flags `lock_mmap` will see when the handler's result has
 * VM_FAULT_MAJOR and when it has not). `filemap_dropped` in filemap_fault on
 * a read fault once the fault lock is dropped (`fpin`): its base is the
 * op-start history and that continuation, not the `*_handle_mm_fault`
 * checkpoint, so the attempt under the VMA lock and the one under mmap_lock
 * meet there. `fault_retry_ret` replaces `vma_fault_ret` / `mmap_fault_ret`
 * for such a VM_FAULT_RETRY (either loop, the same live locals).
 */
export type FrameSite =
  | 'retry_vma' | 'lock_mmap' | 'lock_mm_locked'
  | 'vma_handle_mm_fault' | 'vma_fault_ret' | 'mmap_handle_mm_fault' | 'mmap_fault_ret'
  | 'filemap_ra' | 'filemap_lock' | 'filemap_locked' | 'filemap_async_ra' | 'filemap_sync_ra' | 'filemap_entry'
  | 'fault_retry_cont' | 'filemap_dropped' | 'fault_retry_ret'
  | 'dup_mmap_vma' | 'dup_mmap_end' | 'dup_mmap_dup' | 'dup_mmap_copy'
  | 'mprotect_locked' | 'mprotect_vma_locked';

/** A live local at a frame checkpoint: a number, a flag, or a model object (by the checker's name for it), or null. */
export type FrameValue = number | boolean | object | null;

const nop = (): void => {};
const NO_HOOKS: ModelHooks = {
  object_created: nop,
  set_pte_at: nop,
  pt_update_begin: nop,
  pt_update_end: nop,
  anon_vma_fork: nop,
  anon_vma_prepare: nop,
  anon_vma_use: nop,
  anon_vma_free: nop,
  dup_mmap_copy: nop,
  vm_area_alloc: nop,
  vm_area_free: nop,
  mm_use: nop,
  mm_free: nop,
  vma_use: nop,
  pgtable_use: nop,
  vma_change: nop,
  lock_acquire: nop,
  vma_read_lock: nop,
  i_mmap_lock: nop,
  frame: nop,
};

export let hooks: ModelHooks = NO_HOOKS;
/**
 * Hooks are installed (the checker). The per-fault hooks of the fault and
 * lock paths test it first: a call to a no-op through `hooks` cost the
 * simulator about 5 % of bench:reference (measured with farm-bench).
 */
export let hooks_on = false;

/** Engine hook: install observation hooks (null: back to no-ops). */
export function install_model_hooks(h: ModelHooks | null): void {
  hooks = h ?? NO_HOOKS;
  hooks_on = h !== null;
}

/** Places where the model asks for a timing-dependent outcome. */
export type NondetSite = 'vma_start_read_spurious_fail' | 'vm_area_reuse';

let chooser: ((site: NondetSite) => boolean) | null = null;

/**
 * Does a timing-dependent event happen here? Without an engine chooser: no
 * (the model's ordinary, deterministic behaviour).
 */
export function nondet(site: NondetSite): boolean {
  return chooser !== null && chooser(site);
}

/** Engine hook: decide `nondet` sites (null: never). */
export function install_nondet(fn: ((site: NondetSite) => boolean) | null): void {
  chooser = fn;
}
