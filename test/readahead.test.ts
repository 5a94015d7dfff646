/**
 * filemap_fault's readahead paths (mm/filemap.c do_sync_mmap_readahead,
 * do_async_mmap_readahead, page_not_uptodate; v7.0) and where each one drops
 * the fault lock, which decides where patch 1/5 of the series retries:
 *
 * - read-around (normal): the lock is dropped in do_sync_mmap_readahead, the
 *   fault waits for the in-flight folio with `fpin` set and returns
 *   RETRY|MAJOR, marked VM_FAULT_RETRY_VMA by patch 1/5;
 * - no readahead (MADV_RANDOM, ra_pages 0, mmap_miss > MMAP_LOTSAMISS): the
 *   lock is dropped in page_not_uptodate, which jumps to out_retry with a
 *   plain VM_FAULT_RETRY: retry-vma still retries under mmap_lock;
 * - a hit on a PG_readahead folio: do_async_mmap_readahead drops the lock,
 *   the fault returns RETRY without MAJOR; mainline falls back to mmap_lock.
 *
 * Lanes: handle_mm_fault costs 1 us, a read is a constant 10 ms.
 */
import { describe, expect, it } from 'vitest';
import {
  do_user_addr_fault, Folio, MMAP_LOTSAMISS, VM_FAULT_MAJOR, VM_FAULT_NOPAGE, VM_FAULT_RETRY, VM_RAND_READ,
} from '../src/model/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import { buildMm, readNsPerPage } from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { lanes, type Lanes } from './lanes.js';

/** One read fault on page `pg` of VMA 0, started at 0; returns its final VM_FAULT_* bits. */
function faultOnce(h: Lanes, pg: number): { ret: number } {
  const out = { ret: -1 };
  h.lane('F', 0, function* () {
    out.ret = yield* do_user_addr_fault(h.mm, h.vma[0]!.vm_start + pg, false);
    h.mark('done');
  });
  return out;
}

const ev = (h: Lanes): string[] => h.rec.vmEvents.map(([, e]) => e);

