/**
 * Reclaim of page-cache folios (mm/vmscan.c, v7.0; see
 * ../shared/kernel/memory-and-vma.md §C.3–C.7): shrink_folio_list, the
 * classic LRU's shrink_inactive_list / shrink_active_list, direct reclaim
 * (try_to_free_pages, try_to_free_mem_cgroup_pages) and kswapd. Reclaim does
 * not write page-cache folios (v7.0): a dirty one, or one under writeback,
 * gets PG_reclaim and is activated, and the flusher (page_writeback.ts)
 * cleans it; anonymous folios are swapped out to zram (SWP_SYNCHRONOUS_IO).
 */
import { cpu, type KPath } from './effects.js';
import { Cost } from './cost.js';
import { page_key, type LruPage } from './lruvec.js';
import { install_reclaim, MAX_RECLAIM_RETRIES, SWAP_CLUSTER_MAX, type MemCgroup } from './memcontrol.js';
import { folio_trylock, folio_unlock } from './pagemap.js';
import { Folio, type VmAreaStruct } from './mm_types.js';
import { current } from './sched.js';
import { folio_test_dirty, reclaim_throttle, wakeup_flusher_threads } from './page_writeback.js';
import { count_vm_event, VmEvent } from './vmstat.js';
import { psi_memstall_enter, psi_memstall_leave } from './trace.js';

/**
 * shrink_folio_list for folios of `vma`'s file, already isolated from the
 * LRU. Per folio, in the kernel's order:
 * - folio_trylock: a locked folio is kept (reclaim never sleeps on a folio lock);
 * - under writeback: kept (cgroup v2 / global reclaim only mark it PG_reclaim);
 * - dirty: kept (v7.0 reclaim never writes a file folio; PG_reclaim, activate);
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
    if (folio.writeback || folio_test_dirty(vma, folio) || folio.refcount !== 0 || folio.nrWaiters !== 0 ||
        vma.cache.get(folio.index) !== folio) {
      folio_unlock(folio); // keep
      continue;
    }
    // __remove_mapping -> __filemap_remove_folio, with workingset_eviction's shadow.
    vma.cache.delete(folio.index);
    vma.evicted.add(folio.index);
    vma.file_ptes.delete(folio.index); // try_to_unmap before the eviction (fault_around.ts)
    folio.readahead = false;
    folio.uptodate = false;
    folio_unlock(folio);
    nr_reclaimed++;
  }
  return nr_reclaimed;
}

/**
 * workingset_eviction (mm/workingset.c), called by __remove_mapping for
 * page-cache and swap-cache folios alike: remember the non-resident age in
 * the slot's shadow entry (the page cache's, or the swap cache's for an
 * anonymous page) and age the clock; lruvec_del_folio; uncharge.
 */
function evict(memcg: MemCgroup, p: LruPage): void {
  if (p.ra_unused) count_vm_event(VmEvent.RA_UNUSED_RECLAIMED);
  memcg.shadows.set(page_key(p.vma, p.index), memcg.nonresident_age);
  memcg.nonresident_age++;
  memcg.lruvec.del(p);
  memcg.usage--;
}

/** Reclaim bookkeeping (struct scan_control). */
interface ScanControl {
  readonly nr_to_reclaim: number;
  nr_scanned: number;
  nr_reclaimed: number;
  readonly kswapd: boolean;
  /** sc->nr: file folios taken, and of them under writeback / marked for immediate reclaim (shrink_node's checks). */
  nr_taken: number;
  nr_writeback: number;
  nr_immediate: number;
}

/**
 * The anonymous half of shrink_folio_list for one unreferenced folio
 * (v7.0 §C.4 steps 7-12, §D.1): folio_alloc_swap puts it in the swap cache,
 * locked by reclaim; try_to_unmap turns its PTE into a swap entry; pageout
 * -> swap_writeout compresses it into zram (SWP_SYNCHRONOUS_IO: on this CPU,
 * Cost.swap_out) with the folio still locked, so a fault on the page meanwhile
 * finds it in the swap cache and waits in folio_lock_or_retry; then unlock
 * and __remove_mapping, which fails if that fault holds a reference (the
 * folio stays in the swap cache, resident, for the fault to map).
 */
function* swap_out_folio(memcg: MemCgroup, p: LruPage): KPath<boolean> {
  const vma = p.vma;
  const folio = new Folio(vma.id, p.index); // add_to_swap
  folio.uptodate = true;
  folio.swapcache = true;
  folio.locked = true;
  folio.owner = current;
  vma.cache.set(p.index, folio);
  vma.swapped.add(p.index); // try_to_unmap: set_pte_at(swp_entry)
  count_vm_event(VmEvent.PSWPOUT);
  yield cpu(Cost.swap_out); // pageout -> swap_writeout -> zram_write
  folio_unlock(folio);
  if (folio.refcount !== 0 || vma.cache.get(p.index) !== folio) return false; // folio_ref_freeze fails: keep
  vma.cache.delete(p.index); // __remove_mapping -> __swap_cache_del_folio
  return true;
}

