/**
 * mm->mmap_lock as a rw_semaphore (src/model/rwsem.ts, kernel/locking/rwsem.c):
 * who waits for whom, and when the lock is handed over. Every test drives the
 * real engine with hand-written lanes and checks exact times (us).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  install_sched, mmap_read_trylock, mmap_read_unlock, mmap_write_downgrade, mmap_write_lock,
  RwSemaphore, type Task,
} from '../src/model/index.js';
import { hold, lanes, reader, writer } from './lanes.js';


describe('rwsem: a queued writer blocks new readers (R1/R3)', () => {
  /*
   * time(us)  0            2             4         5               10              15
   * R1        down_read ─────────────────────────────────────────  up_read
   * W                      down_write ··································· write ─────── up_write
   * R2                                   trylock ✗ (writer queued)
   * R3                                             down_read ········································ read
   */
  it('mmap_read_trylock fails and mmap_read_lock queues while a writer waits behind a reader', () => {
    const h = lanes();
    reader(h, 'R1', 0, 10);
    writer(h, 'W', 2, 5);
    h.probe('R2', 4, () => {
      const ok = mmap_read_trylock(h.mm);
      h.mark(`trylock=${ok} writersQueued=${h.mm.mmap_lock.writersQueued} readers=${h.mm.mmap_lock.readers.length}`);
    });
    reader(h, 'R3', 5, 1);
    h.run();
    expect(h.marks).toEqual([
      ['R1', 'read', 0],
      ['R2', 'trylock=false writersQueued=1 readers=1', 4],
      ['W', 'write', 10],
      ['R3', 'read', 15],
    ]);
    expect(h.rec.waitLanes()).toEqual([
      ['W', 'down_write', 'mmap_lock', 'mm->mmap_lock', 2, 10],
      ['R3', 'down_read', 'mmap_lock', 'mm->mmap_lock', 5, 15],
    ]);
    expect(h.rec.mmap).toContainEqual(['R2', 'read (trylock failed)', 4]);
  });

  /*
   * time(us)  0           1     2     3            10
   * R1        down_read ─ up_read@1
   * R2                    down_read  (no writer: shares)
   * R3                                trylock ✓
   */
  it('without a writer queued, readers share the lock and trylock succeeds', () => {
    const h = lanes();
    reader(h, 'R1', 0, 5);
    reader(h, 'R2', 1, 5);
    h.probe('R3', 2, () => {
      const ok = mmap_read_trylock(h.mm);
      h.mark(`trylock=${ok} readers=${h.mm.mmap_lock.readers.length}`);
      if (ok) mmap_read_unlock(h.mm);
    });
    h.run();
    expect(h.marks).toEqual([['R1', 'read', 0], ['R2', 'read', 1], ['R3', 'trylock=true readers=3', 2]]);
    expect(h.rec.waits).toEqual([]);
  });
});

describe('rwsem: up_write grants the readers queued behind the writer together', () => {
  /*
   * time(us)  0            1          2          3                10          12
   * W         down_write ───────────────────────────────────────── up_write
   * R1                     down_read ··································· read ──── up_read
   * R2                                down_read ························ read ──── up_read
   * R3                                           down_read ············· read ──── up_read
   */
  it('all three readers get the lock at the up_write instant and hold it concurrently', () => {
    const h = lanes({ readerWake: 'prefix' });
    writer(h, 'W', 0, 10);
    reader(h, 'R1', 1, 2);
    reader(h, 'R2', 2, 2);
    reader(h, 'R3', 3, 2);
    let holdersAt11 = -1;
    h.probe('probe', 11, () => { holdersAt11 = h.mm.mmap_lock.readers.length; });
    h.run();
    expect(h.marks).toEqual([['W', 'write', 0], ['R1', 'read', 10], ['R2', 'read', 10], ['R3', 'read', 10]]);
    expect(holdersAt11).toBe(3);
    expect(h.rec.waitLanes().map(([t, , , , b, e]) => [t, b, e])).toEqual([['R1', 1, 10], ['R2', 2, 10], ['R3', 3, 10]]);
  });
});

