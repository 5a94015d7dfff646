/**
 * Dirty page cache and writeback with `memory:` (src/model/page_writeback.ts,
 * vmscan.ts; v7.0 mm/vmscan.c shrink_folio_list, mm/page-writeback.c,
 * fs/fs-writeback.c): a shared write fault dirties its page; reclaim never
 * writes a dirty file folio but marks it PG_reclaim, activates it and wakes
 * the flusher when a batch is all unqueued dirty; the flusher writes it back
 * (PG_writeback for the device's write time), and folio_end_writeback rotates
 * it to the inactive tail, where the next reclaim pass frees it. A
 * ->page_mkwrite of f2fs meets the flusher's writeback and waits holding the
 * VMA lock.
 *
 * Lanes: handle_mm_fault costs 1 us; reads and writeback take a constant
 * 10 ms; VMAs are 16-page files. VMA 0 is shared, writable, f2fs.
 */
import { describe, expect, it } from 'vitest';
import {
  anon_charge_and_add, dirty_limits, do_mprotect_pkey, do_user_addr_fault, filemap_charge_and_add, filemap_get_folio, folio_mark_dirty,
  kswapd, MemCgroup, VM_SHARED, VM_WRITE, wakeup_flusher_threads, wb_workfn, type MemoryConfig, type VmAreaStruct,
} from '../src/model/index.js';
import { measure } from '../src/metrics/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import { us } from './helpers.js';
import { lanes, type Lanes } from './lanes.js';

/** Lanes with a memory cgroup, VMA 0 shared + writable with f2fs's ->page_mkwrite, and the flusher. */
function setup(cfg: Partial<MemoryConfig>): { h: Lanes; memcg: MemCgroup; v0: VmAreaStruct } {
  const h = lanes();
  const memcg = new MemCgroup({ max: Infinity, high: Infinity, total: 0, other: 0, ...cfg });
  h.mm.memory = memcg;
  const v0 = h.vma[0]!;
  v0.vm_flags |= VM_SHARED | VM_WRITE;
  v0.page_mkwrite = 'f2fs';
  for (let p = 0; p < 16; p++) for (const v of h.vma) v.evicted.add(p);
  h.lane('prefill', 0, function* () { // pages 0-3 of VMA 0 and all of VMA 1 resident, VMA 0's oldest
    yield* filemap_charge_and_add(h.mm, v0, 0, 4, false);
    yield* filemap_charge_and_add(h.mm, h.vma[1]!, 0, 16, false);
  });
  h.lane('flush', 0, () => wb_workfn(memcg));
  return { h, memcg, v0 };
}

const count = (h: Lanes, e: string, task?: string): number =>
  h.rec.vmEvents.filter(([t, n]) => n === e && (task === undefined || t === task)).length;
const at = (h: Lanes, e: string): number[] => h.rec.vmEvents.filter(([, n]) => n === e).map(([, , t]) => t);

/** A lane that charges `n` pages of `vma` at `t` us (reclaiming over memory.max first). */
function charge(h: Lanes, name: string, t: number, vma: VmAreaStruct, n: number): void {
  h.lane(name, t, function* () {
    yield* filemap_charge_and_add(h.mm, vma, 0, n, false);
    h.mark('charged');
  });
}

describe('reclaim meets a dirty page-cache folio', () => {
  /*
   * max 20 pages, all charged by prefill; bg_thresh 2, so one dirty page starts no background writeback.
   * time(us)  0     1                100                                   10100               20000
   * A         write VMA 0 page 0 (f2fs mkwrite: dirty; drop the VMA lock: COMPLETED)
   * R                                charge 1: reclaim frees the 19 clean pages; page 0 is young
   *                                  (rotate), then dirty: PG_reclaim, activate, wake the flusher
   * flush                            writeback of page 0 ·················· end: rotate to the inactive tail
   * R2                                                                                         charge 19: page 0 freed
   */
  it('is not freed: PG_reclaim + activate + flusher woken; written back, rotated, then freed by the next pass', () => {
    const { h, memcg, v0 } = setup({ max: 20 });
    expect(dirty_limits(memcg)).toEqual({ thresh: 4, bg_thresh: 2 }); // 20 pages dirtyable (headroom now, file pages later)
    h.lane('A', 0, function* () {
      yield* do_user_addr_fault(h.mm, v0.vm_start + 0, true);
      h.mark('write done');
    });
    charge(h, 'R', 100, h.vma[2]!, 1);
    charge(h, 'R2', 20_000, h.vma[3]!, 19);
    let afterR: [boolean | undefined, boolean | undefined, boolean | undefined, number] = [undefined, undefined, undefined, 0];
    h.probe('probe', 200, () => {
      const p = memcg.lruvec.get(v0, 0);
      afterR = [p?.dirty, p?.reclaim, p?.active, memcg.nr_writeback];
    });
    h.run(30_000);
    expect(h.marks.filter(([t]) => t !== 'prefill')).toEqual([['A', 'write done', 1], ['R', 'charged', 100], ['R2', 'charged', 20_000]]);
    // R: the 19 clean pages are freed, page 0 kept (dirty) and the flusher woken; it has started writeback by 200 us.
    expect([count(h, 'PGSTEAL_DIRECT', 'R'), count(h, 'NR_DIRTIED', 'A')]).toEqual([19, 1]);
    expect(count(h, 'NR_VMSCAN_IMMEDIATE', 'R')).toBeGreaterThan(0);
    expect(at(h, 'FLUSHER_WAKE_VMSCAN')[0]).toBe(100);
    expect(afterR).toEqual([false, true, true, 1]);
    // The flusher's write: 100 -> 10,100 us; its end rotates page 0 (PG_reclaim) to the inactive list.
    expect(at(h, 'NR_WRITTEN')).toEqual([10_100]);
    expect(at(h, 'PGROTATED')).toEqual([10_100]);
    // R2's pass frees it: page 0 is evicted (a shadow), the charge fits.
    expect(count(h, 'PGSTEAL_DIRECT', 'R2')).toBe(2);
    expect([memcg.lruvec.get(v0, 0), v0.evicted.has(0), memcg.nr_dirty, memcg.nr_writeback]).toEqual([undefined, true, 0, 0]);
  });
});

