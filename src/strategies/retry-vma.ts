/**
 * retry-vma: "[PATCH v2 0/5] mm: reduce mmap_lock contention and improve page
 * fault performance", Barry Song (Xiaomi), 2026-04-30,
 * lore 20260430040427.4672-1-baohua@kernel.org.
 *
 * Patches 1-2/5 (Oven Liyang, Barry Song): after dropping the VMA lock to wait
 * for I/O in filemap_fault / do_swap_page, return VM_FAULT_RETRY_VMA and retry
 * with lock_vma_under_rcu instead of mmap_lock.
 *
 * Options:
 * - `uptodate-skip` (patches 4-5/5): when the folio is uptodate, wait for its
 *   lock holding the fault lock instead of dropping it.
 * - `writeback-aware` (Matthew Wilcox, 2026-05-01 16:11 UTC, "Re: [PATCH v2
 *   4/5] mm: Don't retry page fault if folio is uptodate during swap-in",
 *   afTQl12XcXVnku9J): skip only if uptodate && !writeback ("with cheap NAND,
 *   maybe longer").
 *
 * Differs from the patches: patches 1-2/5 nowhere; for 4-5/5 the uptodate
 * test sits in folio_lock_or_retry / lock_folio_maybe_drop_mmap, where Willy
 * asked for it (2026-04-30 12:35 UTC), instead of clearing
 * FAULT_FLAG_ALLOW_RETRY in the caller: the same lock behaviour.
 */
import { VM_FAULT_RETRY_VMA, type FaultStrategy, type Folio } from '../model/index.js';
import { mainline } from './mainline.js';

export interface RetryVmaOptions {
  uptodateSkip: boolean;
  writebackAware: boolean;
}

// The hooks are module-level functions, one object each, shared by every strategy built from retryVma: a
// closure made per call would be a new function of the same code for each strategy, and the optimised fault
// paths that call it (do_user_addr_fault, lock_folio_maybe_drop_mmap) are deoptimised ("wrong feedback cell")
// and compiled again when the next such strategy runs (bench/README.md, "Compile time per isolate").
const holdUptodateNotWriteback = (f: Folio): boolean => f.uptodate && !f.writeback;
const holdUptodate = (f: Folio): boolean => f.uptodate;
const holdNever = mainline.hold_for_locked_folio; // mainline's own: not a new call target after mainline's runs
const retryUnderVmaLock = (ret: number): boolean => (ret & VM_FAULT_RETRY_VMA) !== 0;

export function retryVma(opts: RetryVmaOptions, name = 'retry-vma'): FaultStrategy {
  const hold = opts.uptodateSkip ? (opts.writebackAware ? holdUptodateNotWriteback : holdUptodate) : holdNever;
  return {
    ...mainline,
    name,
    hold_for_locked_folio: hold,
    retry_vma_after_io: true,
    retry_under_vma_lock: retryUnderVmaLock,
  };
}
