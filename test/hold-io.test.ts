/**
 * hold-io is Matthew Wilcox's proposal: keep the per-VMA lock across I/O
 * ("ripping out all the complexity now that we have per-VMA locks", 2026-04-30
 * 12:37 UTC). A fault that already runs under mmap_lock keeps mainline's
 * drop-and-retry; `hold-io+mmap` is the old reading that also holds mmap_lock
 * across the I/O. Same split for hold-io-file (file I/O only).
 *
 * Reads take 10 ms (test/helpers.ts scenario()); handle_mm_fault costs 1 us.
 */
import { describe, expect, it } from 'vitest';
import { do_user_addr_fault, mmap_write_lock, mmap_write_unlock, vma_start_write } from '../src/model/index.js';
import { hold, lanes } from './lanes.js';

/*
 * Under the VMA lock: F read-faults a page of vma 1 that is not in the page
 * cache; a probe looks at the locks at 5 ms, in the middle of the 10 ms read.
 *
 *   time(ms)  0                                5          10
 *   F         lock_vma_under_rcu, filemap_fault: read I/O ────── (mainline: retry)
 *   probe                                      VMA readers? mmap_lock readers?
 */
function underVmaLock(strategy: string): string {
  const h = lanes({ strategy });
  const v = h.vma[1]!;
  v.evicted.add(h.addr(1) - v.vm_start);
  h.lane('F', 0, function* () { yield* do_user_addr_fault(h.mm, h.addr(1), false); });
  h.probe('probe', 5000, () => h.mark(`vma readers=${v.nrReaders} mmap readers=${h.mm.mmap_lock.readers.length}`));
  h.run();
  return h.marks[0]![1];
}

/*
 * Under mmap_lock: W write-locks vma 0 from 0 to 10 us, so F's
 * lock_vma_under_rcu fails (VMA_LOCK_ABORT) and F falls back to mmap_lock,
 * which it gets at 10 us; its read fault then needs I/O.
 *
 *   time(us)  0                    1                        10     11            10011
 *   W         mmap_write_lock, vma_start_write ─────────── unlock
 *   F                              lock_vma ✗, mmap_read_lock ···· read, filemap_fault: read I/O
 *             hold-io:      mmap_read_unlock before the I/O (11 us), retry after it
 *             hold-io+mmap: mmap_lock held across the I/O, up_read at 10011 us
 */
function underMmapLock(strategy: string): Array<[string, string, number]> {
  const h = lanes({ strategy });
  const v = h.vma[0]!;
  v.evicted.add(h.addr(0) - v.vm_start);
  h.lane('W', 0, function* () {
    yield* mmap_write_lock(h.mm);
    yield* vma_start_write(v);
    yield* hold(10);
    mmap_write_unlock(h.mm);
  });
  h.lane('F', 1, function* () { yield* do_user_addr_fault(h.mm, h.addr(0), false); });
  h.run();
  return h.rec.mmap.filter(([t]) => t === 'F');
}

describe('hold-io (Willy): the VMA lock is held across I/O', () => {
  it('hold-io, hold-io+mmap, hold-io-file, hold-io-file+mmap keep the VMA read lock during a file read; mainline drops it', () => {
    for (const s of ['hold-io', 'hold-io+mmap', 'hold-io-file', 'hold-io-file+mmap']) {
      expect(underVmaLock(s), s).toBe('vma readers=1 mmap readers=0');
    }
    expect(underVmaLock('mainline')).toBe('vma readers=0 mmap readers=0');
  });
});

describe('hold-io (Willy): a fault under mmap_lock keeps mainline\'s drop-and-retry; +mmap holds mmap_lock', () => {
  it('hold-io and hold-io-file drop mmap_lock for the read and retry, as mainline does', () => {
    const main = underMmapLock('mainline');
    expect(main.slice(0, 3)).toEqual([['F', 'read (trylock failed)', 1], ['F', 'read', 10], ['F', 'up_read', 11]]);
    expect(underMmapLock('hold-io')).toEqual(main);
    expect(underMmapLock('hold-io-file')).toEqual(main);
  });

  it('hold-io+mmap and hold-io-file+mmap hold mmap_lock across the 10 ms read', () => {
    const held = [['F', 'read (trylock failed)', 1], ['F', 'read', 10], ['F', 'up_read', 10011]];
    expect(underMmapLock('hold-io+mmap')).toEqual(held);
    expect(underMmapLock('hold-io-file+mmap')).toEqual(held);
  });
});
