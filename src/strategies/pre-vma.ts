/**
 * pre-vma: kernels before per-VMA locks (<= v6.3). Every fault takes mmap_lock
 * for read; it drops it to wait for I/O and retries with FAULT_FLAG_TRIED
 * (d065bd810b6d "mm: retry page fault when blocking on disk transfer", 2010;
 * 6b4c9f446981 "filemap: drop the mmap_sem for all blocking operations", v5.1).
 * Not a proposal from the thread: the baseline Barry's and Willy's mails
 * compare against ("Before we introduced the per-VMA lock, we were not
 * performing I/O while holding `mmap_lock`", Barry Song, 2026-05-18 11:25 UTC,
 * "Re: [PATCH v2 0/5] mm: reduce mmap_lock contention and improve page fault
 * performance").
 *
 * x86 do_user_addr_fault of those kernels takes mmap_lock with
 * mmap_read_trylock, else the uninterruptible mmap_read_lock (a retry goes
 * straight to mmap_read_lock); the killable lock_mm_and_find_vma came in v6.5
 * ("x86/mm: convert to using lock_mm_and_find_vma()"). A dying task's fault
 * therefore waits for mmap_lock to the end.
 */
import type { FaultStrategy } from '../model/index.js';
import { mainline } from './mainline.js';

export const preVma: FaultStrategy = {
  ...mainline,
  name: 'pre-vma',
  per_vma_lock: false,
  lock_mm_and_find_vma: false,
};
