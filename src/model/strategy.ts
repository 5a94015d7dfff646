/**
 * The decision points a strategy may change. `mainline` (src/strategies/mainline.ts)
 * gives the kernel's answers; every other strategy is a small file that
 * overrides some of them, citing the patch or mail it models.
 */
import type { Folio, VmAreaStruct } from './mm_types.js';

/** Why a fault asks for I/O: file read (filemap_fault) or swap-in (do_swap_page). */
export type IoSite = 'file' | 'swap';

export interface FaultStrategy {
  readonly name: string;
  /**
   * CONFIG_PER_VMA_LOCK: the arch handler tries lock_vma_under_rcu() first.
   * False only for `pre-vma` (kernels before v6.4).
   */
  readonly per_vma_lock: boolean;
  /**
   * How the arch handler takes mmap_lock for read (first attempt and after a
   * RETRY). True: lock_mm_and_find_vma (mm/mmap_lock.c, x86 since v6.5,
   * "x86/mm: convert to using lock_mm_and_find_vma()"): mmap_read_trylock,
   * else mmap_read_lock_killable, so a fatal signal ends the wait. False: x86
   * do_user_addr_fault before v6.5: mmap_read_trylock, else the
   * uninterruptible mmap_read_lock (and `goto retry` takes mmap_read_lock
   * directly). False only for `pre-vma`.
   */
  readonly lock_mm_and_find_vma: boolean;
  /**
   * May the fault release its lock to wait for I/O at this site
   * (maybe_unlock_mmap_for_io, folio_lock_or_retry)? `vma_lock`: the fault
   * holds the per-VMA lock (FAULT_FLAG_VMA_LOCK), else mmap_lock. Consulted
   * only when the kernel's own condition (first attempt, ALLOW_RETRY,
   * !RETRY_NOWAIT) holds. False = hold the lock across the I/O (Willy's
   * proposal, for the VMA lock).
   */
  drop_lock_for_io(site: IoSite, vma_lock: boolean): boolean;
  /**
   * Patches 4-5/5: when the folio is found locked, wait for it holding the
   * fault lock instead of dropping it, if this returns true for the folio.
   */
  hold_for_locked_folio(folio: Folio): boolean;
  /** Patches 1-2/5: a RETRY after an I/O drop+wait carries VM_FAULT_RETRY_VMA. */
  readonly retry_vma_after_io: boolean;
  /** Suren's FALLBACK idea: paths that need mmap_lock return VM_FAULT_RETRY_HARD. */
  readonly retry_hard: boolean;
  /**
   * Arch fault handler, after a RETRY under the VMA lock: go back to
   * lock_vma_under_rcu (true) or fall back to mmap_lock (false).
   */
  retry_under_vma_lock(ret: number): boolean;
}

export interface ForkStrategy {
  readonly name: string;
  /** dup_mmap(): does fork vma_start_write() this parent VMA before copying it? */
  lock_vma(vma: VmAreaStruct): boolean;
  /**
   * dup_mmap(): does fork call copy_page_range() for this parent VMA? The
   * kernel (and every fork strategy but the literal Yang Shi rule) asks
   * vma_needs_copy() (mm/memory.c).
   */
  needs_copy(vma: VmAreaStruct): boolean;
}