describe('->page_mkwrite (f2fs) meets the flusher\'s writeback', () => {
  /*
   * dirty_writeback 1 ms, dirty_expire 500 us: the periodic pass at 1001 us writes page 0 (dirtied at 1 us).
   * time(us)  0    1         1001                1500           2000                               11001
   * A         write page 0: dirty, the flusher's timer armed for 1001
   * flush                    wb_check_old_data_flush: clear dirty, write-protect, writeback ·········· end
   * R                                            charge 1: page 0 under writeback -> PG_reclaim, activate
 *                                                           (at 11001 B holds the folio lock: no rotation)
   * B                                                           write page 0 (wp_page_shared, VMA lock):
   *                                                             f2fs: folio_wait_writeback ············ dirty
   * W                                                               2500 mprotect VMA 0: vma_start_write ····· 11001
   */
  it('the second write waits for writeback holding the VMA lock; the writer of the VMA waits behind it', () => {
    const { h, memcg, v0 } = setup({ max: 20, dirty_writeback_ns: us(1000), dirty_expire_ns: us(500) });
    h.lane('A', 0, function* () {
      yield* do_user_addr_fault(h.mm, v0.vm_start + 0, true);
      h.mark('write 1 done');
    });
    charge(h, 'R', 1500, h.vma[2]!, 1);
    h.lane('B', 2000, function* () {
      yield* do_user_addr_fault(h.mm, v0.vm_start + 0, true);
      h.mark('write 2 done');
    });
    h.lane('W', 2500, function* () {
      yield* do_mprotect_pkey(h.mm, v0.vm_start, 1);
      h.mark('mprotect done');
    });
    h.run(30_000);
    expect(h.marks.filter(([t]) => t !== 'prefill')).toEqual([
      ['A', 'write 1 done', 1], ['R', 'charged', 1500], ['B', 'write 2 done', 11_001], ['W', 'mprotect done', 11_001],
    ]);
    // R frees 19 clean pages, then meets page 0 under writeback on every pass until its scan cap
    // (shrink_active_list deactivates it between passes; the model's stand-in for the priority loop).
    expect(count(h, 'PGSTEAL_DIRECT', 'R')).toBe(19);
    expect(count(h, 'VMSCAN_WRITEBACK', 'R')).toBeGreaterThan(0);
    expect(count(h, 'PAGE_MKWRITE_WB_WAIT', 'B')).toBe(1);
    const waits = h.rec.waitLanes().filter(([t]) => t === 'B' || t === 'W');
    expect(waits).toEqual([
      ['B', 'folio_wait_writeback', 'io', 'folio[0:0]:writeback', 2001, 11_001],
      ['W', 'vma_start_write', 'vma_lock', v0.label, 2500, 11_001],
    ]);
    // At the writeback's end B holds the folio lock (f2fs waits holding it), so folio_rotate_reclaimable
    // leaves page 0 where R put it (active), clearing PG_reclaim. B dirtied it again, and the next
    // periodic pass (12,001 us) wrote it again.
    expect(at(h, 'NR_WRITTEN')).toEqual([11_001, 22_001]);
    expect(at(h, 'PGROTATED')).toEqual([]);
    const p = memcg.lruvec.get(v0, 0)!;
    expect([p.dirty, p.reclaim, p.active, memcg.nr_dirty, memcg.b_dirty.size, count(h, 'NR_DIRTIED')]).toEqual([false, false, true, 0, 0, 2]);
  });
});

