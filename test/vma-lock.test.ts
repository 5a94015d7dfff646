/**
 * The per-VMA lock (include/linux/mmap_lock.h, mm/mmap_lock.c as modelled in
 * src/model/vma_lock.ts): readers only try-lock (lock_vma_under_rcu), a writer
 * holding mmap_lock for write excludes new readers and waits for current ones
 * (vma_start_write), and every VMA write lock ends with the mmap write section
 * (vm_lock_seq goes stale at mmap_write_unlock / mmap_write_downgrade).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  install_vm_event_sink, lock_vma_under_rcu, mmap_read_lock, mmap_read_unlock, mmap_write_downgrade, mmap_write_lock,
  mmap_write_unlock, set_current, vma_end_read, vma_is_write_locked, vma_mark_detached, vma_start_write,
  VM_EVENT_NAMES, VmAreaStruct, type KPath, type Task, type VmEvent,
} from '../src/model/index.js';
import { hold, lanes, type Lanes } from './lanes.js';

/** A lane that read-locks VMA i at `at` and, if it got it, holds it `n` us. */
function vmaReader(h: Lanes, name: string, at: number, i: number, n: number): void {
  h.lane(name, at, function* () {
    const v = lock_vma_under_rcu(h.mm, h.addr(i));
    h.mark(v === null ? 'lock_vma ✗' : 'lock_vma ✓');
    if (v === null) return;
    yield* hold(n);
    vma_end_read(v);
  });
}

describe('VMA lock: lock_vma_under_rcu fails while a writer waits for or holds the VMA', () => {
  /*
   * time(us)  0          2                       5          10                12           15          16
   * R1        lock_vma ✓ ──────────────────────────────────  vma_end_read
   * W                    mmap_write_lock,
   *                      vma_start_write ························ woken ─ hold 5 ──────────── mmap_write_unlock
   * R2                                           lock_vma ✗ (writer waiting: VMA_LOCK_ABORT)
   * R3                                                                         lock_vma ✗ (write-locked: ABORT)
   * R4                                                                                                   lock_vma ✓
   */
  it('ABORT while the writer waits for readers, ABORT while it holds it, success after mmap_write_unlock', () => {
    const h = lanes();
    vmaReader(h, 'R1', 0, 0, 10);
    h.lane('W', 2, function* () {
      yield* mmap_write_lock(h.mm);
      yield* vma_start_write(h.vma[0]!);
      h.mark(`vma write-locked=${vma_is_write_locked(h.vma[0]!)}`);
      yield* hold(5);
      mmap_write_unlock(h.mm);
    });
    vmaReader(h, 'R2', 5, 0, 1);
    vmaReader(h, 'R3', 12, 0, 1);
    vmaReader(h, 'R4', 16, 0, 1);
    h.run();
    expect(h.marks).toEqual([
      ['R1', 'lock_vma ✓', 0],
      ['R2', 'lock_vma ✗', 5],
      ['W', 'vma write-locked=true', 10],
      ['R3', 'lock_vma ✗', 12],
      ['R4', 'lock_vma ✓', 16],
    ]);
    expect(h.rec.vmEvents).toEqual([['R2', 'VMA_LOCK_ABORT', 5], ['R3', 'VMA_LOCK_ABORT', 12]]);
    expect(h.rec.waitLanes()).toEqual([['W', 'vma_start_write', 'vma_lock', 'vma[0:vma]', 2, 10]]);
  });

  /*
   * time(us)  0          3          5
   * W         mmap_write_lock (no vma_start_write) ──── mmap_write_unlock@5
   * R1                   lock_vma ✓ (other VMAs and this one are not write-locked)
   */
  it('mmap_lock held for write alone does not stop VMA readers', () => {
    const h = lanes();
    h.lane('W', 0, function* () {
      yield* mmap_write_lock(h.mm);
      yield* hold(5);
      mmap_write_unlock(h.mm);
    });
    vmaReader(h, 'R1', 3, 0, 1);
    h.run();
    expect(h.marks).toEqual([['R1', 'lock_vma ✓', 3]]);
    expect(h.rec.vmEvents).toEqual([]);
  });
});

