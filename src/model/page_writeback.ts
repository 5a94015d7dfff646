/**
 * Dirty page cache and its writeback, with a memory model (`memory:`):
 * mm/page-writeback.c (folio_mark_dirty, the dirty thresholds,
 * balance_dirty_pages' background kick, folio_clear_dirty_for_io,
 * folio_start_writeback), fs/fs-writeback.c (the flusher: wb_workfn,
 * wb_do_writeback, wb_check_start_all, wb_check_old_data_flush,
 * wb_check_background_flush, wb_writeback, writeback_sb_inodes; the
 * delayed wake-up wb_wakeup_delayed), mm/filemap.c folio_end_writeback with
 * mm/swap.c folio_rotate_reclaimable, and mm/vmscan.c reclaim_throttle
 * (VMSCAN_THROTTLE_WRITEBACK) with acct_reclaim_writeback. Read from v7.0.
 *
 * One bdi_writeback per memcg (cgroup writeback, v2), one inode per file VMA.
 * Simplifications (docs/fidelity.md, "Dirty page cache and writeback"): the
 * flusher's CPU is not charged; an inode's folios go out as one request of the
 * `io.writeback` law whatever their number; balance_dirty_pages only kicks
 * background writeback (its pause, the dirtier's throttling, is not modelled);
 * the per-task ratelimit is not (every dirtying checks the threshold).
 */
import { LawName, submit, type KPath } from './effects.js';
import { HZ, SWAP_CLUSTER_MAX, type DirtyInode, type MemCgroup } from './memcontrol.js';
import type { LruPage } from './lruvec.js';
import { Folio, type VmAreaStruct } from './mm_types.js';
import { __folio_lock, folio_end_writeback, folio_unlock } from './pagemap.js';
import { current, ktime_get_ns, mod_timer, wake_up_process } from './sched.js';
import { count_vm_event, VmEvent } from './vmstat.js';

const JIFFY_NS = 1_000_000_000 / HZ;
/** mm/page-writeback.c defaults: dirty_background_ratio, vm_dirty_ratio, dirty_writeback_interval, dirty_expire_interval. */
export const DIRTY_BACKGROUND_RATIO = 10;
export const DIRTY_RATIO = 20;
export const DIRTY_WRITEBACK_NS = 5_000_000_000;
export const DIRTY_EXPIRE_NS = 30_000_000_000;

/** folio_test_dirty: PG_dirty on the folio object, or (memory model) on its resident page. */
export function folio_test_dirty(vma: VmAreaStruct, folio: Folio): boolean {
  if (folio.dirty) return true;
  const memcg = vma.mm.memory;
  return memcg !== null && memcg.lruvec.get(vma, folio.index)?.dirty === true;
}

/**
 * folio_mark_dirty -> filemap_dirty_folio (mm/page-writeback.c): set
 * PG_dirty; with a memory model, a newly dirty page is accounted
 * (folio_account_dirtied: NR_FILE_DIRTY, NR_DIRTIED) and its inode marked
 * dirty (__mark_inode_dirty: dirtied_when = now, onto b_dirty; the first
 * dirty inode of a clean bdi_writeback arms the flusher's delayed wake-up,
 * wb_wakeup_delayed).
 */
export function folio_mark_dirty(vma: VmAreaStruct, folio: Folio): void {
  folio.dirty = true;
  const memcg = vma.mm.memory;
  if (memcg === null) return;
  const p = memcg.lruvec.get(vma, folio.index);
  if (p === undefined || p.dirty) return;
  p.dirty = true;
  memcg.nr_dirty++;
  count_vm_event(VmEvent.NR_DIRTIED);
  let inode = memcg.b_dirty.get(vma);
  if (inode === undefined) {
    const wakeup_bdi = memcg.b_dirty.size === 0; // inode_io_list_move_locked: the wb had no dirty I/O
    inode = { dirtied_when: ktime_get_ns(), pages: new Set() };
    memcg.b_dirty.set(vma, inode);
    if (wakeup_bdi) wb_wakeup_delayed(memcg);
  }
  inode.pages.add(folio.index);
}