describe('do_sync_mmap_readahead: read-around vs no readahead', () => {
  /*
   * time(us)  0            1                                10001         10002
   * F (VMA)   lock_vma ─── miss: drop VMA lock, submit ···· folio_lock ── RETRY(|RETRY_VMA)
   * F (retry)                                                             mainline: mmap_lock / retry-vma: VMA lock
   */
  for (const [strategy, mmap] of [['mainline', true], ['retry-vma', false]] as const) {
    it(`${strategy}: a read-around miss retries under ${mmap ? 'mmap_lock' : 'the VMA lock'}`, () => {
      const h = lanes({ strategy });
      h.vma[0]!.evicted.add(1);
      const f = faultOnce(h, 1);
      h.run();
      expect(f.ret & (VM_FAULT_NOPAGE | VM_FAULT_RETRY)).toBe(VM_FAULT_NOPAGE);
      expect(h.marks).toEqual([['F', 'done', 10_002]]);
      expect(h.rec.mmap).toEqual(mmap ? [['F', 'read', 10_001], ['F', 'up_read', 10_002]] : []);
      expect(ev(h)).not.toContain('PAGE_NOT_UPTODATE_READ');
      expect(ev(h).includes('FAULT_RETRY_VMA')).toBe(!mmap);
      expect(h.vma[0]!.f_ra).toMatchObject({ start: 0, size: 32, async_size: 8, mmap_miss: 0 });
    });
  }

  /*
   * time(us)  0            1                                               10001        10002
   * F (VMA)   lock_vma ─── miss, VM_RAND_READ: create folio, trylock ✓,
   *                        page_not_uptodate: drop VMA lock, read_folio ··· RETRY (plain: out_retry)
   * F (mmap)                                                               mmap_read ── fault-around maps it
   */
  const noRa: Array<[string, (h: Lanes) => void]> = [
    ['MADV_RANDOM (VM_RAND_READ)', (h) => { h.vma[0]!.vm_flags |= VM_RAND_READ; }],
    ['read_ahead_kb = 0 (ra_pages 0)', (h) => { h.vma[0]!.f_ra.ra_pages = 0; }],
    ['mmap_miss above MMAP_LOTSAMISS', (h) => { h.vma[0]!.f_ra.mmap_miss = MMAP_LOTSAMISS; }],
  ];
  for (const [what, setup] of noRa) {
    it(`retry-vma, ${what}: the lock is dropped in page_not_uptodate and the retry runs under mmap_lock`, () => {
      const h = lanes({ strategy: 'retry-vma' });
      setup(h);
      h.vma[0]!.evicted.add(1);
      const f = faultOnce(h, 1);
      h.run();
      expect(f.ret & (VM_FAULT_NOPAGE | VM_FAULT_RETRY)).toBe(VM_FAULT_NOPAGE);
      expect(h.marks).toEqual([['F', 'done', 10_002]]);
      expect(h.rec.mmap).toEqual([['F', 'read', 10_001], ['F', 'up_read', 10_002]]);
      expect(ev(h)).toEqual([
        'PGMAJFAULT', ...(what.startsWith('mmap_miss') ? ['MMAP_LOTSAMISS'] : []), // only the cut-off counts MMAP_LOTSAMISS
        'PAGE_NOT_UPTODATE_READ', 'IO_READ', 'VMA_LOCK_RETRY', 'FAULT_RETRY', 'FAULT_MMAP_PATH', 'PGFAULT',
      ]);
      expect(h.rec.waitLanes()).toEqual([['F', 'folio_wait_locked', 'io', 'folio[0:1]', 1, 10_001]]);
    });
  }

  it('mmap_miss counts sync misses up (capped at 10 x MMAP_LOTSAMISS) and fault-around hits down', () => {
    const h = lanes();
    const ra = h.vma[0]!.f_ra;
    ra.mmap_miss = MMAP_LOTSAMISS * 10;
    h.vma[0]!.evicted.add(1);
    faultOnce(h, 1);
    h.run();
    // The miss does not raise it past the cap; the retry's fault-around hit lowers it by one.
    expect(ra.mmap_miss).toBe(MMAP_LOTSAMISS * 10 - 1);
    expect(ev(h)).toContain('PAGE_NOT_UPTODATE_READ');
  });

  it('the read-around window is one request: its transfer time scales with its size (io.read_bandwidth)', () => {
    // 2000 ns per 4 KiB page beyond the first (2048 MB/s).
    const ends: Array<[string, number]> = [];
    for (const random of [false, true]) {
      const h = lanes({ readNsPerPage: 2000 });
      if (random) h.vma[0]!.vm_flags |= VM_RAND_READ;
      h.vma[0]!.evicted.add(1);
      faultOnce(h, 1);
      h.run();
      ends.push([random ? 'random' : 'read-around', h.marks[0]![2]]);
    }
    // Read-around of 32 pages centred on pgoff 1 starts at 0 and is clamped to the
    // 16-page file: 16 pages, 15 x 2 us of transfer. MADV_RANDOM reads one page.
    expect(ends).toEqual([['read-around', 10_032], ['random', 10_002]]);
  });
});