describe('VMA lock: vma_start_write waits for the readers; the last vma_end_read wakes it', () => {
  /*
   * time(us)  0          5                  10          15           20
   * R1        lock_vma ✓ ─────────────────── vma_end_read
   * R2        lock_vma ✓ ──────────────────────────────────────────── vma_end_read
   * W                    mmap_write_lock,
   *                      vma_start_write ······························ woken (at 20, not 10)
   * R3                                                   lock_vma ✗ (readers excluded)
   */
  it('the writer sleeps until the last reader leaves, and readers are excluded meanwhile', () => {
    const h = lanes();
    vmaReader(h, 'R1', 0, 0, 10);
    vmaReader(h, 'R2', 0, 0, 20);
    let atEleven = '';
    h.lane('W', 5, function* () {
      yield* mmap_write_lock(h.mm);
      yield* vma_start_write(h.vma[0]!);
      h.mark('vma write-locked');
      mmap_write_unlock(h.mm);
    });
    h.probe('probe', 11, () => {
      const v = h.vma[0]!;
      atEleven = `readers=${v.nrReaders} exclude=${v.excludeReaders} waiting=${v.writerWaiting?.comm}`;
    });
    vmaReader(h, 'R3', 15, 0, 1);
    h.run();
    expect(h.marks).toEqual([
      ['R1', 'lock_vma ✓', 0], ['R2', 'lock_vma ✓', 0], ['R3', 'lock_vma ✗', 15], ['W', 'vma write-locked', 20],
    ]);
    expect(atEleven).toBe('readers=1 exclude=true waiting=W');
    expect(h.rec.waitLanes()).toEqual([['W', 'vma_start_write', 'vma_lock', 'vma[0:vma]', 5, 20]]);
  });

  it('without readers vma_start_write does not sleep, and is idempotent within the write section', () => {
    const h = lanes();
    vmaReader(h, 'R1', 0, 1, 50); // a reader of another VMA does not matter
    h.lane('W', 1, function* () {
      yield* mmap_write_lock(h.mm);
      yield* vma_start_write(h.vma[0]!);
      yield* vma_start_write(h.vma[0]!);
      h.mark('twice');
      mmap_write_unlock(h.mm);
    });
    h.run();
    expect(h.marks).toEqual([['R1', 'lock_vma ✓', 0], ['W', 'twice', 1]]);
    expect(h.rec.waits).toEqual([]);
  });
});

describe('VMA lock: all VMA write locks end with the mmap write section', () => {
  /*
   * time(us)  0                               5            10                 11                 20        21
   * W         mmap_write_lock, vma_start_write(v0), vma_start_write(v1) ──── mmap_write_unlock
   * R1                                        lock v0 ✗
   * R2                                                                        lock v0 ✓, lock v1 ✓
   * W'                                                                                           mmap_write_lock (new section)
   * R3                                                                                                     lock v0 ✓
   */
  it('mmap_write_unlock: vm_lock_seq is stale, readers get both VMAs, also in the next write section', () => {
    const h = lanes();
    let seqs = '';
    h.lane('W', 0, function* () {
      yield* mmap_write_lock(h.mm);
      yield* vma_start_write(h.vma[0]!);
      yield* vma_start_write(h.vma[1]!);
      h.mark(`locked=${vma_is_write_locked(h.vma[0]!)},${vma_is_write_locked(h.vma[1]!)}`);
      yield* hold(10);
      mmap_write_unlock(h.mm);
      h.mark(`locked=${vma_is_write_locked(h.vma[0]!)},${vma_is_write_locked(h.vma[1]!)}`);
      seqs = `vm_lock_seq=${h.vma[0]!.vm_lock_seq},${h.vma[1]!.vm_lock_seq} mm_lock_seq=${h.mm.mm_lock_seq}`;
      yield* hold(10);
      yield* mmap_write_lock(h.mm); // a new write section at 20, no vma_start_write
      h.mark('new section');
      yield* hold(5);
      mmap_write_unlock(h.mm);
    });
    vmaReader(h, 'R1', 5, 0, 1);
    h.lane('R2', 11, function* () {
      const a = lock_vma_under_rcu(h.mm, h.addr(0)), b = lock_vma_under_rcu(h.mm, h.addr(1));
      h.mark(`v0 ${a ? '✓' : '✗'} v1 ${b ? '✓' : '✗'}`);
      yield* hold(1);
      if (a) vma_end_read(a);
      if (b) vma_end_read(b);
    });
    vmaReader(h, 'R3', 21, 0, 1);
    h.run();
    expect(h.marks).toEqual([
      ['W', 'locked=true,true', 0],
      ['R1', 'lock_vma ✗', 5],
      ['W', 'locked=false,false', 10],
      ['R2', 'v0 ✓ v1 ✓', 11],
      ['W', 'new section', 20],
      ['R3', 'lock_vma ✓', 21],
    ]);
    expect(seqs).toBe('vm_lock_seq=1,1 mm_lock_seq=2');
  });

  /*
   * time(us)  0                                    5           10          12                 20
   * W         write lock, vma_start_write(v0, v1) ───────────── downgrade ──────────────────── mmap_read_unlock
   * R1                                             lock v1 ✗
   * R2                                                                      lock v0 ✓ lock v1 ✓ (W still reads)
   */
  it('mmap_write_downgrade releases the VMA write locks while the downgrader keeps mmap_lock for read', () => {
    const h = lanes();
    h.lane('W', 0, function* () {
      yield* mmap_write_lock(h.mm);
      yield* vma_start_write(h.vma[0]!);
      yield* vma_start_write(h.vma[1]!);
      yield* hold(10);
      mmap_write_downgrade(h.mm);
      yield* hold(10);
      mmap_read_unlock(h.mm);
    });
    vmaReader(h, 'R1', 5, 1, 1);
    h.lane('R2', 12, function* () {
      const a = lock_vma_under_rcu(h.mm, h.addr(0)), b = lock_vma_under_rcu(h.mm, h.addr(1));
      const sem = h.mm.mmap_lock;
      h.mark(`v0 ${a ? '✓' : '✗'} v1 ${b ? '✓' : '✗'} mmap readers=${sem.readers.map((t) => t.comm).join(',')} writer=${sem.writer?.comm ?? '-'}`);
      yield* hold(1);
      if (a) vma_end_read(a);
      if (b) vma_end_read(b);
    });
    h.run();
    expect(h.marks).toEqual([['R1', 'lock_vma ✗', 5], ['R2', 'v0 ✓ v1 ✓ mmap readers=W writer=-', 12]]);
  });
});

