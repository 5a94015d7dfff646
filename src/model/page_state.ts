/**
 * Setting up the state a page is in before a fault meets it (model-only, like
 * tools/testing/vma's custom helpers): both engines' workload drivers use it,
 * so a page state means the same thing in the simulator and the checker.
 */
import { Folio, type VmAreaStruct } from './mm_types.js';
import { folio_end_writeback, folio_end_writeback_and_unlock, folio_holder_unlock } from './pagemap.js';

export type PageStateName =
  | 'cached' | 'absent' | 'locked' | 'writeback' | 'writeback_unlocked'
  | 'zero' | 'swapped' | 'swapcache' | 'swapcache_locked' | 'swapcache_writeback'
  | 'readahead';

/**
 * A holder outside the faulting threads (reclaim, migration, a writeback
 * submitter) has locked `folio`; the engine decides when `unlock` runs:
 * after `io.folio_lock_hold` (kind 'locked') or `io.writeback` ('writeback':
 * PG_locked and PG_writeback, both cleared at the end; 'writeback_unlocked':
 * PG_writeback only, the usual state of a folio written back, whose end is
 * folio_end_writeback).
 */
export type FolioHolder = (folio: Folio, kind: 'locked' | 'writeback' | 'writeback_unlocked', unlock: (f: Folio) => void) => void;

/**
 * Put page `pgoff` of `vma` in `state`, unless its folio is in use (locked,
 * referenced or waited on): then the fault meets the real state. Returns
 * whether the state was set.
 */
export function set_page_state(vma: VmAreaStruct, pgoff: number, state: PageStateName, hold: FolioHolder): boolean {
  const cache = vma.cache;
  const f = cache.get(pgoff);
  if (f !== undefined) {
    if (!f.idle) return false;
    cache.delete(pgoff);
  }
  if (vma.file_ptes.size > 0) vma.file_ptes.delete(pgoff); // the load generator's MADV_DONTNEED of the page before its touch (fault_around.ts)
  switch (state) {
    case 'cached': // uptodate in the page cache, no folio object needed
      vma.evicted.delete(pgoff);
      return true;
    case 'absent':
      vma.evicted.add(pgoff);
      return true;
    case 'zero':
      vma.swapped.delete(pgoff);
      return true;
    case 'swapped':
      vma.swapped.add(pgoff);
      return true;
    default: {
      const folio = new Folio(vma.id, pgoff);
      folio.uptodate = true;
      if (vma.vm_file) vma.evicted.delete(pgoff);
      else {
        folio.swapcache = true;
        vma.swapped.add(pgoff);
      }
      cache.set(pgoff, folio);
      if (state === 'readahead') {
        // The marker folio of an earlier readahead window whose read has completed: uptodate, unlocked, with
        // PG_readahead (page_cache_ra_unbounded's folio_set_readahead at `index + nr - lookahead_size`), so
        // a fault's hit runs page_cache_async_ra (filemap_fault -> do_async_mmap_readahead).
        folio.readahead = true;
      } else if (state === 'locked' || state === 'swapcache_locked') {
        folio.locked = true;
        folio.owner = 'io';
        folio.ioOwner = null;
        hold(folio, 'locked', folio_holder_unlock);
      } else if (state === 'writeback_unlocked') {
        // writepages: folio_start_writeback, then folio_unlock; the bio's end is folio_end_writeback.
        folio.writeback = true;
        hold(folio, 'writeback_unlocked', folio_end_writeback);
      } else if (state === 'writeback' || state === 'swapcache_writeback') {
        folio.writeback = true;
        folio.locked = true;
        folio.owner = 'io';
        folio.ioOwner = null;
        hold(folio, 'writeback', folio_end_writeback_and_unlock);
      }
      return true;
    }
  }
}
