/**
 * Readahead submission (mm/readahead.c, v7.0; ../shared/kernel/memory-and-vma.md
 * §A.4–A.5): the window a fault's readahead reads, and the async window a
 * PG_readahead hit starts. filemap.ts decides when (do_sync_mmap_readahead,
 * do_async_mmap_readahead) and drops the fault lock first.
 */
import { LawName, submit, type KPath, type MutableSubmit, type SubmitEffect } from './effects.js';
import { filemap_charge_and_add } from './memcontrol.js';
import { Folio, type FileRaState, type VmAreaStruct } from './mm_types.js';
import { folio_alloc_locked_for_io, folio_end_read, submit_read_bio } from './pagemap.js';
import { current } from './sched.js';
import { count_vm_event, VmEvent } from './vmstat.js';

/**
 * page_cache_ra_order -> page_cache_ra_unbounded -> read_pages
 * (mm/readahead.c, v7.0) for the window [index, index + nr): the folio at
 * `index` is allocated, inserted locked and !uptodate, and the window is one
 * read request of `nr` pages whose completion (folio_end_read) makes it
 * uptodate and unlocks it. The submitter does not wait. Only the folio at
 * `index` is materialised (see docs/fidelity.md, "Readahead"); `marker`
 * gives it PG_readahead (it is the window's `start + size - async_size`).
 * The read's SUBMIT is a new record, or `into` rewritten (effects.ts mutableSubmit).
 */
export function page_cache_ra_order(vma: VmAreaStruct, index: number, nr: number, marker: boolean, into: MutableSubmit | null = null): SubmitEffect {
  const bio = folio_alloc_locked_for_io(vma.id, index, LawName.read, false, nr, into);
  bio.folio.readahead = marker;
  vma.cache.set(index, bio.folio); // filemap_add_folio
  vma.evicted.delete(index);
  vma.file_ptes.delete(index); // a page just added to the page cache is mapped nowhere (fault_around.ts)
  count_vm_event(VmEvent.IO_READ);
  return bio;
}

/**
 * page_cache_ra_order with a memory model (`memory:`): every page of the
 * window [start, start + nr) that is not resident gets a folio, allocated
 * and charged (__GFP_NORETRY: one reclaim pass, then the window is dropped
 * and the fault reads its own page in retry_find), inserted locked, and read
 * by one request whose completion unlocks them all; the marker folio
 * (`start + size - async_size`) gets PG_readahead. Reclaim during the
 * charge may let another task add some pages first: they are skipped.
 */
export function* page_cache_ra_window(vma: VmAreaStruct, start: number, nr: number, mark: number): KPath {
  let missing = 0;
  for (let i = start; i < start + nr; i++) if (vma.evicted.has(i)) missing++;
  if (missing === 0) return;
  const added = yield* filemap_charge_and_add(vma.mm, vma, start, nr, true);
  const window: Folio[] = [];
  const lru = vma.mm.memory!.lruvec;
  for (const i of added) {
    lru.get(vma, i)!.ra_unused = true; // model-only: until a fault maps it (RA_UNUSED_RECLAIMED)
    if (vma.cache.get(i) !== undefined) continue;
    const f = new Folio(vma.id, i);
    f.locked = true;
    f.owner = 'io';
    f.ioOwner = current;
    f.readahead = i === mark;
    vma.cache.set(i, f);
    window.push(f);
  }
  if (window.length === 0) return;
  count_vm_event(VmEvent.IO_READ);
  const end_io = (): void => { for (const f of window) folio_end_read(f); };
  const bio = submit(LawName.read, window[0]!, end_io, current, window.length);
  if (vma.mm.readSynchronous) yield* submit_read_bio(bio, true); // read_pages -> submit_bio, completed in this task (zram)
  else yield bio;
}

/**
 * get_next_ra_size (mm/readahead.c, v7.0): grow the window 4x while small,
 * 2x up to half of max, then max; a window already above max keeps its size
 * (the large-folio fix, Yafang Shao, 20241108141710.9721-1-laoar.shao@gmail.com).
 */
function get_next_ra_size(ra: FileRaState, max: number): number {
  const cur = ra.size;
  if (cur < max / 16) return 4 * cur;
  if (cur <= max / 2) return 2 * cur;
  if (cur > max) return cur;
  return max;
}

/**
 * page_cache_async_ra (mm/readahead.c, v7.0), called on a hit on the
 * PG_readahead folio at `index`: clear the marker and start the next window
 * without waiting for it. A folio under writeback is left alone (PG_readahead
 * shares its bit with PG_reclaim); blk_cgroup_congested is not modelled.
 * Sequential (`index` is the window's marker): the window moves on and grows
 * (get_next_ra_size). Otherwise the kernel rebuilds it from
 * page_cache_next_miss; the model takes the next miss to be index + 1.
 * async_size = size puts the next marker on the new window's first folio,
 * which is the one the model materialises; nothing is read when that page is
 * already cached (or past EOF).
 */
export function* page_cache_async_ra(vma: VmAreaStruct, folio: Folio, index: number): KPath {
  if (folio.writeback) return;
  folio.readahead = false; // folio_clear_readahead
  count_vm_event(VmEvent.ASYNC_READAHEAD);
  const ra = vma.f_ra;
  const max = ra.ra_pages;
  if (index === ra.start + ra.size - ra.async_size) {
    ra.start += ra.size;
    ra.size = get_next_ra_size(ra, max);
  } else {
    ra.start = index + 1;
    ra.size = 1 + max; // start - index (the old async_size) + req_count (ra_pages)
    ra.size = get_next_ra_size(ra, max);
  }
  ra.async_size = ra.size;
  const start = ra.start;
  if (start >= vma.pages) return;
  const nr = Math.min(ra.size, vma.pages - start);
  if (vma.mm.memory !== null) {
    yield* page_cache_ra_window(vma, start, nr, start);
    return;
  }
  if (vma.cache.get(start) !== undefined || !vma.evicted.has(start)) return;
  const bio = page_cache_ra_order(vma, start, nr, true);
  if (vma.mm.readSynchronous) yield* submit_read_bio(bio, true); // read_pages -> submit_bio, completed in this task (zram)
  else yield bio;
}