describe('VMA lock: a detached VMA (munmap racing with the RCU lookup)', () => {
  const T: Task = { id: 7, comm: 'T', prio: 2 };
  /**
   * lock_vma_under_rcu never sleeps, so the race (mas_walk returns the VMA
   * munmap has just detached; the tree update becomes visible to the retry)
   * is staged by making the lookup see the old tree once.
   */
  function race(after: 'empty' | 'replaced') {
    const h = lanes();
    const mm = h.mm, old = h.vma[0]!;
    const events: string[] = [];
    install_vm_event_sink((ev: VmEvent) => events.push(VM_EVENT_NAMES[ev]));
    set_current(T);
    expect(vma_mark_detached(old).next().done).toBe(true); // no reader holds it: detached without waiting
    mm.unlink(old);
    let replacement: VmAreaStruct | null = null;
    if (after === 'replaced') {
      replacement = new VmAreaStruct(mm, mm.nextVmaId++, old.group, old.vm_start, old.vm_end, old.vm_flags,
        old.vm_file, old.has_map_pages, old.resident);
      mm.link(replacement);
    }
    const realFind = mm.find_vma.bind(mm);
    let lookups = 0;
    mm.find_vma = (addr: number) => (lookups++ === 0 ? old : realFind(addr)); // the stale first walk
    const got = lock_vma_under_rcu(mm, h.addr(0));
    return { got, events, lookups, old, replacement };
  }

  it('VMA_LOCK_MISS, then the lookup again finds nothing: VMA_LOCK_ABORT, null', () => {
    const r = race('empty');
    expect(r.got).toBeNull();
    expect(r.events).toEqual(['VMA_LOCK_MISS', 'VMA_LOCK_ABORT']);
    expect(r.lookups).toBe(2);
    expect(r.old.nrReaders).toBe(0);
  });

  it('VMA_LOCK_MISS, then the lookup again finds the new VMA and read-locks it (no ABORT)', () => {
    const r = race('replaced');
    expect(r.got).toBe(r.replacement);
    expect(r.events).toEqual(['VMA_LOCK_MISS']);
    expect(r.lookups).toBe(2);
    expect(r.replacement!.nrReaders).toBe(1);
    expect(r.replacement!.readers).toEqual([{ id: 7, comm: 'T', prio: 2 }]);
    expect(r.old.nrReaders).toBe(0);
  });
});