/**
 * The dirty thresholds of the memcg's writeback domain (domain_dirty_limits
 * on mem_cgroup_wb_domain's dtc, cgroup v2): available memory is the memcg's
 * file LRU plus its headroom under min(memory.max, memory.high), capped by
 * the global domain's (free + file LRU: global_dirtyable_memory) when the
 * zone is modelled; thresh = dirty_ratio %, bg_thresh = dirty_background_ratio
 * % of it (halved if not below thresh).
 */
export function dirty_limits(memcg: MemCgroup): { thresh: number; bg_thresh: number } {
  const cfg = memcg.cfg;
  const file = memcg.lruvec.inactive.size + memcg.lruvec.active.size;
  const global_avail = cfg.total > 0 ? Math.max(0, memcg.free) + file : Infinity;
  const headroom = Math.max(0, Math.min(cfg.max, cfg.high) - memcg.charged);
  const avail = file + Math.min(headroom, global_avail);
  const thresh = Math.floor(((cfg.dirty_ratio ?? DIRTY_RATIO) * avail) / 100);
  let bg_thresh = Math.floor(((cfg.dirty_background_ratio ?? DIRTY_BACKGROUND_RATIO) * avail) / 100);
  if (bg_thresh >= thresh) bg_thresh = Math.floor(thresh / 2);
  return { thresh, bg_thresh };
}

/** wb_over_bg_thresh: NR_FILE_DIRTY above the background threshold. */
export function wb_over_bg_thresh(memcg: MemCgroup): boolean {
  return memcg.nr_dirty > 0 && memcg.nr_dirty > dirty_limits(memcg).bg_thresh;
}

/**
 * balance_dirty_pages_ratelimited (mm/page-writeback.c), after a shared
 * write fault released its lock: only balance_dirty_pages' first act,
 * wb_start_background_writeback when dirty + writeback pages exceed the
 * background threshold and no writeback is in progress. The pause that
 * throttles the dirtier above the freerun ceiling is not modelled.
 */
export function balance_dirty_pages_ratelimited(vma: VmAreaStruct): void {
  const memcg = vma.mm.memory;
  if (memcg === null || memcg.flusher === null) return;
  if (memcg.nr_dirty + memcg.nr_writeback > dirty_limits(memcg).bg_thresh && memcg.flusher_sleeping) wb_wakeup(memcg);
}

/** wb_wakeup: queue the flusher's work now (mod_delayed_work(..., 0)). */
export function wb_wakeup(memcg: MemCgroup): void {
  memcg.wb_work_pending = true;
  const t = memcg.flusher;
  if (t !== null && memcg.flusher_sleeping) {
    memcg.flusher_sleeping = false;
    memcg.flusher_wait.waiters.length = 0;
    wake_up_process(t);
  }
}

/** wb_wakeup_delayed: queue the flusher's work dirty_writeback_interval from now, unless already queued. */
function wb_wakeup_delayed(memcg: MemCgroup): void {
  if (memcg.flusher === null || memcg.wb_timer_armed) return;
  memcg.wb_timer_armed = true;
  mod_timer(ktime_get_ns() + (memcg.cfg.dirty_writeback_ns ?? DIRTY_WRITEBACK_NS), () => {
    memcg.wb_timer_armed = false;
    wb_wakeup(memcg);
  });
}

/** wakeup_flusher_threads(WB_REASON_VMSCAN) -> wb_start_writeback: write everything dirty (WB_start_all). */
export function wakeup_flusher_threads(memcg: MemCgroup): void {
  if (memcg.flusher === null) return;
  count_vm_event(VmEvent.FLUSHER_WAKE_VMSCAN);
  memcg.wb_start_all = true;
  wb_wakeup(memcg);
}

/** What one wb_writeback pass writes (struct wb_writeback_work). */
interface WritebackWork {
  /** Pages to write at most (nr_pages). */
  nr_pages: number;
  /** for_kupdate: only inodes dirtied at or before this time (ns), else -1. */
  older_than: number;
  /** for_background: stop once below the background threshold. */
  for_background: boolean;
}