describe('rwsem: readers queued behind a second writer (rwsem_mark_wake)', () => {
  /*
   * time(us)  0           1          2           3               10          15          20
   * W1        down_write ──────────────────────────────────────── up_write
   * R1                    down_read ····································· read ───── up_read
   * W2                               down_write ··································· ?
   * R2                                           down_read ·········· ?
   *
   * reader_wake 'all'   : R2 is admitted at 10 with R1 (queued writers are skipped); W2 at 15.
   * reader_wake 'prefix': only R1 at 10; W2 at 15 (R1's up_read); R2 at 20 (W2's up_write).
   */
  function run(mode: 'all' | 'prefix') {
    const h = lanes({ readerWake: mode });
    writer(h, 'W1', 0, 10);
    reader(h, 'R1', 1, 5);
    writer(h, 'W2', 2, 5);
    reader(h, 'R2', 3, 5);
    let queueAt11: string[] = [];
    h.probe('probe', 11, () => {
      queueAt11 = h.mm.mmap_lock.queue().map((q) => `${q.task.comm}:${q.write ? 'w' : 'r'}`);
    });
    h.run();
    return { h, queueAt11 };
  }

  it("'all': the reader behind the second writer is admitted too; the writer keeps its place", () => {
    const { h, queueAt11 } = run('all');
    expect(h.marks).toEqual([['W1', 'write', 0], ['R1', 'read', 10], ['R2', 'read', 10], ['W2', 'write', 15]]);
    expect(queueAt11).toEqual(['W2:w']);
  });

  it("'prefix': only the readers ahead of the second writer are admitted", () => {
    const { h, queueAt11 } = run('prefix');
    expect(h.marks).toEqual([['W1', 'write', 0], ['R1', 'read', 10], ['W2', 'write', 15], ['R2', 'read', 20]]);
    expect(queueAt11).toEqual(['W2:w', 'R2:r']);
  });
});

describe('rwsem: the last up_read hands the lock to the writer at the head', () => {
  /*
   * time(us)  0            5              10          20
   * R1        down_read ─────────────────  up_read
   * R2        down_read ─────────────────────────────── up_read
   * W                      down_write ······························ write (at 20, not 10)
   */
  it('the writer is woken by the last reader, owning the lock', () => {
    const h = lanes();
    reader(h, 'R1', 0, 10);
    reader(h, 'R2', 0, 20);
    writer(h, 'W', 5, 1);
    let writerAt20: string | null = null;
    h.probe('probe', 20, () => { writerAt20 = h.mm.mmap_lock.writer?.comm ?? null; });
    h.run();
    expect(h.marks).toEqual([['R1', 'read', 0], ['R2', 'read', 0], ['W', 'write', 20]]);
    expect(h.rec.waitLanes()).toEqual([['W', 'down_write', 'mmap_lock', 'mm->mmap_lock', 5, 20]]);
    // Handed over at the up_read: the lock is the writer's before it runs.
    expect(writerAt20).toBe('W');
  });
});