describe('VMA lock: vma_start_read checks vm_lock_seq before the refcount (detached)', () => {
  /*
   * munmap (M) inside its mmap write section; the fault's RCU walk (T) still
   * sees the old tree once:
   *
   *   M  mmap_write_lock, vma_start_write(old), vma_mark_detached(old), unlink
   *   T                                                                   lock_vma_under_rcu: mas_walk -> old
   *                                                                       vma_start_read(old): vm_lock_seq == mm_lock_seq
   *                                                                       -> NULL (VMA_LOCK_ABORT), not -EAGAIN (MISS)
   *
   * include/linux/mmap_lock.h vma_start_read tests `vma->vm_lock_seq ==
   * mm->mm_lock_seq.sequence` first, and only then
   * __refcount_inc_not_zero_limited_acquire, whose failure on a zero count
   * (detached) is the -EAGAIN that lock_vma_under_rcu counts as VMA_LOCK_MISS.
   */
  it('a detached VMA that is still write-locked: VMA_LOCK_ABORT after one lookup, no MISS', () => {
    const h = lanes();
    const mm = h.mm, old = h.vma[0]!;
    const realFind = mm.find_vma.bind(mm);
    let lookups = 0;
    let got: VmAreaStruct | null | undefined;
    h.lane('M', 0, function* () {
      yield* mmap_write_lock(mm);
      yield* vma_start_write(old);
      yield* vma_mark_detached(old);
      mm.unlink(old);
      yield* hold(5);
      mmap_write_unlock(mm);
    });
    h.probe('T', 2, () => {
      h.mark(`write-locked=${vma_is_write_locked(old)} detached=${old.detached}`);
      mm.find_vma = (addr: number) => (lookups++ === 0 ? old : realFind(addr)); // the stale first walk
      got = lock_vma_under_rcu(mm, h.addr(0));
      mm.find_vma = realFind;
    });
    h.run();
    expect(h.marks).toEqual([['T', 'write-locked=true detached=true', 2]]);
    expect(got).toBeNull();
    expect(h.rec.vmEvents).toEqual([['T', 'VMA_LOCK_ABORT', 2]]);
    expect(lookups).toBe(1);
    expect(old.nrReaders).toBe(0);
  });
});

describe('VMA lock: vma_start_write requires mmap_lock held for write', () => {
  function attempt(setup: (h: Lanes) => KPath<unknown>): () => void {
    const h = lanes();
    h.lane('T', 0, function* () {
      yield* setup(h);
      yield* vma_start_write(h.vma[0]!);
    });
    h.lane('U', 0, function* () {
      yield* mmap_write_lock(h.mm); // only used by the "someone else holds it" case
      yield* hold(100);
      mmap_write_unlock(h.mm);
    });
    return () => h.run();
  }
  it('without mmap_lock', () => {
    // U takes the write lock at 0 too, but T runs first: T holds nothing.
    expect(attempt(() => hold(0))).toThrow(/vma_start_write\(vma\[0:vma\]\): T does not hold mmap_lock for write/);
  });
  it('with mmap_lock held only for read', () => {
    expect(attempt((h) => mmap_read_lock(h.mm))).toThrow(/T does not hold mmap_lock for write/);
  });
  it('while another task holds it for write', () => {
    expect(attempt(() => hold(1))).toThrow(/T does not hold mmap_lock for write/);
  });
});

describe("lock_vma_under_rcu's walk from a guess of the VMA's index (MapleTree.walkFrom)", () => {
  // Any guess (right, wrong, out of range, -1) gives what the binary search gives, for any address,
  // on a tree of VMAs with gaps between them; and lock_vma_under_rcu locks the same VMA with it.
  it('walkFrom(addr, i) is walk(addr) for every guess i', () => {
    const h = lanes({ vmas: 6 });
    const tree = h.mm.mm_mt, n = tree.size;
    const last = h.mm.vmas[n - 1]!.vm_end;
    fc.assert(fc.property(fc.integer({ min: 0, max: last + 4 }), fc.integer({ min: -2, max: n + 2 }), (addr, i) => {
      expect(tree.walkFrom(addr, i)).toBe(tree.walk(addr));
    }), { seed: 14 });
    let hits = 0; // the right guess takes the shortcut's answer: the VMA at the index
    for (let i = 0; i < n; i++) if (tree.walkFrom(h.vma[i]!.vm_start, i) === h.vma[i]) hits++;
    expect(hits).toBe(n);
  });

  it('lock_vma_under_rcu with a wrong guess locks the VMA the walk finds', () => {
    const h = lanes({ vmas: 4 });
    h.lane('T', 0, function* () {
      const v = lock_vma_under_rcu(h.mm, h.addr(2), 0); // guess: index 0, which does not hold the address
      h.mark(v === h.vma[2] ? 'locked vma[2]' : 'wrong');
      if (v !== null) vma_end_read(v);
      yield* hold(0);
    });
    h.run();
    expect(h.marks.map((m) => m[1])).toEqual(['locked vma[2]']);
  });
});