/**
 * wb_workfn (fs/fs-writeback.c), the flusher kthread for the memcg's
 * bdi_writeback: sleep until work is queued (a wake-up, or the delayed work's
 * timer), run wb_do_writeback, and re-arm the delayed wake-up while dirty
 * inodes remain (wb_wakeup_delayed).
 */
export function* wb_workfn(memcg: MemCgroup): KPath {
  memcg.flusher = current;
  if (memcg.b_dirty.size > 0) wb_wakeup_delayed(memcg);
  for (;;) {
    if (!memcg.wb_work_pending) {
      memcg.flusher_sleeping = true;
      memcg.flusher_wait.waiters.push({ t: current });
      yield memcg.flusher_wait.blockWait;
      continue;
    }
    memcg.wb_work_pending = false;
    yield* wb_do_writeback(memcg);
    if (!memcg.wb_work_pending && memcg.b_dirty.size > 0) wb_wakeup_delayed(memcg);
  }
}

/**
 * wb_do_writeback: wb_check_start_all (all dirty pages, after a vmscan
 * wake-up), wb_check_old_data_flush (every dirty_writeback_interval: inodes
 * dirtied more than dirty_expire_interval ago), wb_check_background_flush
 * (while over the background threshold). Returns pages written.
 */
function* wb_do_writeback(memcg: MemCgroup): KPath<number> {
  let wrote = 0;
  if (memcg.wb_start_all) { // wb_check_start_all
    memcg.wb_start_all = false;
    wrote += yield* wb_writeback(memcg, { nr_pages: memcg.nr_dirty, older_than: -1, for_background: false });
  }
  const now = ktime_get_ns();
  if (now >= memcg.last_old_flush + (memcg.cfg.dirty_writeback_ns ?? DIRTY_WRITEBACK_NS)) { // wb_check_old_data_flush
    memcg.last_old_flush = now;
    if (memcg.nr_dirty > 0) {
      const older_than = now - (memcg.cfg.dirty_expire_ns ?? DIRTY_EXPIRE_NS);
      wrote += yield* wb_writeback(memcg, { nr_pages: memcg.nr_dirty, older_than, for_background: false });
    }
  }
  if (wb_over_bg_thresh(memcg)) { // wb_check_background_flush
    wrote += yield* wb_writeback(memcg, { nr_pages: Infinity, older_than: -1, for_background: true });
  }
  return wrote;
}

/**
 * wb_writeback -> writeback_sb_inodes -> __writeback_single_inode ->
 * do_writepages (WB_SYNC_NONE) over the dirty inodes, oldest first: per
 * dirty folio of the inode, in index order, folio_lock (may sleep: a fault
 * holds it), skip it if no longer dirty or already under writeback,
 * folio_clear_dirty_for_io, folio_start_writeback, folio_unlock; the inode's
 * folios go out as one request (`io.writeback` law) whose completion ends
 * each folio's writeback. The flusher does not wait for it. An inode with no
 * dirty pages left leaves b_dirty.
 */
function* wb_writeback(memcg: MemCgroup, work: WritebackWork): KPath<number> {
  let wrote = 0;
  for (const [vma, inode] of [...memcg.b_dirty]) {
    if (wrote >= work.nr_pages) break;
    if (work.for_background && !wb_over_bg_thresh(memcg)) break;
    if (work.older_than >= 0 && inode.dirtied_when > work.older_than) continue; // not expired (for_kupdate)
    wrote += yield* writeback_single_inode(memcg, vma, inode);
  }
  return wrote;
}

