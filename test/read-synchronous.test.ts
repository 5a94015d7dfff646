/**
 * A file read on a BLK_FEAT_SYNCHRONOUS device (io.read_synchronous; zram:
 * zram_submit_bio -> zram_bio_read -> bio_endio in the submitter) completes in
 * the faulting task: the read law is its CPU, folio_end_read runs before
 * submit_bio returns, folio_wait_locked_killable returns at once (no sleep, no
 * wake-up). filemap_fault still drops the fault lock first and returns
 * VM_FAULT_RETRY (maybe_unlock_mmap_for_io and out_retry do not look at the
 * device), and a second task that finds the folio locked meanwhile sleeps on
 * it until the read ends. Lanes: handle_mm_fault 1 us, a read a constant 10 ms.
 */
import { describe, expect, it } from 'vitest';
import { do_user_addr_fault, VM_FAULT_NOPAGE, VM_FAULT_RETRY, VM_RAND_READ } from '../src/model/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import { buildMm } from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { lanes, type Lanes, type LaneOptions } from './lanes.js';

const ev = (h: Lanes): string[] => h.rec.vmEvents.map(([, e]) => e);

/** Read faults on page `pg` of VMA 0: one per [lane name, start µs]; each lane's final VM_FAULT_* bits. */
function faults(h: Lanes, pg: number, who: Array<[string, number]>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, at] of who) {
    h.lane(name, at, function* () {
      out.set(name, yield* do_user_addr_fault(h.mm, h.vma[0]!.vm_start + pg, false));
      h.mark('done');
    });
  }
  return out;
}

function setup(sync: boolean, o: LaneOptions & { random?: boolean } = {}): Lanes {
  const h = lanes(o);
  h.mm.readSynchronous = sync;
  if (o.random !== false) h.vma[0]!.vm_flags |= VM_RAND_READ;
  h.vma[0]!.evicted.add(1);
  return h;
}

describe('page_not_uptodate on a synchronous device (MADV_RANDOM: no readahead)', () => {
  /*
   * time(us)  0            1                                         10001        10002
   * F (VMA)   lock_vma ─── miss: create folio, trylock ✓, drop VMA lock,
   *                        ->read_folio: zram_bio_read on this CPU ─ folio_end_read, wait returns at once: RETRY
   * F (mmap)                                                          mmap_read ── fault-around maps it
   */
  for (const strategy of ['mainline', 'retry-vma']) {
    it(`${strategy}: the lock is still dropped and the fault still retries (plain RETRY: under mmap_lock), with no sleep`, () => {
      const h = setup(true, { strategy });
      const r = faults(h, 1, [['F', 0]]);
      h.run();
      expect(r.get('F')! & (VM_FAULT_NOPAGE | VM_FAULT_RETRY)).toBe(VM_FAULT_NOPAGE);
      expect(h.marks).toEqual([['F', 'done', 10_002]]);
      expect(h.rec.mmap).toEqual([['F', 'read', 10_001], ['F', 'up_read', 10_002]]);
      expect(ev(h)).toEqual(['PGMAJFAULT', 'PAGE_NOT_UPTODATE_READ', 'IO_READ', 'VMA_LOCK_RETRY', 'FAULT_RETRY', 'FAULT_MMAP_PATH', 'PGFAULT']);
      expect(h.rec.waitLanes()).toEqual([]); // the asynchronous device's folio_wait_locked is gone
      expect(h.vma[0]!.cache.get(1)).toMatchObject({ uptodate: true, locked: false });
    });
  }

  it('no wake-up: with Cost.wakeup 3 us the asynchronous read ends 3 us later, the synchronous one does not', () => {
    const end = (sync: boolean): number => {
      const h = setup(sync, { costs: { wakeup: 3_000 } });
      faults(h, 1, [['F', 0]]);
      h.run();
      return h.marks[0]![2];
    };
    expect(end(false)).toBe(10_005);
    expect(end(true)).toBe(10_002);
  });

  it('the read is CPU of the faulting task: on one CPU another task runs only once it ends', () => {
    const run = (sync: boolean): Array<[string, string, number]> => {
      const h = setup(sync, { cpus: 1, preempt: false });
      faults(h, 1, [['F', 0]]);
      faults(h, 3, [['G', 2]]); // a page-cache hit of another page: 1 us of CPU
      h.run();
      return h.marks;
    };
    // Asynchronous: G runs while F sleeps on the read. Synchronous: G waits for the CPU until the read
    // ends at 10001 (then runs first, queued before F's next step).
    expect(run(false)).toEqual([['G', 'done', 3], ['F', 'done', 10_002]]);
    expect(run(true)).toEqual([['G', 'done', 10_002], ['F', 'done', 10_003]]);
  });

  /*
   * time(us)  0            1                                         10001        10002
   * F         lock_vma ─── trylock ✓, drop, zram_bio_read ────────── end_read ─── RETRY, mmap_read, maps it
   * G              5 ─ lock_vma, hit a locked !uptodate folio: drop VMA lock, folio_lock ···· handed PG_locked 10001: RETRY
   * F's folio_wait_locked_killable then meets G's hold (the hand-off) until G unlocks, as filemap_read_folio would.
   */
  it('a second fault on the page during the read sleeps on the folio lock and is woken by the read\'s end', () => {
    const h = setup(true);
    faults(h, 1, [['F', 0], ['G', 5]]);
    h.run();
    expect(h.marks).toEqual([['G', 'done', 10_002], ['F', 'done', 10_002]]);
    expect(h.rec.waitLanes()).toEqual([
      ['G', 'folio_lock', 'io', 'folio[0:1]', 6, 10_001], // behind the read, the folio locked for I/O by F
      ['F', 'folio_wait_locked', 'folio', 'folio[0:1]', 10_001, 10_001], // not during its own read
    ]);
  });
});