describe('do_async_mmap_readahead: a hit on a PG_readahead folio', () => {
  /** VMA 0: a read-around window [0, 8) whose marker (start + size - async_size) is page 6, uptodate. */
  function marker(h: Lanes): Folio {
    const vma = h.vma[0]!;
    Object.assign(vma.f_ra, { start: 0, size: 8, async_size: 2 });
    const f = new Folio(vma.id, 6);
    f.uptodate = true;
    f.readahead = true;
    vma.cache.set(6, f);
    vma.evicted.add(8); // the next window's first page is not cached
    return f;
  }

  /*
   * time(us)  0            1                                       2
   * F (VMA)   lock_vma ─── hit, PG_readahead: drop, async RA ───── RETRY (no MAJOR, no TRIED)
   * F (retry)              mainline: mmap_read ─ fault-around maps it / retry-vma: VMA lock
   */
  for (const [strategy, mmap] of [['mainline', true], ['retry-vma', false]] as const) {
    it(`${strategy}: drops the lock, starts the next window, returns RETRY; the retry runs under ${mmap ? 'mmap_lock' : 'the VMA lock'}`, () => {
      const h = lanes({ strategy });
      const f = marker(h);
      const r = faultOnce(h, 6);
      h.run();
      expect(r.ret & (VM_FAULT_NOPAGE | VM_FAULT_MAJOR | VM_FAULT_RETRY)).toBe(VM_FAULT_NOPAGE);
      expect(f.readahead).toBe(false);
      expect(h.marks).toEqual([['F', 'done', 2]]);
      expect(h.rec.mmap).toEqual(mmap ? [['F', 'read', 1], ['F', 'up_read', 2]] : []);
      expect(ev(h)).toEqual([
        'ASYNC_READAHEAD', 'IO_READ', 'VMA_LOCK_RETRY', 'FAULT_RETRY',
        ...(mmap ? ['FAULT_MMAP_PATH', 'PGFAULT'] : ['FAULT_RETRY_VMA', 'PGFAULT', 'VMA_LOCK_SUCCESS']),
      ]);
      // The window moved on and grew (get_next_ra_size: 8 < 32/16 is false, 8 <= 16: x2);
      // its first folio carries the next marker and is under read I/O.
      const vma = h.vma[0]!;
      expect(vma.f_ra).toMatchObject({ start: 8, size: 16, async_size: 16 });
      const next = vma.cache.get(8)!;
      expect([next.readahead, next.locked || next.uptodate]).toEqual([true, true]);
    });
  }

  it('a marker hit away from the window (non-sequential): the window restarts after it, 1 + ra_pages long (get_next_ra_size keeps a size above max)', () => {
    const h = lanes({ strategy: 'mainline' });
    const vma = h.vma[0]!;
    Object.assign(vma.f_ra, { start: 0, size: 4, async_size: 1 }); // marker would be page 3
    const f = new Folio(vma.id, 9);
    f.uptodate = true;
    f.readahead = true;
    vma.cache.set(9, f);
    vma.evicted.add(10);
    faultOnce(h, 9);
    h.run();
    expect(vma.f_ra).toMatchObject({ start: 10, size: 33, async_size: 33 });
    // The request is clamped to the 16-page file: pages 10-15.
    expect(vma.cache.get(10)!.readahead).toBe(true);
  });

  it('MADV_RANDOM: the marker is ignored, fault-around skips it and filemap_fault maps it without dropping', () => {
    const h = lanes({ strategy: 'mainline' });
    const f = marker(h);
    h.vma[0]!.vm_flags |= VM_RAND_READ;
    const r = faultOnce(h, 6);
    h.run();
    expect(r.ret & (VM_FAULT_MAJOR | VM_FAULT_RETRY)).toBe(0);
    expect(f.readahead).toBe(true);
    expect(h.rec.mmap).toEqual([]);
    expect(ev(h)).toEqual(['PGFAULT', 'VMA_LOCK_SUCCESS']);
  });
});

describe('scenario format: vmas[].readahead and io.read_bandwidth', () => {
  const base = {
    name: 'ra', description: 'readahead settings', duration: '10ms',
    io: { read_bandwidth: 2048 },
    vmas: [
      { name: 'normal', kind: 'file', pages: 16 },
      { name: 'random', kind: 'file', pages: 16, readahead: 'random' },
      { name: 'off', kind: 'file', pages: 16, readahead: 'off' },
    ],
    threads: [{ name: 't', think: '1ms', ops: [{ op: 'fault', vma: 'normal', states: { cached: 1 } }] }],
  };

  it('random sets VM_RAND_READ, off sets ra_pages 0; the bandwidth becomes ns per page', () => {
    const sc = scenarioFromObject(base);
    expect(sc.vmas.map((g) => g.readahead)).toEqual([undefined, 'random', 'off']);
    expect(sc.io.read_bandwidth).toBe(2048);
    expect(readNsPerPage(2048)).toBe(2000);
    const { mm } = buildMm(sc, faultStrategy('mainline'), forkStrategy('fork-lock-all'));
    expect(mm.vmas.map((v) => [(v.vm_flags & VM_RAND_READ) !== 0, v.f_ra.ra_pages])).toEqual([
      [false, 32], [true, 32], [false, 0],
    ]);
  });

  it('readahead on an anonymous VMA, or an unknown mode, is an error naming the path', () => {
    const anon = { ...base, vmas: [...base.vmas, { name: 'heap', kind: 'anon', pages: 16, readahead: 'random' }] };
    expect(() => scenarioFromObject(anon)).toThrow(/vmas\[3\]\.readahead: readahead applies to file VMAs only/);
    const bad = { ...base, vmas: [{ name: 'normal', kind: 'file', pages: 16, readahead: 'sequential' }] };
    expect(() => scenarioFromObject(bad)).toThrow(/vmas\[0\]\.readahead: .*one of: normal, random, off/);
  });
});
