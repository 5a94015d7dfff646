/**
 * The file systems' `vm_ops->page_mkwrite` (v7.0; ../shared/kernel/memory-and-vma.md
 * §B.4-B.6): called by do_page_mkwrite (mm/memory.c) with the folio
 * unlocked, ALLOW_RETRY cleared, and the fault's VMA or mmap lock held, so
 * every sleep in here happens holding that lock and cannot be turned into a
 * retry. Each returns VM_FAULT_LOCKED with the folio locked, or
 * VM_FAULT_NOPAGE (f2fs on a !uptodate folio) with it unlocked.
 *
 * Not modelled (docs/fidelity.md, "Shared file write faults"): the CPU of
 * file_update_time, block reservation or allocation (ext4 delalloc,
 * f2fs_get_block_locked), sb_start_pagefault (frozen file systems),
 * filemap_invalidate_lock_shared (only truncate and hole punching take it
 * for write), f2fs_balance_fs's foreground GC, ext4's journal start
 * (nodelalloc / data=journal) and truncation (folio->mapping checks).
 */
import type { KPath } from './effects.js';
import type { VmFault } from './fault_types.js';
import { VM_FAULT_LOCKED, VM_FAULT_NOPAGE, type Folio } from './mm_types.js';
import { __folio_lock, folio_trylock, folio_unlock, folio_wait_writeback } from './pagemap.js';
import { folio_mark_dirty } from './page_writeback.js';
import { count_vm_event, VmEvent } from './vmstat.js';

/** folio_lock from a fault that holds its VMA or mmap lock: a sleep is counted (FAULT_HOLD_WAIT). */
export function* folio_lock_holding(folio: Folio): KPath {
  if (folio_trylock(folio)) return;
  count_vm_event(VmEvent.FAULT_HOLD_WAIT);
  yield* __folio_lock(folio);
}

/** folio_wait_writeback from a ->page_mkwrite: counted when it sleeps. */
function* mkwrite_wait_writeback(folio: Folio): KPath {
  if (!folio.writeback) return;
  count_vm_event(VmEvent.PAGE_MKWRITE_WB_WAIT);
  yield* folio_wait_writeback(folio);
}

/**
 * filemap_page_mkwrite (mm/filemap.c), also the shape of ext4's delalloc
 * block_page_mkwrite (fs/buffer.c): folio_lock (uninterruptible),
 * folio_mark_dirty, then folio_wait_stable, which waits for writeback only
 * when the mapping has AS_STABLE_WRITES (`stable`).
 */
export function* filemap_page_mkwrite(vmf: VmFault, folio: Folio, stable: boolean): KPath<number> {
  yield* folio_lock_holding(folio);
  folio_mark_dirty(vmf.vma, folio);
  if (stable) yield* mkwrite_wait_writeback(folio); // folio_wait_stable
  return VM_FAULT_LOCKED;
}

/**
 * f2fs_vm_page_mkwrite (fs/f2fs/file.c): folio_lock; a !uptodate folio is
 * -EFAULT (VM_FAULT_NOPAGE, the fault is re-taken); then
 * f2fs_folio_wait_writeback(folio, DATA, false, true), which waits for
 * writeback whatever the mapping's flags; folio_mark_dirty.
 */
export function* f2fs_vm_page_mkwrite(vmf: VmFault, folio: Folio): KPath<number> {
  yield* folio_lock_holding(folio);
  if (!folio.uptodate) {
    folio_unlock(folio);
    return VM_FAULT_NOPAGE;
  }
  yield* mkwrite_wait_writeback(folio); // f2fs_folio_wait_writeback
  folio_mark_dirty(vmf.vma, folio);
  return VM_FAULT_LOCKED;
}