describe('readahead on a synchronous device', () => {
  it('a read-around window is read in the faulting task, its transfer time (io.read_bandwidth) included', () => {
    const end = (sync: boolean): { done: number; waits: number } => {
      const h = setup(sync, { random: false, readNsPerPage: 2_000 });
      faults(h, 1, [['F', 0]]);
      h.run();
      return { done: h.marks[0]![2], waits: h.rec.waitLanes().length };
    };
    // 16 pages (the window clamped to the 16-page file): 10 ms + 15 x 2 us, as the asynchronous request.
    expect(end(false)).toEqual({ done: 10_032, waits: 1 });
    expect(end(true)).toEqual({ done: 10_032, waits: 0 });
  });

  for (const [strategy, mmap] of [['mainline', true], ['retry-vma', false]] as const) {
    it(`${strategy}: the window is uptodate when read_pages returns; fpin still ends the fault in RETRY, retried under ${mmap ? 'mmap_lock' : 'the VMA lock'}`, () => {
      const h = setup(true, { strategy, random: false });
      faults(h, 1, [['F', 0]]);
      h.run();
      expect(h.marks).toEqual([['F', 'done', 10_002]]);
      expect(h.rec.mmap).toEqual(mmap ? [['F', 'read', 10_001], ['F', 'up_read', 10_002]] : []);
      expect(ev(h)).toContain('FAULT_RETRY');
      expect(ev(h).includes('FAULT_RETRY_VMA')).toBe(!mmap);
      expect(ev(h)).not.toContain('PAGE_NOT_UPTODATE_READ');
      expect(h.rec.waitLanes()).toEqual([]);
    });
  }
});

describe('the device property in a scenario', () => {
  it('io.read_synchronous (default false) reaches the mm', () => {
    const base = { name: 'x', description: 'x', duration: '1ms', vmas: [{ name: 'f', kind: 'file', pages: 16 }], threads: [{ name: 't', think: '10us', ops: [{ op: 'fault', vma: 'f' }] }] };
    for (const [io, want] of [[undefined, false], [{ read_synchronous: true }, true], [{ read_synchronous: false }, false]] as const) {
      const sc = scenarioFromObject(io === undefined ? base : { ...base, io });
      expect(sc.io.read_synchronous).toBe(want);
      expect(buildMm(sc, faultStrategy('mainline'), forkStrategy('fork-lock-all')).mm.readSynchronous).toBe(want);
    }
  });
});
