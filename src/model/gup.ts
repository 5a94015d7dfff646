/**
 * get_user_pages (mm/gup.c, v7.0; ../shared/kernel/memory-and-vma.md §E.2):
 * a kernel path that walks a user range holding mmap_lock for read and
 * faults in what is missing (faultin_page -> handle_mm_fault). GUP never
 * uses per-VMA locks.
 *
 * - `pinned` (get_user_pages / pin_user_pages with the caller holding
 *   mmap_read_lock, no FOLL_UNLOCKABLE): faults run without
 *   FAULT_FLAG_ALLOW_RETRY, so every read or swap-in is waited for holding
 *   mmap_lock.
 * - `unlocked` (get_user_pages_unlocked, MADV_POPULATE_*): GUP takes
 *   mmap_read_lock_killable itself and faults with ALLOW_RETRY | KILLABLE; a
 *   fault that released the lock (RETRY, or COMPLETED from a shared write)
 *   makes __get_user_pages_locked re-take it and go on page by page with
 *   FOLL_TRIED (FAULT_FLAG_TRIED), whose faults no longer drop it.
 *
 * The model's convention that every access faults holds here too:
 * follow_page_mask is a cost (Cost.gup_page) and each page is faulted in
 * (a page-cache hit is a minor fault mapped by fault-around).
 */
import { cpu_then, type KPath } from './effects.js';
import { Cost } from './cost.js';
import { handle_mm_fault, mm_account_fault } from './memory.js';
import {
  FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_KILLABLE, FAULT_FLAG_TRIED, FAULT_FLAG_WRITE, VM_FAULT_COMPLETED, VM_FAULT_RETRY,
  VM_FAULT_SIGSEGV, type MmStruct,
} from './mm_types.js';
import { mmap_read_lock, mmap_read_lock_killable, mmap_read_unlock, PT } from './mmap_lock.js';
import { fatal_signal_pending, current, sched_points } from './sched.js';

export type GupMode = 'pinned' | 'unlocked';

/**
 * Pin `nr` pages from `start`, taking and releasing mmap_lock around the
 * walk (the caller's lock for `pinned`, GUP's own for `unlocked`). `before`
 * runs before each page's lookup (the workload puts the page in its drawn
 * state there). Returns the pages pinned, or -EINTR / -EFAULT as a negative
 * number.
 */
export function* get_user_pages(
  mm: MmStruct, start: number, nr: number, write: boolean, mode: GupMode, before: (addr: number) => void,
): KPath<number> {
  if (mode === 'pinned') yield* mmap_read_lock(mm); // the caller's mmap_read_lock
  else if ((yield* mmap_read_lock_killable(mm)) < 0) return -4;
  let flags = (write ? FAULT_FLAG_WRITE : 0) | (mode === 'unlocked' ? FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE : 0);
  let locked = true;
  let done = 0;
  for (let addr = start; done < nr; addr++) {
    if (!locked) { // __get_user_pages_locked: re-take the lock, one page at a time with FOLL_TRIED
      if (fatal_signal_pending(current) || (yield* mmap_read_lock_killable(mm)) < 0) return done > 0 ? done : -4;
      locked = true;
      flags |= FAULT_FLAG_TRIED;
    }
    if (sched_points) yield PT.find_vma;
    const vma = mm.find_vma(addr); // gup_vma_lookup
    if (vma === null) {
      if (sched_points) yield PT.mmap_read_unlock;
      mmap_read_unlock(mm);
      return done > 0 ? done : -14;
    }
    before(addr);
    yield cpu_then(Cost.gup_page, Cost.handle_mm_fault); // follow_page_mask missed: faultin_page
    const r = handle_mm_fault(vma, addr, flags);
    const ret = typeof r === 'number' ? r : yield* r;
    mm_account_fault(ret);
    if ((ret & VM_FAULT_SIGSEGV) !== 0) break;
    if ((ret & VM_FAULT_RETRY) !== 0) { // the fault released mmap_lock (*locked = 0): same page again
      locked = false;
      addr--;
      continue;
    }
    if ((ret & VM_FAULT_COMPLETED) !== 0) locked = false; // mapped, and mmap_lock already released
    done++;
  }
  if (locked) {
    if (sched_points) yield PT.mmap_read_unlock;
    mmap_read_unlock(mm);
  }
  return done;
}
