/**
 * Barry Song's chained wait (2026-05-19, v2 thread): threads 1-3 fault on
 * vma1..vma3 and need read I/O; thread 4 forks; thread 5 then wants mmap_lock.
 *
 *   time(ms)  0        1          2                         10
 *   T1..T3    fault ── I/O (10 ms, read) ─────────────────────┤
 *   T4                 fork: mmap_write_lock, vma_start_write(vma1..3)
 *   T5                            mprotect(vma4): mmap_write_lock
 *
 * hold-io: T4 sleeps in vma_start_write(vma1) until T1's I/O ends, then T5
 * sleeps behind T4's mmap write lock. mainline: faults dropped their VMA locks
 * before the I/O, so neither waits.
 */
import { describe, expect, it } from 'vitest';
import { barrySetup } from './barry-setup.js';
import { ms, Recorder, us } from './helpers.js';

function runBarry(strategy: string): Recorder {
  const rec = new Recorder();
  barrySetup(strategy, rec).sim.run(ms(50));
  return rec;
}

describe('Barry Song five-thread chain (fork behind fault I/O)', () => {
  it('hold-io + fork-lock-all: fork waits for the I/O, the fifth thread waits behind fork', () => {
    const rec = runBarry('hold-io');
    // T1 holds vma1's read lock from t=0 through its I/O (1us CPU, then 10ms read).
    expect(rec.op('T1')).toMatchObject({ begin: 0, end: ms(10) + us(1) });
    // Fork: mmap write at 1ms, vma_start_write(vma1) sleeps until T1's vma_end_read.
    const forkWait = rec.waitsOf('T4');
    expect(forkWait).toEqual([
      { task: 'T4', what: 'vma_start_write', cls: 'vma_lock', res: 'vma[0:vma]', begin: ms(1), end: ms(10) + us(1) },
    ]);
    // Then 4 VMAs x dup_vma(1us).
    expect(rec.op('T4', 'fork')).toMatchObject({ begin: ms(1), end: ms(10) + us(5) });
    // T5 queues on mmap_lock behind the fork's write lock for the whole I/O.
    expect(rec.waitsOf('T5')).toEqual([
      { task: 'T5', what: 'down_write', cls: 'mmap_lock', res: 'mm->mmap_lock', begin: ms(2), end: ms(10) + us(5) },
    ]);
    expect(rec.op('T5', 'mprotect')).toMatchObject({ begin: ms(2), end: ms(10) + us(6) });
  });

  it('mainline + fork-lock-all: neither fork nor the fifth thread waits for I/O', () => {
    const rec = runBarry('mainline');
    expect(rec.waitsOf('T4')).toEqual([]);
    expect(rec.op('T4', 'fork')).toMatchObject({ begin: ms(1), end: ms(1) + us(4) });
    expect(rec.waitsOf('T5')).toEqual([]);
    expect(rec.op('T5', 'mprotect')).toMatchObject({ begin: ms(2), end: ms(2) + us(1) });
    // The faults dropped the VMA lock, waited for the read (class io), and
    // retried under mmap_lock: 1us + 10ms + 1us.
    expect(rec.waitsOf('T1').map((w) => [w.what, w.cls, w.begin, w.end])).toEqual([['folio_lock', 'io', us(1), ms(10) + us(1)]]);
    expect(rec.op('T1')).toMatchObject({ begin: 0, end: ms(10) + us(2) });
  });
});