describe('kswapd meets folios under writeback', () => {
  /*
   * total 1024 pages (watermarks min 64, low 80, high 96), other 920, swappiness 0 (file only).
   * time(us)  0                                   1000                                  10000          101000
   * D         dirty VMA 0 pages 0-3, wake the flusher
   * flush     writeback of pages 0-3 ······························································ end: rotate x4
   * X                                             21 anonymous charges: free 79 < low, wake kswapd
   * kswapd0                                       a batch all under writeback: PG_reclaim, activate,
   *                                               PGDAT_WRITEBACK; met again: nr_immediate ->
   *                                               reclaim_throttle ··············································· 4 freed
   */
  it('flags PGDAT_WRITEBACK, then throttles in reclaim_throttle(WRITEBACK) until HZ/10 (4 written < 32); the rotated pages are freed', () => {
    const h = lanes({ anon: 1 });
    const memcg = new MemCgroup({ max: Infinity, high: Infinity, total: 1024, other: 920, swappiness: 0 });
    h.mm.memory = memcg;
    const v0 = h.vma[0]!;
    v0.vm_flags |= VM_SHARED | VM_WRITE;
    for (let p = 0; p < 16; p++) v0.evicted.add(p);
    const k = h.lane('kswapd0', 0, () => kswapd(memcg));
    h.lane('flush', 0, () => wb_workfn(memcg));
    h.lane('D', 0, function* () {
      yield* filemap_charge_and_add(h.mm, v0, 0, 4, false);
      for (let i = 0; i < 4; i++) folio_mark_dirty(v0, filemap_get_folio(v0, i, true)!);
      wakeup_flusher_threads(memcg);
    });
    const anon = h.vma[h.vma.length - 1]!;
    h.lane('X', 1000, function* () {
      for (let i = 0; i < 21; i++) yield* anon_charge_and_add(h.mm, anon, i);
    });
    h.run(200_000);
    expect(memcg.kswapd).toBe(k);
    expect(at(h, 'KSWAPD_WAKE')).toEqual([1000]);
    expect(count(h, 'VMSCAN_WRITEBACK', 'kswapd0')).toBeGreaterThan(4); // case 2 (first meeting), then case 1
    expect(at(h, 'VMSCAN_THROTTLE_WRITEBACK')).toEqual([1000]);
    expect(h.rec.waitLanes().filter(([t, w]) => t === 'kswapd0' && w === 'reclaim_throttle')).toEqual([
      ['kswapd0', 'reclaim_throttle', 'io', 'pgdat->reclaim_wait[WRITEBACK]', 1000, 101_000],
    ]);
    expect(at(h, 'NR_WRITTEN')).toEqual([10_000, 10_000, 10_000, 10_000]);
    expect(at(h, 'PGROTATED')).toEqual([10_000, 10_000, 10_000, 10_000]);
    expect(at(h, 'PGSTEAL_KSWAPD')).toEqual([101_000, 101_000, 101_000, 101_000]);
    expect([0, 1, 2, 3].every((i) => v0.evicted.has(i))).toBe(true);
  });
});

describe('dirty thresholds and background writeback', () => {
  it('dirty_limits: the memcg domain (file pages + headroom under min(max, high)), bg halved when not below the limit', () => {
    const memcg = new MemCgroup({ max: 1000, high: 800, total: 0, other: 100, dirty_ratio: 20, dirty_background_ratio: 10 });
    // nothing charged but `other`: headroom 700, no file pages
    expect(dirty_limits(memcg)).toEqual({ thresh: 140, bg_thresh: 70 });
    const same = new MemCgroup({ max: 1000, high: 1000, total: 0, other: 0, dirty_ratio: 10, dirty_background_ratio: 10 });
    expect(dirty_limits(same)).toEqual({ thresh: 100, bg_thresh: 50 });
  });

  it('a scenario whose shared writes pass the background threshold: the flusher writes, f2fs writes meet writeback', () => {
    const sc = (bg: number) => scenarioFromObject({
      name: 'dirtier', description: 'four writers over a shared f2fs file', duration: '50ms', cpus: 4,
      io: { read: '100us', writeback: '200us' },
      memory: { max: 512, dirty_background_ratio: bg, dirty_ratio: Math.min(100, bg * 2) },
      vmas: [{ name: 'db', kind: 'file', shared: true, write: true, page_mkwrite: 'f2fs', pages: 64 }],
      threads: [{ name: 'w{i}', count: 4, think: '20us', ops: [{ op: 'fault', vma: 'db', access: 'write' }] }],
    });
    const low = measure({ scenario: sc(1), fault: 'mainline', fork: 'fork-lock-all', seed: 1 }).vmEvents;
    expect(low.NR_WRITTEN).toBeGreaterThan(0);
    expect(low.PAGE_MKWRITE_WB_WAIT).toBeGreaterThan(0);
    // At 100 % nothing crosses the threshold within 50 ms (the periodic pass is 5 s away): nothing is written.
    const high = measure({ scenario: sc(100), fault: 'mainline', fork: 'fork-lock-all', seed: 1 }).vmEvents;
    expect(high.NR_DIRTIED).toBeGreaterThan(0);
    expect(high.NR_WRITTEN ?? 0).toBe(0);
  });
});
