/**
 * hold-io: Matthew Wilcox's proposal in the v2 thread, "Re: [PATCH v2 0/5] mm:
 * reduce mmap_lock contention and improve page fault performance":
 * - Matthew Wilcox, 2026-04-30 12:37 UTC: "my idea of ripping out all the
 *   complexity now that we have per-VMA locks";
 * - Matthew Wilcox, 2026-05-01 17:57 UTC: "If you don't answer this question,
 *   I'm just going to go in and rip it all out."
 * A fault under the per-VMA lock keeps it across I/O (filemap_fault's read,
 * do_swap_page's swap-in): it never drops the lock to wait and never retries
 * for I/O. Differs from the mail: only in what the thread leaves open, see below.
 *
 * What the thread leaves open, and how the model fills it: Willy argues from
 * "now that we have per-VMA locks" and never says what a fault that has
 * already fallen back to mmap_lock (anon_vma preparation, vmf_can_call_fault,
 * a VMA lock that could not be taken) does at its I/O. hold-io keeps
 * mainline's behaviour there: drop mmap_lock, wait, retry
 * (maybe_unlock_mmap_for_io, folio_lock_or_retry), since the per-VMA lock is
 * what his "rip it out" relies on and mmap_lock across I/O is what
 * 6b4c9f446981 (Josef Bacik, v5.1) removed.
 *
 * hold-io-file: Matthew Wilcox, 2026-05-01 19:39 UTC, same subject: "And maybe
 * we decide to do the fallback for anon-mm but not file memory."; also the
 * best reading of Josef Bacik's suggestion as relayed by Lorenzo Stoakes
 * (2026-05-19 12:43 UTC and 2026-05-20 10:07 UTC, same subject: "simply not
 * waiting for file-backed"). Hold the VMA lock across file I/O; swap-in keeps
 * mainline's drop-and-retry. Differs from the mail: as hold-io, a fault under
 * mmap_lock keeps mainline's behaviour (the mail does not say).
 *
 * Option `+mmap` (`hold-io+mmap`, `hold-io-file+mmap`): the strategies as
 * faultline had them before issue 18, taken as literally as possible: the
 * lock is kept across the I/O whichever it is, so a fault under mmap_lock
 * also holds mmap_lock across its I/O. An upper bound on what the proposal
 * costs; kept so that earlier results can be reproduced.
 */
import type { FaultStrategy, IoSite } from '../model/index.js';
import { mainline } from './mainline.js';

export interface HoldIoOptions {
  /** Also hold mmap_lock across I/O (the pre-issue-18 reading). */
  mmap: boolean;
}

/** hold-io: drop a lock for I/O only if it is mmap_lock (unless `+mmap`). */
export function holdIo(opts: HoldIoOptions, name = 'hold-io'): FaultStrategy {
  return {
    ...mainline,
    name,
    drop_lock_for_io: opts.mmap ? () => false : (_site: IoSite, vma_lock: boolean) => !vma_lock,
  };
}

/** hold-io-file: as hold-io for file I/O; swap-in always drops and retries. */
export function holdIoFile(opts: HoldIoOptions, name = 'hold-io-file'): FaultStrategy {
  return {
    ...mainline,
    name,
    drop_lock_for_io: opts.mmap
      ? (site: IoSite) => site === 'swap'
      : (site: IoSite, vma_lock: boolean) => site === 'swap' || !vma_lock,
  };
}