function* writeback_single_inode(memcg: MemCgroup, vma: VmAreaStruct, inode: DirtyInode): KPath<number> {
  const batch: Array<[Folio, LruPage]> = [];
  for (const index of [...inode.pages].sort((a, b) => a - b)) {
    const p = memcg.lruvec.get(vma, index);
    if (p === undefined || !p.dirty) {
      inode.pages.delete(index);
      continue;
    }
    let folio = vma.cache.get(index);
    if (folio === undefined) { // resident and idle: the page cache's folio (filemap_get_folio)
      folio = new Folio(vma.id, index);
      folio.uptodate = true;
      vma.cache.set(index, folio);
    }
    folio.refcount++; // the writeback batch's reference
    yield* __folio_lock(folio); // write_cache_pages: folio_lock
    if (!p.dirty || folio.writeback || memcg.lruvec.get(vma, index) !== p) { // cleaned, or WB_SYNC_NONE skips writeback
      folio_unlock(folio);
      folio.refcount--;
      continue;
    }
    // folio_clear_dirty_for_io (folio_mkclean write-protects its PTEs: the next write is wp_page_shared)
    // + folio_start_writeback (NR_FILE_DIRTY -> NR_WRITEBACK)
    vma.wrprotected.add(index);
    p.dirty = false;
    folio.dirty = false;
    inode.pages.delete(index);
    memcg.nr_dirty--;
    memcg.nr_writeback++;
    folio.writeback = true;
    folio_unlock(folio);
    folio.refcount--;
    batch.push([folio, p]);
  }
  if (inode.pages.size === 0) memcg.b_dirty.delete(vma);
  if (batch.length === 0) return 0;
  const end_io = (): void => { for (const [f, p] of batch) folio_end_writeback_wb(memcg, f, p); };
  yield submit(LawName.writeback, batch[0]![0], end_io, current, batch.length);
  return batch.length;
}

/**
 * folio_end_writeback (mm/filemap.c) for a page-cache folio: a PG_reclaim
 * folio has the flag cleared and is rotated (folio_rotate_reclaimable ->
 * lru_move_tail: unless locked or dirty again, it goes to the inactive
 * list's tail, inactive, to be reclaimed next); NR_WRITEBACK and
 * NR_WRITTEN; PG_writeback clears and its waiters wake; reclaim throttled on
 * writeback is accounted (acct_reclaim_writeback).
 */
function folio_end_writeback_wb(memcg: MemCgroup, folio: Folio, p: LruPage): void {
  if (p.reclaim) {
    p.reclaim = false;
    if (!folio.locked && !p.dirty && memcg.lruvec.get(p.vma, p.index) === p) { // folio_rotate_reclaimable
      memcg.lruvec.del(p);
      p.active = false;
      memcg.lruvec.add_tail(p);
      count_vm_event(VmEvent.PGROTATED);
    }
  }
  memcg.nr_writeback--;
  count_vm_event(VmEvent.NR_WRITTEN);
  folio_end_writeback(folio);
  acct_reclaim_writeback(memcg);
}

/**
 * reclaim_throttle(pgdat, VMSCAN_THROTTLE_WRITEBACK) (mm/vmscan.c): sleep
 * until SWAP_CLUSTER_MAX folios per throttled task have finished writeback
 * since the first of them slept (acct_reclaim_writeback), or HZ/10.
 */
export function* reclaim_throttle(memcg: MemCgroup): KPath {
  const q = memcg.reclaim_wait;
  if (q.waiters.length === 0) memcg.reclaim_wb_start = memcg.nr_throttled_written;
  const w = { t: current };
  q.waiters.push(w);
  count_vm_event(VmEvent.VMSCAN_THROTTLE_WRITEBACK);
  mod_timer(ktime_get_ns() + (HZ / 10) * JIFFY_NS, () => {
    const i = q.waiters.indexOf(w);
    if (i < 0) return;
    q.waiters.splice(i, 1);
    wake_up_process(w.t);
  });
  yield q.blockWait;
}

/** acct_reclaim_writeback / __acct_reclaim_writeback: wake the throttled once enough was written. */
function acct_reclaim_writeback(memcg: MemCgroup): void {
  memcg.nr_throttled_written++;
  const q = memcg.reclaim_wait;
  if (q.waiters.length === 0) return;
  if (memcg.nr_throttled_written - memcg.reclaim_wb_start > SWAP_CLUSTER_MAX * q.waiters.length) {
    for (const w of q.waiters.splice(0)) wake_up_process(w.t);
  }
}
