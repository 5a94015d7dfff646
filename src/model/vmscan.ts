/**
 * Reclaim of page-cache folios (mm/vmscan.c `shrink_folio_list`, v7.0; see
 * ../shared/kernel/memory-and-vma.md §C.4): the step that takes a folio away
 * between a fault's read and its retry. Only clean, unmapped file folios are
 * modelled; the LRU that picks them (and kswapd / direct reclaim, which call
 * this) is not yet (docs/fidelity.md, "Reclaim").
 */
import { folio_trylock, folio_unlock } from './pagemap.js';
import type { Folio, VmAreaStruct } from './mm_types.js';

/**
 * shrink_folio_list for folios of `vma`'s file, already isolated from the
 * LRU. Per folio, in the kernel's order:
 * - folio_trylock: a locked folio is kept (reclaim never sleeps on a folio lock);
 * - under writeback: kept (cgroup v2 / global reclaim only mark it PG_reclaim);
 * - __remove_mapping: folio_ref_freeze fails if anyone else holds a
 *   reference (a fault between filemap_get_folio and folio_put, a waiter on
 *   its lock): kept. Otherwise the page-cache slot gets a shadow entry (the
 *   page is `evicted`: the next fault on it misses) and the folio is freed.
 * folio_check_references (the rmap walk) is the caller's choice: the folios
 * passed are the ones it decided to reclaim. Never sleeps: one atomic step.
 * Returns nr_reclaimed.
 */
export function shrink_folio_list(vma: VmAreaStruct, folios: readonly Folio[]): number {
  let nr_reclaimed = 0;
  for (const folio of folios) {
    if (!folio_trylock(folio)) continue; // keep_locked
    if (folio.writeback || folio.refcount !== 0 || folio.nrWaiters !== 0 || vma.cache.get(folio.index) !== folio) {
      folio_unlock(folio); // keep
      continue;
    }
    // __remove_mapping -> __filemap_remove_folio, with workingset_eviction's shadow.
    vma.cache.delete(folio.index);
    vma.evicted.add(folio.index);
    folio.readahead = false;
    folio.uptodate = false;
    folio_unlock(folio);
    nr_reclaimed++;
  }
  return nr_reclaimed;
}