describe('rwsem: downgrade_write admits the readers at the head of the queue', () => {
  /*
   * time(us)  0            1         2         3           4           10          13        20       25
   * W         down_write ─────────────────────────────────────────── downgrade ───────────── up_read
   * R1                     down_read ···································· read ─── up_read
   * R2                               down_read ·························· read ─── up_read
   * W2                                         down_write ·································· write ─ up_write
   * R3                                                     down_read ···· ('all': read at 10 | 'prefix': read at 25)
   */
  function run(mode: 'all' | 'prefix') {
    const h = lanes({ readerWake: mode });
    h.lane('W', 0, function* () {
      yield* mmap_write_lock(h.mm);
      h.mark('write');
      yield* hold(10);
      mmap_write_downgrade(h.mm);
      h.mark('downgraded');
      yield* hold(10);
      mmap_read_unlock(h.mm);
    });
    reader(h, 'R1', 1, 3);
    reader(h, 'R2', 2, 3);
    writer(h, 'W2', 3, 5);
    reader(h, 'R3', 4, 3);
    h.run();
    return h;
  }

  it("'prefix': R1 and R2 join the downgraded holder; R3 stays behind W2", () => {
    expect(run('prefix').marks).toEqual([
      ['W', 'write', 0], ['W', 'downgraded', 10], ['R1', 'read', 10], ['R2', 'read', 10],
      ['W2', 'write', 20], ['R3', 'read', 25],
    ]);
  });

  it("'all': every queued reader joins (the kernel's RWSEM_WAKE_READ_OWNED wake skips writers)", () => {
    expect(run('all').marks).toEqual([
      ['W', 'write', 0], ['W', 'downgraded', 10], ['R1', 'read', 10], ['R2', 'read', 10], ['R3', 'read', 10],
      ['W2', 'write', 20],
    ]);
  });

  /*
   * time(us)  0            1           2            10          20         25
   * W         down_write ──────────────────────────  downgrade ── up_read
   * W2                     down_write ······························ write ─── up_write
   * R1                                 down_read ···································· read
   */
  it.each(['all', 'prefix'] as const)("with a writer at the head it admits nobody ('%s')", (mode) => {
    const h = lanes({ readerWake: mode });
    h.lane('W', 0, function* () {
      yield* mmap_write_lock(h.mm);
      yield* hold(10);
      mmap_write_downgrade(h.mm);
      h.mark(`downgraded queue=${h.mm.mmap_lock.nrQueued}`);
      yield* hold(10);
      mmap_read_unlock(h.mm);
    });
    writer(h, 'W2', 1, 5);
    reader(h, 'R1', 2, 1);
    h.run();
    expect(h.marks).toEqual([['W', 'downgraded queue=2', 10], ['W2', 'write', 20], ['R1', 'read', 25]]);
  });
});

describe('rwsem: releasing a lock you do not hold throws', () => {
  const task = (id: number, comm: string): Task => ({ id, comm, prio: 2 });
  const A = task(1, 'A'), B = task(2, 'B');
  beforeEach(() => install_sched(() => { throw new Error('no wake-up expected'); }));

  it('up_read twice: the second one throws and leaves the lock free', () => {
    const s = new RwSemaphore('sem', 'prefix');
    expect(s.tryRead(A)).toBe(true);
    s.releaseRead(A);
    expect(() => s.releaseRead(A)).toThrow(/up_read\(sem\): A does not hold it for read/);
    expect(s.readers).toEqual([]);
    expect(s.tryWrite(B)).toBe(true);
  });

  it('up_read by a task that is not a reader throws and keeps the real reader', () => {
    const s = new RwSemaphore('sem');
    expect(s.tryRead(A)).toBe(true);
    expect(() => s.releaseRead(B)).toThrow(/B does not hold it for read/);
    expect(s.readers).toEqual([A]);
  });

  it('a task holding read twice releases twice, not three times', () => {
    const s = new RwSemaphore('sem');
    expect(s.tryRead(A) && s.tryRead(A)).toBe(true);
    s.releaseRead(A);
    s.releaseRead(A);
    expect(() => s.releaseRead(A)).toThrow(/does not hold it for read/);
  });

  it('up_write twice, by a non-owner, or by a reader throws; downgrade by a non-owner throws', () => {
    const s = new RwSemaphore('sem');
    expect(s.tryWrite(A)).toBe(true);
    expect(() => s.releaseWrite(B)).toThrow(/up_write\(sem\): B does not hold it for write/);
    expect(() => s.downgrade(B)).toThrow(/downgrade_write\(sem\): B does not hold it for write/);
    expect(s.writer).toBe(A);
    s.releaseWrite(A);
    expect(() => s.releaseWrite(A)).toThrow(/A does not hold it for write/);
    expect(s.tryRead(B)).toBe(true);
    expect(() => s.releaseWrite(B)).toThrow(/B does not hold it for write/);
    expect(() => s.releaseRead(A)).toThrow(/A does not hold it for read/);
  });

  it('through the engine: mmap_read_unlock without the lock aborts the run', () => {
    const h = lanes();
    h.probe('T', 0, () => mmap_read_unlock(h.mm));
    expect(() => h.run()).toThrow(/up_read\(mm->mmap_lock\): T does not hold it for read/);
  });
});