/** shrink_folio_list's activate_locked: SetPageActive, back on the active list. */
function activate(lru: MemCgroup['lruvec'], p: LruPage): void {
  lru.del(p);
  p.active = true;
  lru.add(p);
}

/**
 * shrink_inactive_list: isolate up to SWAP_CLUSTER_MAX of the oldest
 * inactive folios of one type and decide each one (folio_check_references,
 * classic): a folio in use (locked, referenced, waited on) is put back; a
 * young PTE (mapped since the last scan) with PG_referenced already set
 * activates it, without sets PG_referenced and keeps it (rotates);
 * otherwise it is reclaimed: a page-cache folio is dropped (shrink_folio_list),
 * an anonymous one swapped out (swap_out_folio). CPU: Cost.pgscan per folio
 * scanned and Cost.pgsteal per page-cache folio freed, charged after the
 * batch; Cost.swap_out per anonymous folio, as it is written.
 */
function* shrink_inactive_list(memcg: MemCgroup, sc: ScanControl, anon: boolean): KPath {
  const lru = memcg.lruvec;
  const batch: LruPage[] = [];
  for (const p of lru.list(anon, false).values()) {
    batch.push(p);
    if (batch.length === SWAP_CLUSTER_MAX) break;
  }
  let freed = 0, swapped = 0, nr_unqueued_dirty = 0;
  for (const p of batch) {
    if (lru.get(p.vma, p.index) !== p) continue; // freed while an earlier folio was being written
    const folio = p.vma.cache.get(p.index);
    if (folio !== undefined && !folio.idle) {
      if (!anon && !folio.locked && folio.writeback) { // folio_trylock succeeded; under writeback (cgroup v2: no wait)
        sc.nr_writeback++;
        if (sc.kswapd && p.reclaim && memcg.pgdat_writeback) sc.nr_immediate++; // case 1
        else p.reclaim = true; // case 2: folio_set_reclaim
        count_vm_event(VmEvent.VMSCAN_WRITEBACK);
        activate(lru, p);
        continue;
      }
      lru.putback(p); // folio_trylock / folio_ref_freeze would fail
      continue;
    }
    if (p.young) { // folio_referenced: clears the accessed bit
      p.young = false;
      if (p.referenced) {
        lru.del(p);
        p.active = true; // FOLIOREF_ACTIVATE
        lru.add(p);
      } else {
        p.referenced = true; // FOLIOREF_KEEP
        lru.putback(p);
      }
      continue;
    }
    if (p.dirty) { // file LRU: never pageout() (v7.0); "immediately reclaim when written back"
      nr_unqueued_dirty++;
      count_vm_event(VmEvent.NR_VMSCAN_IMMEDIATE);
      p.reclaim = true; // folio_set_reclaim
      activate(lru, p);
      continue;
    }
    if (anon) {
      if (!(yield* swap_out_folio(memcg, p))) {
        lru.putback(p);
        continue;
      }
      swapped++;
    } else if (folio !== undefined) {
      if (shrink_folio_list(p.vma, [folio]) === 0) {
        lru.putback(p);
        continue;
      }
      freed++;
    } else {
      p.vma.evicted.add(p.index); // an idle uptodate page with no folio object
      p.vma.file_ptes.delete(p.index);
      freed++;
    }
    evict(memcg, p);
  }
  const reclaimed = freed + swapped;
  if (!anon) sc.nr_taken += batch.length;
  // Dirty folios no flusher has queued: nudge the flushers (wakeup_flusher_threads(WB_REASON_VMSCAN)).
  if (!anon && nr_unqueued_dirty > 0 && nr_unqueued_dirty === batch.length) wakeup_flusher_threads(memcg);
  sc.nr_scanned += batch.length;
  sc.nr_reclaimed += reclaimed;
  for (let i = 0; i < batch.length; i++) count_vm_event(sc.kswapd ? VmEvent.PGSCAN_KSWAPD : VmEvent.PGSCAN_DIRECT);
  for (let i = 0; i < reclaimed; i++) count_vm_event(sc.kswapd ? VmEvent.PGSTEAL_KSWAPD : VmEvent.PGSTEAL_DIRECT);
  if (batch.length > 0) yield cpu(Cost.pgscan, batch.length);
  if (freed > 0) yield cpu(Cost.pgsteal, freed);
}

/**
 * shrink_active_list: move up to SWAP_CLUSTER_MAX of the oldest active
 * folios of one type to the inactive list (clearing their accessed bits, as
 * folio_referenced does; the VM_EXEC exemption is not modelled).
 */
