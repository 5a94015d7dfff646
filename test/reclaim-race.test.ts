/**
 * The series' premise (cover letter's RETRY_IO_MISS): a fault drops its lock
 * to read, the read completes, and before the retry looks the page up again
 * reclaim (mm/vmscan.c shrink_folio_list) takes the folio. The retry runs
 * with FAULT_FLAG_TRIED, so maybe_unlock_mmap_for_io no longer drops
 * (fault_flag_allow_retry_first is false): the second read is submitted and
 * waited for holding the lock the retry took. Under mainline that is mmap_lock
 * for read, and a writer (mprotect of another VMA) queues behind it, and a
 * later reader behind the writer; under retry-vma it is the VMA lock of the
 * faulting VMA, and neither waits.
 *
 * Lanes: handle_mm_fault costs 1 us, a read is a constant 10 ms; VMA 0 and
 * VMA 1 are separate 16-page files.
 */
import { describe, expect, it } from 'vitest';
import {
  do_mprotect_pkey, do_user_addr_fault, Folio, folio_trylock, folio_unlock, mmap_read_lock, mmap_read_unlock,
  shrink_folio_list, VM_FAULT_MAJOR, VM_FAULT_RETRY,
} from '../src/model/index.js';
import { lanes, type Lanes } from './lanes.js';

interface Race { h: Lanes; ret: number; reclaimed: number }

/**
 * A faults on page 1 of VMA 0 (not cached) at 0; reclaim R runs at 10001.5 us
 * (after the read completed at 10001 and A returned RETRY, before A's retry
 * looks the page up at 10002) unless `reclaim` is false; W mprotects VMA 1 at
 * 10005; C takes mmap_lock for read at 10010.
 */
function race(strategy: string, reclaim: boolean): Race {
  const h = lanes({ strategy });
  const vma = h.vma[0]!;
  vma.evicted.add(1);
  const r: Race = { h, ret: -1, reclaimed: -1 };
  h.lane('A', 0, function* () {
    r.ret = yield* do_user_addr_fault(h.mm, vma.vm_start + 1, false);
    h.mark('fault done');
  });
  if (reclaim) {
    h.probe('R', 10_001.5, () => {
      const f = vma.cache.get(1);
      r.reclaimed = f === undefined ? 0 : shrink_folio_list(vma, [f]);
    });
  }
  h.lane('W', 10_005, function* () {
    yield* do_mprotect_pkey(h.mm, h.addr(1), 1);
    h.mark('mprotect done');
  });
  h.lane('C', 10_010, function* () {
    yield* mmap_read_lock(h.mm);
    h.mark('mmap_read_lock');
    mmap_read_unlock(h.mm);
  });
  h.run();
  return r;
}

const count = (h: Lanes, task: string, e: string): number =>
  h.rec.vmEvents.filter(([t, n]) => t === task && n === e).length;

describe('reclaim between the read and the retry: the second read holds the lock it retried under', () => {
  /*
   * time(us)  0        1           10001      10001.5       10002                              20002
   * A         VMA lk ─ drop, read ··· RETRY ── mmap_read ──── miss again (TRIED): read, HOLD ···· map, up_read
   * R                                          reclaim ✓
   * W                                                              10005 down_write ·············· mprotect
   * C                                                              10010 down_read ··················· read
   */
  it('mainline: the second read holds mmap_lock for read; a queued writer and a third reader wait behind it', () => {
    const { h, ret, reclaimed } = race('mainline', true);
    expect(reclaimed).toBe(1);
    expect(ret & (VM_FAULT_MAJOR | VM_FAULT_RETRY)).toBe(VM_FAULT_MAJOR);
    expect(h.marks).toEqual([
      ['A', 'fault done', 20_002],
      ['W', 'mprotect done', 20_002],
      ['C', 'mmap_read_lock', 20_002],
    ]);
    expect(h.rec.mmap).toEqual([
      ['A', 'read', 10_001], ['A', 'up_read', 20_002],
      ['W', 'write', 20_002], ['W', 'up_write', 20_002],
      ['C', 'read', 20_002], ['C', 'up_read', 20_002],
    ]);
    expect(h.rec.waitLanes()).toEqual([
      ['A', 'folio_lock', 'io', 'folio[0:1]', 1, 10_001],
      ['A', 'folio_lock', 'io', 'folio[0:1]', 10_002, 20_002],
      ['W', 'down_write', 'mmap_lock', 'mm->mmap_lock', 10_005, 20_002],
      ['C', 'down_read', 'mmap_lock', 'mm->mmap_lock', 10_010, 20_002],
    ]);
    expect([count(h, 'A', 'RETRY_IO_MISS'), count(h, 'A', 'RETRY_IO_MISS_VMA'), count(h, 'A', 'FAULT_HOLD_WAIT')]).toEqual([1, 0, 1]);
    expect(count(h, 'A', 'PGMAJFAULT')).toBe(2);
  });

  it('retry-vma: the second read holds only the VMA lock; the writer and the reader do not wait', () => {
    const { h, ret, reclaimed } = race('retry-vma', true);
    expect(reclaimed).toBe(1);
    expect(ret & (VM_FAULT_MAJOR | VM_FAULT_RETRY)).toBe(VM_FAULT_MAJOR);
    expect(h.marks).toEqual([
      ['W', 'mprotect done', 10_005],
      ['C', 'mmap_read_lock', 10_010],
      ['A', 'fault done', 20_002],
    ]);
    expect(h.rec.mmap).toEqual([
      ['W', 'write', 10_005], ['W', 'up_write', 10_005],
      ['C', 'read', 10_010], ['C', 'up_read', 10_010],
    ]);
    expect(h.rec.waitLanes()).toEqual([
      ['A', 'folio_lock', 'io', 'folio[0:1]', 1, 10_001],
      ['A', 'folio_lock', 'io', 'folio[0:1]', 10_002, 20_002],
    ]);
    expect([count(h, 'A', 'RETRY_IO_MISS'), count(h, 'A', 'RETRY_IO_MISS_VMA'), count(h, 'A', 'FAULT_HOLD_WAIT')]).toEqual([1, 1, 1]);
  });

  it('control, mainline without reclaim: the retry finds the folio and nobody waits', () => {
    const { h } = race('mainline', false);
    expect(h.marks).toEqual([
      ['A', 'fault done', 10_002],
      ['W', 'mprotect done', 10_005],
      ['C', 'mmap_read_lock', 10_010],
    ]);
    expect(count(h, 'A', 'RETRY_IO_MISS')).toBe(0);
  });
});

describe('shrink_folio_list keeps folios someone is using', () => {
  it('a locked folio (folio_trylock fails), a referenced one (folio_ref_freeze fails) and one under writeback stay', () => {
    const h = lanes();
    const vma = h.vma[0]!;
    const mk = (i: number): Folio => {
      const f = new Folio(vma.id, i);
      f.uptodate = true;
      vma.cache.set(i, f);
      return f;
    };
    const locked = mk(1), referenced = mk(2), wb = mk(3), idle = mk(4);
    h.probe('R', 0, () => {
      expect(folio_trylock(locked)).toBe(true);
      referenced.refcount = 1;
      wb.writeback = true;
      expect(shrink_folio_list(vma, [locked, referenced, wb, idle])).toBe(1);
      folio_unlock(locked);
    });
    h.run();
    expect([1, 2, 3, 4].map((i) => [vma.cache.get(i) !== undefined, vma.evicted.has(i)])).toEqual([
      [true, false], [true, false], [true, false], [false, true],
    ]);
    expect([locked.locked, referenced.locked, wb.locked]).toEqual([false, false, false]);
  });
});
