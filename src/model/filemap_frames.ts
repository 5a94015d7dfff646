/**
 * filemap_fault's frame checkpoints (model-only hooks for the checker's state
 * caching; docs/checker.md, "State caching"), moved out of filemap.ts.
 */
import type { VmFault } from './fault_types.js';
import { FAULT_FLAG_VMA_LOCK, FAULT_FLAG_WRITE, type Folio, VM_FAULT_MAJOR } from './mm_types.js';
import { hooks, hooks_on } from './custom.js';

/**
 * A frame checkpoint in filemap_fault (model-only hook; docs/checker.md,
 * "State caching"), on a read fault only: then filemap_fault is do_read_fault's
 * tail call (`return filemap_fault(vmf)`) from handle_mm_fault's tail call
 * (`return do_fault(vmf)`), so besides this frame only do_user_addr_fault's is
 * open, and its live locals are those of its `*_handle_mm_fault` checkpoint.
 * Live in this frame: vmf (vma, address, pgoff, flags, keep_locked; folio is
 * set only with keep_locked), ret, fpin, keep and folio (`vma` is vmf.vma).
 * vmf.pt (the PTE table handle_mm_fault walked to, read by finish_fault's
 * pte_offset_map_lock) is live too: a zap's page-table reclaim
 * (try_get_and_clear_pmd, under mmap_lock for read) may clear the pmd while
 * the fault holds its lock, so the table is not implied by the mm's.
 */
export function filemap_frame(site: 'filemap_ra' | 'filemap_lock' | 'filemap_locked', vmf: VmFault, ret: number, fpin: boolean, keep: boolean, folio: Folio | null): void {
  if (hooks_on && (vmf.flags & FAULT_FLAG_WRITE) === 0) {
    if (fpin) {
      // The fault lock is dropped (issue 15's eleventh part): every return from here is out_retry's `ret |
      // VM_FAULT_RETRY` (ret no longer changes; VM_FAULT_RETRY_VMA under retry_vma_after_io), and
      // FAULT_FLAG_VMA_LOCK is read again only for that RETRY_VMA, so the checkpoint lists vmf.flags without
      // it and the site by number; do_user_addr_fault's continuation is what its `fault_retry_cont` declared,
      // chosen by ret's VM_FAULT_MAJOR (the checker's base; without a declaration, the *_handle_mm_fault one).
      hooks.frame?.('filemap_dropped', [DROPPED_SITE[site], (ret & VM_FAULT_MAJOR) !== 0, vmf.vma, vmf.address, vmf.pgoff,
        vmf.flags & ~FAULT_FLAG_VMA_LOCK, vmf.keep_locked === true, vmf.pt, ret, keep, folio]);
    } else {
      hooks.frame?.(site, [vmf.vma, vmf.address, vmf.pgoff, vmf.flags, vmf.keep_locked === true, vmf.pt, ret, fpin, keep, folio]);
    }
  }
}
/** The code position of a `filemap_dropped` checkpoint, by the site it stands for. */
const DROPPED_SITE = { filemap_ra: 1, filemap_lock: 2, filemap_locked: 3 } as const;

/**
 * The frame checkpoint at filemap_fault's entry (`filemap_entry`), and those right before its readahead drops the
 * fault lock (maybe_unlock_mmap_for_io; the kernel calls it inside
 * do_async_mmap_readahead on a PG_readahead hit and inside
 * do_sync_mmap_readahead before the read-around or VM_EXEC window, mm/filemap.c
 * v7.0). Everything do_*_mmap_readahead read (f_ra's fields, the folio's
 * readahead flag, mmap_miss) is dead here but its result: on a hit the folio
 * (page_cache_async_ra reads f_ra afresh), on a miss `nr` (the window's start
 * and marker are read afresh from f_ra after the drop). Live, as for
 * filemap_frame: vmf's vma, address, pgoff, flags, keep_locked and pt, ret,
 * fpin, keep, the folio (hit; null on a miss, where retry_find sets it, and
 * at the entry) and nr (miss; -1 on a hit and at the entry). Read faults only,
 * for the reason filemap_frame gives.
 */
export function filemap_ra_frame(site: 'filemap_async_ra' | 'filemap_sync_ra' | 'filemap_entry', vmf: VmFault, ret: number, fpin: boolean, keep: boolean,
  folio: Folio | null, nr: number): void {
  if (hooks_on && (vmf.flags & FAULT_FLAG_WRITE) === 0) {
    hooks.frame?.(site, [vmf.vma, vmf.address, vmf.pgoff, vmf.flags, vmf.keep_locked === true, vmf.pt, ret, fpin, keep, folio, nr]);
  }
}