function* shrink_active_list(memcg: MemCgroup, sc: ScanControl, anon: boolean): KPath {
  const lru = memcg.lruvec;
  const batch: LruPage[] = [];
  for (const p of lru.list(anon, true).values()) {
    batch.push(p);
    if (batch.length === SWAP_CLUSTER_MAX) break;
  }
  for (const p of batch) {
    lru.del(p);
    p.active = false;
    p.young = false;
    lru.add(p);
  }
  sc.nr_scanned += batch.length;
  if (batch.length > 0) yield cpu(Cost.pgscan, batch.length);
}

/**
 * shrink_lruvec: reclaim batch by batch, each from the file or the anon
 * lists, until nr_to_reclaim or every folio has been looked at twice (the
 * kernel's priority loop from DEF_PRIORITY down to 0 ends scanning whole
 * lists; modelled as this cap). get_scan_count's balance is modelled by
 * swappiness alone: anon batches get swappiness, file batches 200 -
 * swappiness shares (its cost-based refinement is not modelled); a type
 * with nothing on its lists is skipped. Before each batch the type's active
 * list is aged while its inactive list is low.
 */
function* shrink_lruvec(memcg: MemCgroup, sc: ScanControl): KPath {
  const lru = memcg.lruvec;
  const cap = 2 * lru.size + SWAP_CLUSTER_MAX;
  const swappiness = memcg.cfg.swappiness ?? 60;
  while (sc.nr_reclaimed < sc.nr_to_reclaim && sc.nr_scanned < cap) {
    const hasFile = lru.inactive.size + lru.active.size > 0;
    const hasAnon = swappiness > 0 && lru.anon_size > 0;
    if (!hasFile && !hasAnon) break;
    let anon: boolean;
    if (!hasFile) anon = true;
    else if (!hasAnon) anon = false;
    else {
      memcg.anon_credit += swappiness;
      memcg.file_credit += 200 - swappiness;
      anon = memcg.anon_credit >= memcg.file_credit;
      if (anon) memcg.anon_credit -= 200;
      else memcg.file_credit -= 200;
    }
    if (lru.inactive_is_low(anon)) yield* shrink_active_list(memcg, sc, anon);
    if (lru.list(anon, false).size === 0) continue;
    yield* shrink_inactive_list(memcg, sc, anon);
  }
}

/**
 * try_to_free_mem_cgroup_pages / try_to_free_pages: direct reclaim in the
 * calling task (a fault, holding its VMA or mmap lock when it charges under
 * it). Returns nr_reclaimed.
 */
function* try_to_free_pages(memcg: MemCgroup, nr_to_reclaim: number): KPath<number> {
  const sc: ScanControl = { nr_to_reclaim, nr_scanned: 0, nr_reclaimed: 0, kswapd: false, nr_taken: 0, nr_writeback: 0, nr_immediate: 0 };
  yield* shrink_lruvec(memcg, sc);
  return sc.nr_reclaimed;
}

install_reclaim({ try_to_free_pages });

/**
 * kswapd (mm/vmscan.c kswapd / balance_pgdat / kswapd_try_to_sleep): sleep
 * until wakeup_kswapd (an allocation below the low watermark), then reclaim
 * in SWAP_CLUSTER_MAX batches until free memory is above the high
 * watermark; a run that reclaims nothing counts a failure, and after
 * MAX_RECLAIM_RETRIES of them the node is hopeless and kswapd sleeps until a
 * direct reclaim succeeds.
 */
export function* kswapd(memcg: MemCgroup): KPath {
  memcg.kswapd = current;
  for (;;) {
    if (memcg.free >= memcg.wmark_high || memcg.kswapd_failures >= MAX_RECLAIM_RETRIES) {
      memcg.pgdat_writeback = false; // clear_pgdat_congested: the node is balanced
      memcg.kswapd_sleeping = true;
      yield memcg.kswapd_block;
      continue;
    }
    const sc: ScanControl = {
      nr_to_reclaim: SWAP_CLUSTER_MAX, nr_scanned: 0, nr_reclaimed: 0, kswapd: true, nr_taken: 0, nr_writeback: 0, nr_immediate: 0,
    };
    psi_memstall_enter('kswapd'); // balance_pgdat
    yield* shrink_lruvec(memcg, sc);
    // shrink_node, kswapd: a batch all under writeback flags the node; folios cycling back
    // to reclaim still under writeback (nr_immediate) throttle kswapd until writeback progresses.
    if (sc.nr_writeback > 0 && sc.nr_writeback === sc.nr_taken) memcg.pgdat_writeback = true;
    if (sc.nr_immediate > 0) yield* reclaim_throttle(memcg);
    psi_memstall_leave('kswapd');
    if (sc.nr_reclaimed === 0) memcg.kswapd_failures++;
    else memcg.kswapd_failures = 0;
  }
}
